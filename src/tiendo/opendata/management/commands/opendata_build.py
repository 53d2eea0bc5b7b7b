from typing import cast

from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.opendata.loader import indicator_datasets_create
from tiendo.opendata.models import Dataset, DatasetVersion
from tiendo.opendata.selectors import datasets_built
from tiendo.opendata.services import dataset_build


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Dựng lại các bộ dữ liệu lấy từ số liệu của tiendo (giá trị chỉ tiêu, số liệu biểu mẫu đã "
            "duyệt): phiên bản mới chỉ khi số liệu đổi. --create-indicator-datasets KẾ_HOẠCH: tạo (nếu "
            "chưa có) và công bố một bộ dữ liệu cho mỗi chỉ tiêu có công thức của kế hoạch."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("--dataset", default="", help=gettext_lazy("chỉ dựng bộ dữ liệu có tên này"))
        parser.add_argument(
            "--create-indicator-datasets",
            default="",
            metavar="PLAN_CODE",
            help=gettext_lazy("mã kế hoạch, ví dụ quang-ngai-2026"),
        )

    def handle(self, *args, dataset: str, create_indicator_datasets: str, **options):
        plan_code = create_indicator_datasets
        if plan_code:
            try:
                created = indicator_datasets_create(plan_code=plan_code)
            except ApplicationError as exc:
                raise CommandError(str(exc.message)) from None
            for made in created:
                if made.created:
                    self._line(made.dataset, made.version, _("tạo mới và công bố"))
            skip = {made.dataset.pk for made in created if made.created}
        else:
            skip = set()
        found = datasets_built(name=dataset, plan_code=plan_code).exclude(pk__in=skip)
        if dataset and not found.exists():
            raise CommandError(
                _("Không có bộ dữ liệu “%(name)s” dựng từ số liệu (chỉ tiêu hoặc biểu mẫu).")
                % {"name": dataset}
            )
        for one in found:
            self._line(one, dataset_build(dataset=one))

    def _line(self, dataset: Dataset, version: DatasetVersion | None, done: str = "") -> None:
        if version is None:
            outcome = _("không đổi")
        else:
            outcome = _("phiên bản mới %(number)s (%(rows)s dòng)") % {
                "number": version.number,
                "rows": version.row_count,
            }
        self.stdout.write(f"{dataset.name}: " + (f"{done}; {outcome}" if done else outcome))
