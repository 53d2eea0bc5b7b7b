from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.tokens import SCOPES, apitoken_create


class Command(TranslatedHelpCommand):
    help = (
        "Create a personal access token for a user (sent as `Authorization: ApiToken …`); it is shown "
        "once and expires after --days days."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="system", help="what the token is for, e.g. LGSP")
        parser.add_argument(
            "--scope", action="append", choices=SCOPES, help="read and/or write (default: both)"
        )
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"days of validity (default TIENDO_TOKEN_DAYS={settings.TIENDO_TOKEN_DAYS}, "
            f"at most TIENDO_TOKEN_MAX_DAYS={settings.TIENDO_TOKEN_MAX_DAYS})",
        )

    def handle(self, *args, username: str, name: str, scope: list[str] | None, days: int | None, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Không có người dùng: %(username)s") % {"username": username})
        try:
            issued = apitoken_create(
                actor=None, user=user, name=name, scopes=scope or list(SCOPES), days=days
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(issued.secret)
        self.stderr.write(_("Lưu mã này ngay: tiendo chỉ giữ bản băm"))
        self.stderr.write(
            _("Mã số %(id)s, hết hạn %(expires)s")
            % {"id": issued.token.pk, "expires": issued.expires_at.isoformat(timespec="minutes")}
        )
