from typing import cast

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.ioc.alerting import alerts_check


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Kiểm tra định kỳ của IOC: thiết bị, chuỗi số đo im lặng quá N phút và chỉ tiêu của kế hoạch "
            "chệch hướng; phát sinh hoặc kết thúc cảnh báo, đánh dấu thiết bị mất kết nối."
        ),
    )

    def handle(self, *args, **options):
        run = alerts_check()
        self.stdout.write(
            _(
                "ioc-check: %(raised)s cảnh báo mới, %(cleared)s kết thúc, %(offline)s thiết bị mất kết nối, %(failed)s lỗi"
            )
            % run.summary()
        )
