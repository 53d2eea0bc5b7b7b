from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from tiendo.analytics.generator import SEED_2025, generate
from tiendo.orgunits.models import OrgUnit


class Command(BaseCommand):
    help = "Write SIMULATED public-service dossiers (CSV) whose distributions follow the 2025 figures of the plan."

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
                f"Nạp đơn vị của tỉnh {province} trước (tiendo load-units) / load the units of province {province} first"
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
        self.stdout.write(f"{file}: {count} hồ sơ MÔ PHỎNG / SIMULATED dossiers of {year} (seed {seed})")
