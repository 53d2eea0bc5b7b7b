from pathlib import Path
from typing import cast

from django.utils.translation import gettext_lazy as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.yamlfile import file_load_errors
from tiendo.ioc.registry import SHIPPED_REGISTRY, SHIPPED_RULES, registry_load


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        _(
            "Kiểm tra một tệp danh mục IOC (hệ thống, thiết bị, chỉ số đo) rồi nạp; "
            "tệp có bất kỳ lỗi nào thì không ghi gì."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, nargs="?", default=None)

    def handle(self, *args, file: Path | None, **options):
        for path in [file] if file is not None else [SHIPPED_REGISTRY, SHIPPED_RULES]:
            with file_load_errors(path):
                report = registry_load(path=path)
            self.stdout.write(f"{path.name}: {report.summary()}")
