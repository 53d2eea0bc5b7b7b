import time

from django.core.management.base import BaseCommand

from tiendo.analytics.dossiers import dossiers_derive


class Command(BaseCommand):
    help = (
        "Count a year's dossiers again into the counts per unit and month (every import keeps them; "
        "this is the full recompute, e.g. after a restore)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, required=True)

    def handle(self, *args, year: int, **options):
        started = time.perf_counter()
        cells = dossiers_derive(year=year)
        self.stdout.write(
            f"{year}: {cells} ô (đơn vị × tháng) / cells (unit × month); {time.perf_counter() - started:.2f} s"
        )
