import logging
import signal
import threading
from typing import cast

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.ioc.mqtt import Consumer, ConsumerOptions


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        _(
            "Nhận số đo qua MQTT (QoS 1, phiên bền, chủ đề tiendo/<đơn vị>/<thiết bị>/<chỉ số>) và ghi "
            "vào cơ sở dữ liệu theo lô; chỉ xác nhận tin sau khi lô đã được ghi. Dừng êm bằng SIGTERM/Ctrl-C."
        ),
    )

    def add_arguments(self, parser):
        defaults = ConsumerOptions()
        parser.add_argument("--host", default=getattr(settings, "TIENDO_MQTT_HOST", defaults.host))
        parser.add_argument("--port", type=int, default=getattr(settings, "TIENDO_MQTT_PORT", defaults.port))
        parser.add_argument(
            "--client-id",
            default=getattr(settings, "TIENDO_MQTT_CLIENT_ID", defaults.client_id),
            help=_(
                "mã khách MQTT cố định của tiến trình này (mỗi tiến trình một mã; giữ nguyên giữa các lần chạy)"
            ),
        )
        parser.add_argument(
            "--group",
            default=defaults.group,
            help=_(
                "nhóm đăng ký chia sẻ ($share/<nhóm>/tiendo/+/+/+) để nhiều tiến trình chia tải; bỏ trống: "
                "một tiến trình, không mất tin khi môi giới khởi động lại (Mosquitto 2.0 không giữ đăng ký chia sẻ)"
            ),
        )
        parser.add_argument(
            "--batch-size", type=int, default=defaults.batch_size, help=_("số tin tối đa mỗi lô")
        )
        parser.add_argument(
            "--batch-ms",
            type=int,
            default=defaults.batch_ms,
            help=_("thời gian chờ tối đa để gom một lô (ms)"),
        )
        parser.add_argument(
            "--receive-maximum",
            type=int,
            default=defaults.receive_maximum,
            help=_("số tin chưa xác nhận tối đa trong bộ nhớ (Receive Maximum của MQTT v5)"),
        )
        parser.add_argument(
            "--session-expiry",
            type=int,
            default=defaults.session_expiry,
            help=_("giây môi giới giữ phiên và hàng đợi khi tiến trình vắng mặt"),
        )
        parser.add_argument("--stats-every", type=float, default=60.0, help=_("giây giữa hai dòng thống kê"))

    def handle(self, *args, **options):
        logging.getLogger("tiendo.ioc.mqtt").setLevel(logging.INFO)  # connections, retries, counts
        if not 1 <= options["batch_size"] <= options["receive_maximum"] <= 65535:
            raise CommandError(
                _g("--batch-size phải từ 1 đến --receive-maximum, và --receive-maximum tối đa 65535")
            )
        consumer_options = ConsumerOptions(
            host=options["host"],
            port=options["port"],
            client_id=options["client_id"],
            group=options["group"],
            batch_size=options["batch_size"],
            batch_ms=options["batch_ms"],
            receive_maximum=options["receive_maximum"],
            session_expiry=options["session_expiry"],
            stats_every=options["stats_every"],
        )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        stats = Consumer(consumer_options).run(stop)
        self.stdout.write(stats.line())
