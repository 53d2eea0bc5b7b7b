import threading
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Run background tasks (the database queue) and enqueue the deadline reminders every --every seconds."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--every", type=int, default=3600, help="seconds between reminder runs (default 3600)"
        )
        parser.add_argument(
            "--batch", action="store_true", help="enqueue reminders once, run everything queued, then exit"
        )

    def handle(self, *args, every: int, batch: bool, **options):
        from tiendo.reporting.tasks import send_reminders

        send_reminders.enqueue()
        if batch:
            call_command("db_worker", batch=True, reload=False, startup_delay=False)
            return

        def schedule() -> None:
            while True:
                time.sleep(every)
                send_reminders.enqueue()

        threading.Thread(target=schedule, name="tiendo-reminder-schedule", daemon=True).start()
        self.stdout.write(
            f"tiendo worker: reminders every {every} s; processing the task queue (Ctrl+C to stop)"
        )
        call_command("db_worker", reload=False)
