import sys
from pathlib import Path

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.documents.selectors import trust_roots
from tiendo.documents.signing import verify_pdf_bytes

STATES = {
    "ok": "OK",
    "unconfirmed": gettext_lazy("CHƯA XÁC NHẬN NGƯỜI KÝ"),
    "invalid": gettext_lazy("KHÔNG HỢP LỆ"),
}


class Command(TranslatedHelpCommand):
    help = (
        "Verify the signatures of a PDF (tiendo's or signed elsewhere): signer, time, PAdES profile, "
        "timestamp, intact or altered. Exit status 0 valid, 2 signer not confirmed, 1 not valid."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--trust",
            type=Path,
            action="append",
            default=[],
            help="a trusted authority's certificate (PEM or DER)",
        )

    def handle(self, *args, file: Path, trust: list[Path], **options):
        if not file.is_file():
            raise CommandError(_("%(file)s: không tìm thấy tệp") % {"file": file})
        try:
            checks = verify_pdf_bytes(
                file.read_bytes(), trust_roots=trust_roots() + [path.read_bytes() for path in trust]
            )
        except ApplicationError as exc:
            raise CommandError(f"{file}: {exc}") from None
        if not checks:
            raise CommandError(_("%(file)s: không có chữ ký số") % {"file": file})
        for check in checks:
            when = f"{check.signed_at:%Y-%m-%d %H:%M:%S %Z}" if check.signed_at else "?"
            signer = {"field": check.field, "signer": check.signer, "issuer": check.issuer, "when": when}
            stamp = (
                _("dấu thời gian (TSA, thời điểm tin cậy) %(when)s")
                % {"when": f"{check.timestamp_at:%Y-%m-%d %H:%M:%S %Z}"}
                if check.timestamp_at
                else _("không có dấu thời gian (TSA)")
            )
            self.stdout.write(
                _("%(field)s: %(signer)s (cấp bởi %(issuer)s); người ký khai ký lúc %(when)s") % signer
                + f"\n  {check.profile}; {stamp}"
                + f"\n  {STATES[check.state]} — {check.verdict}"
            )
        # three states for scripts too: 0 valid, 2 sound but the signer not confirmed, 1 not valid
        states = {check.state for check in checks}
        if "invalid" in states:
            sys.exit(1)
        if "unconfirmed" in states:
            sys.exit(2)
