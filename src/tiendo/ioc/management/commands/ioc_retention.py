from typing import cast

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.ioc.partitions import raw_retention_apply


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Xóa số đo thô của IOC cũ hơn N ngày (mặc định TIENDO_IOC_RAW_DAYS); số tổng hợp 5 phút, "
            "giờ, ngày được giữ mãi. Trên PostgreSQL bỏ cả phân vùng tháng đã hết hạn và tạo sẵn "
            "phân vùng các tháng tới. Chạy hằng ngày (cron, systemd timer)."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=settings.TIENDO_IOC_RAW_DAYS)

    def handle(self, *args, days: int, **options):
        if days < 1:
            self.stderr.write(_("--days phải từ 1 trở lên."))
            raise SystemExit(2)
        report = raw_retention_apply(days=days)
        self.stdout.write(
            _(
                "Đã giữ số đo thô từ %(cut)s: xóa %(rows)s số đo, bỏ %(dropped)s phân vùng, "
                "tạo %(made)s phân vùng mới."
            )
            % {
                "cut": report.cut.isoformat(timespec="seconds"),
                "rows": report.rows_deleted,
                "dropped": len(report.partitions_dropped),
                "made": len(report.partitions_made),
            }
        )
