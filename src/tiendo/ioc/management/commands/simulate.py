import signal
import threading
from typing import cast

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.ioc.simulate import Simulator, parse_spike, simulated_devices


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        _(
            "Phát qua MQTT số liệu MÔ PHỎNG (không phải số đo thật) của các thiết bị đánh dấu mô phỏng "
            "trong danh mục IOC: không khí, mực nước sông, tàu cá quanh Lý Sơn, camera, hồ sơ dịch vụ công."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default=getattr(settings, "TIENDO_MQTT_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=getattr(settings, "TIENDO_MQTT_PORT", 1883))
        parser.add_argument(
            "--rate",
            type=float,
            default=1.0,
            help=_("số lượt gửi mỗi giây (mỗi lượt: mọi chỉ số của mọi thiết bị)"),
        )
        parser.add_argument(
            "--duration", type=float, default=0.0, help=_("dừng sau số giây này (0: chạy đến khi bị dừng)")
        )
        parser.add_argument(
            "--seed", type=int, default=None, help=_("hạt giống ngẫu nhiên (cùng hạt giống, cùng số liệu)")
        )
        parser.add_argument("--once", action="store_true", help=_("gửi một lượt rồi thoát"))
        parser.add_argument(
            "--devices", default="", help=_("chỉ các thiết bị này (mã, cách nhau bởi dấu phẩy)")
        )
        parser.add_argument(
            "--spike",
            action="append",
            default=[],
            metavar=_g("THIẾT_BỊ:CHỈ_SỐ=GIÁ_TRỊ"),
            help=_("ép một giá trị (vd. wl-trakhuc-01:water_level=7.0) ở lượt đầu, để trình diễn cảnh báo"),
        )
        parser.add_argument(
            "--spike-seconds",
            type=float,
            default=0.0,
            help=_("giữ giá trị ép trong số giây này (0: một lượt)"),
        )
        parser.add_argument(
            "--client-prefix", default="tiendo-sim", help=_("tiền tố mã khách MQTT của các thiết bị")
        )

    def handle(self, *args, **options):
        if options["rate"] <= 0:
            raise CommandError(_g("--rate phải lớn hơn 0"))
        codes = [code.strip() for code in options["devices"].split(",") if code.strip()]
        devices = simulated_devices(codes or None)
        missing = sorted(set(codes) - {d.code for d in devices})
        if missing:
            raise CommandError(
                _g("--devices: không có thiết bị mô phỏng mã %(codes)s") % {"codes": ", ".join(missing)}
            )
        if not devices:
            raise CommandError(_g("Danh mục IOC chưa có thiết bị mô phỏng nào (chạy tiendo load-ioc)"))
        spikes = []
        for text in options["spike"]:
            try:
                spike = parse_spike(text)
            except ValueError:
                raise CommandError(
                    _g("--spike: cần dạng THIẾT_BỊ:CHỈ_SỐ=GIÁ_TRỊ, nhận được %(text)s") % {"text": text}
                ) from None
            device = next((d for d in devices if d.code == spike.device), None)
            if device is None or spike.metric not in device.metrics:
                raise CommandError(
                    _g("--spike: thiết bị mô phỏng %(device)s không có chỉ số %(metric)s")
                    % {"device": spike.device, "metric": spike.metric}
                )
            spikes.append(spike)
        simulator = Simulator(
            devices,
            host=options["host"],
            port=options["port"],
            rate=options["rate"],
            seed=options["seed"],
            spikes=spikes,
            spike_seconds=options["spike_seconds"],
            client_prefix=options["client_prefix"],
        )
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        try:
            report = simulator.run(stop, duration=options["duration"], once=options["once"])
        except (ConnectionError, OSError) as exc:
            raise CommandError(
                _g("Không kết nối được MQTT %(host)s:%(port)s: %(error)s")
                % {"host": options["host"], "port": options["port"], "error": exc}
            ) from None
        self.stdout.write(
            _g(
                "MÔ PHỎNG: %(devices)s thiết bị, %(rounds)s lượt, %(published)s tin gửi, %(acked)s tin được xác nhận"
            )
            % {
                "devices": report.devices,
                "rounds": report.rounds,
                "published": report.published,
                "acked": report.acknowledged,
            }
        )
