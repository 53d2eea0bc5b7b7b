from pathlib import Path

from django.core.management.base import CommandError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.analytics.generator import SEED_2025, generate
from tiendo.core.commands import TranslatedHelpCommand
from tiendo.orgunits.models import OrgUnit


class Command(TranslatedHelpCommand):
    help_text = gettext_lazy(
        "Ghi hồ sơ thủ tục hành chính MÔ PHỎNG (CSV) có phân bố theo số liệu năm 2025 của kế hoạch."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--year", type=int, default=2025)
        parser.add_argument("--count", type=int, default=SEED_2025["dossiers"])
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--province", default="51")

    def handle(self, *args, file: Path, year: int, count: int, seed: int, province: str, **options):
        communes = sorted(
            OrgUnit.objects.filter(parent__code=province, kind=OrgUnit.Kind.COMMUNE).values_list(
                "code", flat=True
            )
        )
        agencies = sorted(
            OrgUnit.objects.filter(parent__code=province, kind=OrgUnit.Kind.AGENCY).values_list(
                "code", flat=True
            )
        )
        if not communes or not agencies:
            raise CommandError(
                _("Nạp đơn vị của tỉnh %(province)s trước (tiendo load-units)") % {"province": province}
            )
        today = timezone.localdate()
        generate(
            path=file,
            year=year,
            count=count,
            seed=seed,
            communes=communes,
            agencies=agencies,
            until=today if year == today.year else None,  # no dossier received in the future
        )
        self.stdout.write(
            _("%(file)s: %(count)s hồ sơ MÔ PHỎNG của năm %(year)s (seed %(seed)s)")
            % {"file": file, "count": count, "year": year, "seed": seed}
        )
