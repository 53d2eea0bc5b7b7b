from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tiendo.core.exceptions import ApplicationError
from tiendo.core.yamlfile import FileValidationError
from tiendo.plans.services import plan_load


class Command(BaseCommand):
    help = "Validate a plan file (YAML) and load it. Nothing is written when the file has any problem."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--list-changes", action="store_true", help="list every change")

    def handle(self, *args, file: Path, list_changes: bool = False, **options):
        try:
            report = plan_load(path=file)
        except FileValidationError as exc:
            count = len(exc.errors)
            raise CommandError(
                f"{file}: {count} lỗi, không nạp gì / {count} problem(s), nothing loaded\n"
                + "\n".join(exc.errors)
            ) from None
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(report.summary())
        if list_changes or options.get("verbosity", 1) > 1:
            for bucket in ("created", "updated", "deleted"):
                for line in getattr(report, bucket):
                    self.stdout.write(f"  {bucket}: {line}")
