from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tiendo.api.management.commands.revoke_token import token_by_id
from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.tokens import apitoken_rotate


class Command(TranslatedHelpCommand):
    help = (
        "Rotate an API token: a new secret with the same owner, name and scopes, shown once; the old "
        "secret is revoked at once."
    )

    def add_arguments(self, parser):
        parser.add_argument("token_id", type=int)
        parser.add_argument("--days", type=int, default=None, help="days of validity of the new secret")

    def handle(self, *args, token_id: int, days: int | None, **options):
        try:
            issued = apitoken_rotate(actor=None, token=token_by_id(token_id), days=days)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(issued.secret)
        self.stderr.write(_("Lưu mã này ngay: tiendo chỉ giữ bản băm"))
        self.stderr.write(
            _("Mã cũ %(old)s đã bị thu hồi; mã mới số %(id)s, hết hạn %(expires)s")
            % {
                "old": token_id,
                "id": issued.token.pk,
                "expires": issued.expires_at.isoformat(timespec="minutes"),
            }
        )
