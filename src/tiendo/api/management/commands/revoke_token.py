from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import apitoken_revoke


def token_by_id(token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id).first()
    if token is None:
        raise CommandError(_("Không có mã truy cập số %(id)s (xem tiendo list-tokens)") % {"id": token_id})
    return token


class Command(TranslatedHelpCommand):
    help = "Revoke an API token at once (its id from `tiendo list-tokens`); requests with it answer 401."

    def add_arguments(self, parser):
        parser.add_argument("token_id", type=int)
        parser.add_argument("--reason", default="", help="recorded in the audit log")

    def handle(self, *args, token_id: int, reason: str, **options):
        try:
            token = apitoken_revoke(actor=None, token=token_by_id(token_id), reason=reason)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(_("Đã thu hồi mã %(id)s (%(name)s)") % {"id": token.pk, "name": token.name})
