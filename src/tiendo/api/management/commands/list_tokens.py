from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import apitoken_state


def _when(value) -> str:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else "—"


def token_state(token: ApiToken) -> str:
    labels = {
        "active": _("hiệu lực"),
        "expired": _("hết hạn"),
        "revoked": _("đã thu hồi"),
        "rotated": _("đã xoay vòng"),
    }
    return labels[apitoken_state(token)]


class Command(TranslatedHelpCommand):
    help = (
        "List API tokens (never their secrets): id, owner, name, scopes, created, expires, last used, state."
    )

    def add_arguments(self, parser):
        parser.add_argument("--user", help="only this user's tokens")
        parser.add_argument("--all", action="store_true", help="include revoked and expired tokens")

    def handle(self, *args, user: str | None, all: bool, **options):
        tokens = ApiToken.objects.select_related("user").order_by("pk")
        if user:
            tokens = tokens.filter(user__username=user)
        if not all:
            # a token without an expiry (none should be left after reporting 0005) still works: list it
            tokens = tokens.filter(revoked=False).exclude(expires_at__lte=timezone.now())
        header = ["id", "user", "name", "prefix", "scopes", "created", "expires", "last_used", "state"]
        self.stdout.write("\t".join(header))
        for token in tokens:
            row = [
                str(token.pk),
                token.user.get_username(),
                token.name,
                token.prefix + "…",
                ",".join(token.scopes),
                _when(token.created_at),
                _when(token.expires_at),
                _when(token.last_used_at),
                token_state(token),
            ]
            self.stdout.write("\t".join(row))
