from pathlib import Path
from typing import cast

from django.utils.translation import gettext_lazy as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.yamlfile import file_load_errors
from tiendo.plans.indicator_sources import forms_load


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        _(
            "Kiểm tra một tệp biểu mẫu (chỉ số dữ liệu, biểu mẫu, nguồn của chỉ tiêu) rồi nạp; "
            "tệp có bất kỳ lỗi nào thì không ghi gì."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        with file_load_errors(file):
            report = forms_load(path=file)
        self.stdout.write(f"{file.name}: {report.summary()}")
