from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.services import LoadReport, agencies_load, shipped_agencies_file, units_load_province


class Command(TranslatedHelpCommand):
    help = "Load a province and its commune-level units from vietnam-provinces, and its agencies file."

    def add_arguments(self, parser):
        parser.add_argument("--province", type=int, required=True, help="province code, e.g. 51 (Quảng Ngãi)")
        parser.add_argument("--agencies", type=Path, help="agencies YAML (default: the shipped file, if any)")

    def handle(self, *args, province: int, agencies: Path | None, **options):
        try:
            with transaction.atomic():  # the province and its agencies load together or not at all
                self._load(province, agencies)
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None

    def _load(self, province: int, agencies: Path | None) -> None:
        report = units_load_province(province_code=province)
        self.stdout.write(_("tỉnh %(code)s: %(counts)s") % {"code": province, "counts": _counts(report)})
        for message in report.messages:
            self.stdout.write(f"  {message}")
        agencies = agencies or shipped_agencies_file(province)
        if agencies:
            agency_report = agencies_load(path=agencies)
            counts = {"file": agencies.name, "counts": _counts(agency_report)}
            self.stdout.write(_("cơ quan (%(file)s): %(counts)s") % counts)


def _counts(report: LoadReport) -> str:
    values = {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    return _("%(created)s tạo mới, %(updated)s cập nhật, %(unchanged)s không đổi") % values
