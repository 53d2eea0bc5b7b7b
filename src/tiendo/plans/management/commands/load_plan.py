from pathlib import Path
from typing import cast

from django.utils.translation import gettext_lazy as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.yamlfile import file_load_errors
from tiendo.plans.services import plan_load


class Command(TranslatedHelpCommand):
    help = cast(str, _("Kiểm tra một tệp kế hoạch (YAML) rồi nạp; tệp có bất kỳ lỗi nào thì không ghi gì."))

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--list-changes", action="store_true", help=_("liệt kê từng thay đổi"))

    def handle(self, *args, file: Path, list_changes: bool = False, **options):
        with file_load_errors(file):
            report = plan_load(path=file)
        self.stdout.write(report.summary())
        if list_changes or options.get("verbosity", 1) > 1:
            for bucket in ("created", "updated", "deleted"):
                for line in getattr(report, bucket):
                    self.stdout.write(f"  {bucket}: {line}")
