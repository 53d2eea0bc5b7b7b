import threading
import time
from typing import cast

from django.core.management import call_command
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy("Chạy tác vụ nền (hàng đợi trong cơ sở dữ liệu) và xếp lịch nhắc hạn mỗi --every giây."),
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every",
            type=int,
            default=3600,
            help=gettext_lazy("số giây giữa hai lần nhắc hạn (mặc định 3600)"),
        )
        parser.add_argument(
            "--ioc-every",
            type=int,
            default=60,
            help=gettext_lazy(
                "số giây giữa hai lần kiểm tra định kỳ IOC: thiết bị im lặng, chỉ tiêu chệch hướng"
            ),
        )
        parser.add_argument(
            "--batch",
            action="store_true",
            help=gettext_lazy("xếp lịch nhắc một lần, chạy hết hàng đợi rồi thoát"),
        )

    def handle(self, *args, every: int, ioc_every: int, batch: bool, **options):
        from tiendo.ioc.alerts_tasks import ioc_check_task, ioc_feed_task
        from tiendo.opendata.tasks import opendata_feed_task
        from tiendo.reporting.tasks import send_reminders

        send_reminders.enqueue()
        ioc_check_task.enqueue()
        if batch:
            call_command("db_worker", batch=True, reload=False, startup_delay=False)
            return

        def schedule() -> None:
            while True:
                time.sleep(every)
                send_reminders.enqueue()
                ioc_feed_task.enqueue()
                opendata_feed_task.enqueue()

        def schedule_ioc() -> None:
            while True:
                time.sleep(max(ioc_every, 5))
                ioc_check_task.enqueue()

        threading.Thread(target=schedule, name="tiendo-reminder-schedule", daemon=True).start()
        threading.Thread(target=schedule_ioc, name="tiendo-ioc-check-schedule", daemon=True).start()
        self.stdout.write(
            _("tiendo worker: nhắc hạn mỗi %(every)s giây; đang xử lý hàng đợi tác vụ (Ctrl+C để dừng)")
            % {"every": every}
        )
        call_command("db_worker", reload=False)
