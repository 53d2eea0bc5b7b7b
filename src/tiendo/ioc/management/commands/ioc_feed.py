import re
from typing import cast

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.ioc.feeds import sensor_feeds_apply


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Tính số liệu tháng từ cảm biến IOC (số ngày VN_AQI Tốt/Trung bình, số giờ vượt báo động I) "
            "và lưu vào chỉ số dữ liệu của kế hoạch, kèm nguồn “từ N số đo của thiết bị X”."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--month", default="", help=gettext_lazy("tháng, dạng YYYY-MM (mặc định tháng này)")
        )

    def handle(self, *args, month: str, **options):
        if month and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", month):
            self.stderr.write(_("--month phải có dạng YYYY-MM, ví dụ 2026-11"))
            raise SystemExit(2)
        today = timezone.localdate()
        year, number = (int(month[:4]), int(month[5:])) if month else (today.year, today.month)
        report = sensor_feeds_apply(year=year, month=number)
        self.stdout.write(
            _("Kỳ %(period)s: %(figures)s số liệu, %(changed)s thay đổi.")
            % {"period": report.period, "figures": report.figures, "changed": report.changed}
        )
