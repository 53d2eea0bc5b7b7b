from datetime import date
from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.opendata.feeds import catalogue_feed_apply


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Đếm các bộ dữ liệu đã công bố của từng đơn vị và số được công khai dữ liệu mở, lưu vào "
            "DV_BDL_DC_TOTAL và DV_BDL_MO của quý hiện tại (chỉ tiêu II.7), kèm nguồn."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("--on", default="", help=gettext_lazy("tính như vào ngày này, dạng YYYY-MM-DD"))

    def handle(self, *args, on: str, **options):
        try:
            day = date.fromisoformat(on) if on else None
        except ValueError:
            self.stderr.write(_("--on phải là một ngày dạng YYYY-MM-DD, ví dụ 2026-12-31"))
            raise SystemExit(2) from None
        report = catalogue_feed_apply(on=day)
        self.stdout.write(
            _(
                "Kỳ %(period)s: %(publishers)s đơn vị, %(datasets)s bộ dữ liệu, %(open)s công khai; %(changed)s thay đổi."
            )
            % {
                "period": report.period,
                "publishers": report.publishers,
                "datasets": report.datasets,
                "open": report.open,
                "changed": report.changed,
            }
        )
