import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from tiendo.analytics.dossiers import DossierFileError, dossiers_import
from tiendo.analytics.models import Dossier
from tiendo.core.exceptions import ApplicationError

BULK_LOAD = 200_000  # new dossiers from which the table is vacuumed after the import


class Command(BaseCommand):
    help = "Import a CSV of public-service dossiers (upsert on dossier_id); a file with any bad row imports nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--feed", default="dossiers")

    def handle(self, *args, file: Path, feed: str, **options):
        if not file.is_file():
            raise CommandError(f"{file}: không tìm thấy tệp / file not found")
        try:
            result = dossiers_import(path=file, feed=feed)
        except DossierFileError as exc:
            raise CommandError(
                f"{file}: {exc.total} dòng lỗi, không nhập gì / {exc.total} bad row(s), nothing imported\n{exc}"
            ) from None
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        vacuum = ""
        if connection.vendor == "postgresql" and result.created > BULK_LOAD:
            # What autovacuum would do within a minute, done now: a scan of freshly loaded pages checks
            # every row's visibility until they are vacuumed (the full recompute runs ~2× slower).
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM (ANALYZE) {Dossier._meta.db_table}")
            vacuum = f"; VACUUM (ANALYZE) {time.perf_counter() - started:.2f} s"
        self.stdout.write(
            f"{file.name}: {result.rows} dòng / rows — {result.created} mới / new, {result.updated} cập nhật / updated, "
            f"{result.unchanged} không đổi / unchanged; {len(result.cells)} ô (đơn vị × tháng) thay đổi / "
            f"cells (unit × month) changed; {result.seconds:.2f} s{vacuum}"
        )
