from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tiendo.analytics.dossiers import DossierFileError, dossiers_import
from tiendo.core.exceptions import ApplicationError


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
        self.stdout.write(
            f"{file.name}: {result.rows} dòng / rows — {result.created} mới / new, {result.updated} cập nhật / updated, "
            f"{result.unchanged} không đổi / unchanged; {len(result.cells)} ô (đơn vị × tháng) thay đổi / "
            f"cells (unit × month) changed; {result.seconds:.2f} s"
        )
