from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from tiendo.core.exceptions import ApplicationError
from tiendo.core.yamlfile import FileValidationError
from tiendo.reporting.forms_load import forms_load


class Command(BaseCommand):
    help = "Validate a forms file (data elements, forms, indicator sources) and load it; nothing is written on any problem."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            report = forms_load(path=file)
        except FileValidationError as exc:
            count = len(exc.errors)
            raise CommandError(
                f"{file}: {count} lỗi, không nạp gì / {count} problem(s), nothing loaded\n"
                + "\n".join(exc.errors)
            ) from None
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{file.name}: {report.summary()}")
