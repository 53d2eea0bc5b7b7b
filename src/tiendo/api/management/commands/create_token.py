from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from tiendo.api.auth import SCOPES, token_create
from tiendo.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = (
        "Create a personal access token for a user (sent as `Authorization: ApiToken …`); it is shown once."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="system", help="what the token is for, e.g. LGSP")
        parser.add_argument(
            "--scope", action="append", choices=SCOPES, help="read and/or write (default: both)"
        )

    def handle(self, *args, username: str, name: str, scope: list[str] | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Không có người dùng: %(username)s") % {"username": username})
        try:
            token = token_create(actor=None, user=user, name=name, scopes=scope or list(SCOPES))
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(token)
        self.stderr.write(_("Lưu mã này ngay: tiendo chỉ giữ bản băm"))
