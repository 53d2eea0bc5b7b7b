from pathlib import Path
from typing import cast

from django.utils.translation import gettext_lazy as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.yamlfile import file_load_errors
from tiendo.opendata.loader import SHIPPED_DATASETS, datasets_load


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        _(
            "Kiểm tra một tệp bộ dữ liệu mở (YAML, kèm tệp CSV/XLSX của phiên bản đầu) rồi nạp; tệp có "
            "bất kỳ lỗi nào thì không ghi gì. Bộ dữ liệu đã có giữ nguyên mô tả, chỉ thêm phiên bản khi "
            "bảng số liệu đổi. Không nêu tệp: nạp các bộ dữ liệu kèm theo của Quảng Ngãi."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, nargs="?", default=SHIPPED_DATASETS)

    def handle(self, *args, file: Path, **options):
        with file_load_errors(file):
            report = datasets_load(path=file)
        self.stdout.write(f"{file.name}: {report.summary()}")
