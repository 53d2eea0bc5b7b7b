import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path
from typing import cast

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.analytics.models import Dossier
from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.services import audit_record
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.plans.services import SHIPPED_PLANS, SHIPPED_PLANS_DIR
from tiendo.reporting.forms_load import SHIPPED_FORMS

DEMO_PROVINCE = 51


def demo_boundaries_file() -> Path | None:
    """Commune boundaries for the map: TIENDO_BOUNDARIES, or the test file beside the checkout."""
    configured = os.environ.get("TIENDO_BOUNDARIES")
    candidates = [Path(configured)] if configured else []
    candidates.append(
        Path(settings.BASE_DIR).parents[2] / "shared" / "geo" / "quang-ngai-communes-2025.geojson"
    )
    return next((path for path in candidates if path.is_file()), None)


# username → (unit code, role, is office admin)
DEMO_USERS = {
    "admin": ("51", Membership.Role.ADMIN),
    "skhcn.duyet": ("SKHCN", Membership.Role.REVIEWER),
    "tinhkhe.baocao": ("21211", Membership.Role.REPORTER),
    "tinhkhe.xem": ("21211", Membership.Role.VIEWER),
    "vantuong.vanhanh": ("21061", Membership.Role.OPERATOR),
    "syt.dulieu": ("SYT", Membership.Role.ADMIN),  # the health department's data steward (open data)
}


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Dựng bản chạy thử (cơ sở dữ liệu, các đơn vị của Quảng Ngãi, kế hoạch 2025 và 2026, người dùng thử)"
            " rồi chạy nó."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help=gettext_lazy("chỉ dựng, không chạy"))
        parser.add_argument(
            "--dossiers",
            type=int,
            default=30000,
            help=gettext_lazy("số hồ sơ dịch vụ công MÔ PHỎNG của năm nay cần nạp (0: không nạp)"),
        )
        parser.add_argument(
            "--no-ioc",
            action="store_true",
            help=gettext_lazy("không chạy kèm bộ nhận MQTT, bộ mô phỏng IOC và tác vụ nền"),
        )
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=8000)

    def handle(self, *args, no_serve: bool, no_ioc: bool, host: str, port: int, dossiers: int, **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write(
            _("cơ sở dữ liệu sẵn sàng: %(name)s") % {"name": settings.DATABASES["default"]["NAME"]}
        )
        call_command("load_units", province=DEMO_PROVINCE, stdout=self.stdout)
        for name in SHIPPED_PLANS:
            call_command("load_plan", str(SHIPPED_PLANS_DIR / name), stdout=self.stdout)
        call_command("load_forms", str(SHIPPED_FORMS), stdout=self.stdout)
        call_command("load_ioc", stdout=self.stdout)
        boundaries = demo_boundaries_file()
        if boundaries is not None:
            call_command("load_boundaries", str(boundaries), stdout=self.stdout)
        if dossiers and not Dossier.objects.exists():
            simulated = settings.DATA_DIR / "demo-dossiers-simulated.csv"
            call_command(
                "gen_dossiers",
                str(simulated),
                year=timezone.localdate().year,
                count=dossiers,
                stdout=self.stdout,
            )
            call_command("import_dossiers", str(simulated), stdout=self.stdout)
        # the open-data catalogue: the seed's tables, one dataset per indicator, II.7 counted from them
        call_command("opendata_load", stdout=self.stdout)
        call_command("opendata_build", create_indicator_datasets="quang-ngai-2026", stdout=self.stdout)
        call_command("opendata_feed", stdout=self.stdout)
        password = self._demo_users()
        credentials = settings.DATA_DIR / "demo-credentials.txt"
        credentials.write_text(
            "".join(f"{u}\t{password}\t{code}\t{role}\n" for u, (code, role) in DEMO_USERS.items()),
            encoding="utf-8",
        )
        credentials.chmod(0o600)
        self.stdout.write(
            "\n  "
            + _("CHỈ DÙNG THỬ — các tài khoản này chỉ có trong cơ sở dữ liệu thử")
            + "\n  "
            + _("Đăng nhập tại %(url)s") % {"url": f"http://{host}:{port}/accounts/login/"}
            + "\n"
            + "".join(f"    {label:<27} {user} / {password}\n" for user, label in self._labels())
            + "  "
            + _("(cũng ghi vào %(file)s)") % {"file": credentials}
            + "\n"
        )
        self._second_factor_note()
        if not no_serve:
            companions = [] if no_ioc else self._start_companions()
            try:
                call_command("serve", host=host, port=port)
            finally:
                for process in companions:
                    process.terminate()

    def _start_companions(self) -> list[subprocess.Popen]:
        """The IOC moving on a newcomer's screen: the MQTT consumer, the simulator (SIMULATED data)
        and the task worker (periodic IOC check, sensor figures, reminders), as child processes."""
        host, port = settings.TIENDO_MQTT_HOST, settings.TIENDO_MQTT_PORT
        commands = [["worker"]]
        try:
            socket.create_connection((host, port), timeout=2).close()
        except OSError:
            self.stdout.write(
                "  "
                + _(
                    "Không kết nối được MQTT %(host)s:%(port)s: IOC chạy không có bộ mô phỏng (cài mosquitto)."
                )
                % {"host": host, "port": port}
                + "\n"
            )
        else:
            commands += [["ingest"], ["simulate", "--rate", "0.2"]]
            self.stdout.write(
                "  " + _("IOC: bộ nhận MQTT và bộ mô phỏng đang chạy — số liệu MÔ PHỎNG tại /ioc/") + "\n"
            )
        if not os.environ.get("TIENDO_REDIS_URL"):
            try:  # live events cross from the consumer's process to the web's through Redis
                socket.create_connection(("127.0.0.1", 6379), timeout=2).close()
            except OSError:
                pass
            else:
                os.environ["TIENDO_REDIS_URL"] = settings.TIENDO_REDIS_URL = "redis://127.0.0.1:6379/0"
        base = [sys.executable, "-m", "tiendo.cli"]
        return [subprocess.Popen([*base, *command], env=os.environ.copy()) for command in commands]

    def _second_factor_note(self) -> None:
        """The demo turns the required second factor off (unless TIENDO_REQUIRE_2FA is set): a
        newcomer signs in with the printed password at once; anyone may still turn it on."""
        if "TIENDO_REQUIRE_2FA" in os.environ:
            required = settings.TIENDO_REQUIRE_2FA
        else:
            os.environ["TIENDO_REQUIRE_2FA"] = "false"  # for the server's worker processes too
            settings.TIENDO_REQUIRE_2FA = required = False
        if required:
            self.stdout.write(
                "  "
                + _("Xác thực hai bước BẮT BUỘC với admin và người duyệt: lần đăng nhập đầu sẽ yêu cầu bật.")
                + "\n"
            )
        else:
            self.stdout.write(
                "  "
                + _(
                    "Bản chạy thử TẮT yêu cầu xác thực hai bước (TIENDO_REQUIRE_2FA=false); khi chạy thật nó"
                    " bắt buộc với admin và người duyệt. Ai cũng có thể tự bật tại trang Tài khoản và bảo mật."
                )
                + "\n"
            )

    @staticmethod
    def _labels() -> list[tuple[str, str]]:
        return [
            ("admin", _("Văn phòng CĐS (admin):")),
            ("skhcn.duyet", _("người duyệt Sở KH&CN:")),
            ("tinhkhe.baocao", _("người báo cáo Xã Tịnh Khê:")),
            ("tinhkhe.xem", _("người xem Xã Tịnh Khê:")),
            ("vantuong.vanhanh", _("trực IOC Xã Vạn Tường (Dung Quất):")),
            ("syt.dulieu", _("quản trị dữ liệu mở Sở Y tế:")),
        ]

    @transaction.atomic
    def _demo_users(self) -> str:
        """A fresh random password on every run: the demo never ships a known default password."""
        password = "demo-" + secrets.token_urlsafe(9)
        user_model = get_user_model()
        for username, (code, role) in DEMO_USERS.items():
            user = user_model.objects.filter(username=username).first() or user_model(username=username)
            user.is_staff = user.is_superuser = role == Membership.Role.ADMIN
            user.set_password(password)
            user.save()
            unit = OrgUnit.objects.get(code=code)
            Membership.objects.update_or_create(user=user, unit=unit, defaults={"role": role})
            audit_record(
                actor=None,
                actor_label="tiendo demo",
                action="user.demo",
                obj=user,
                changes={"unit": code, "role": role},
            )
        return password
