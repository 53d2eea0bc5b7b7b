"""The `tiendo` command: one entry point for operators.

`tiendo demo`, `tiendo serve`, `tiendo load-plan FILE`, `tiendo load-units --province 51`,
`tiendo createadmin`, `tiendo check` … are Django management commands under friendlier names;
any other Django command works too (`tiendo migrate`, `tiendo shell`).

It speaks the operator's language: `--lang vi|en` anywhere on the line (taken out before Django
reads the arguments), else LC_ALL / LC_MESSAGES / LANG (en* → English, otherwise Vietnamese).
"""

from __future__ import annotations

import os
import sys

from tiendo.core.env import operator_gettext, operator_language


def gettext_noop(message: str) -> str:
    """Marks a msgid for the catalogue (makemessages knows the name) without needing Django's settings."""
    return message


# name shown in `tiendo --help` → (management command, one-line help: a msgid, translated when shown)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "demo",
        gettext_noop(
            "migrate, nạp các đơn vị, các kế hoạch kèm theo và người dùng thử, rồi chạy tại 127.0.0.1:8000"
        ),
    ),
    "serve": ("serve", gettext_noop("chạy trang web bằng uvicorn (ASGI)")),
    "load-units": (
        "load_units",
        gettext_noop("nạp một tỉnh và các xã (vietnam-provinces) cùng các cơ quan của tỉnh"),
    ),
    "import-dossiers": (
        "import_dossiers",
        gettext_noop("nhập hồ sơ dịch vụ công (CSV, cập nhật theo dossier_id, tất cả hoặc không gì)"),
    ),
    "gen-dossiers": (
        "gen_dossiers",
        gettext_noop("ghi hồ sơ MÔ PHỎNG (CSV) theo số liệu năm 2025 của kế hoạch"),
    ),
    "recount-dossiers": ("recount_dossiers", gettext_noop("đếm lại hồ sơ của một năm (tính lại toàn bộ)")),
    "load-boundaries": (
        "load_boundaries",
        gettext_noop("gắn ranh giới (GeoJSON, theo mã đơn vị) cho bản đồ xã"),
    ),
    "load-plan": ("load_plan", gettext_noop("kiểm tra và nạp một tệp kế hoạch (YAML); báo mọi lỗi kèm dòng")),
    "load-ioc": (
        "load_ioc",
        gettext_noop("kiểm tra và nạp danh mục IOC (hệ thống, thiết bị, chỉ số đo; YAML)"),
    ),
    "ioc-check": (
        "ioc_check",
        gettext_noop("IOC: kiểm tra định kỳ — thiết bị im lặng quá hạn, chỉ tiêu của kế hoạch chệch hướng"),
    ),
    "ioc-feed": (
        "ioc_feed",
        gettext_noop("IOC: tính số liệu tháng từ cảm biến vào chỉ số dữ liệu của kế hoạch (kèm nguồn)"),
    ),
    "opendata-feed": (
        "opendata_feed",
        gettext_noop("dữ liệu mở: đếm bộ dữ liệu đã công bố và công khai của từng đơn vị (chỉ tiêu II.7)"),
    ),
    "opendata-load": (
        "opendata_load",
        gettext_noop("kiểm tra và nạp tệp bộ dữ liệu mở (YAML kèm CSV); báo mọi lỗi kèm dòng"),
    ),
    "opendata-build": (
        "opendata_build",
        gettext_noop("dữ liệu mở: dựng lại các bộ dữ liệu lấy từ chỉ tiêu, biểu mẫu (phiên bản mới khi đổi)"),
    ),
    "ioc-retention": (
        "ioc_retention",
        gettext_noop("IOC: xóa số đo thô cũ hơn N ngày (giữ số tổng hợp), tạo phân vùng các tháng tới"),
    ),
    "ingest": (
        "ingest",
        gettext_noop("nhận số đo IOC qua MQTT, ghi theo lô; chỉ xác nhận tin khi đã ghi (SIGTERM: dừng êm)"),
    ),
    "simulate": (
        "simulate",
        gettext_noop("phát qua MQTT số liệu MÔ PHỎNG của các thiết bị mô phỏng trong danh mục IOC"),
    ),
    "load-forms": (
        "load_forms",
        gettext_noop("kiểm tra và nạp một tệp biểu mẫu: chỉ số dữ liệu, biểu mẫu, nguồn của chỉ tiêu"),
    ),
    "report": (
        "report",
        gettext_noop(
            "ghi báo cáo đánh giá của một kế hoạch: DOCX (thể thức Nghị định 30/2020) hoặc bảng XLSX"
        ),
    ),
    "verify": (
        "verify",
        gettext_noop("kiểm tra chữ ký của một tệp PDF: người ký, thời điểm, nguyên vẹn hay bị sửa, hết hạn"),
    ),
    "create-token": ("create_token", gettext_noop("tạo mã truy cập cá nhân cho một hệ thống (ApiToken …)")),
    "list-tokens": ("list_tokens", gettext_noop("liệt kê các mã truy cập: chủ, phạm vi, hạn, lần dùng cuối")),
    "revoke-token": ("revoke_token", gettext_noop("thu hồi ngay một mã truy cập")),
    "rotate-token": (
        "rotate_token",
        gettext_noop("đổi mã truy cập: mã mới hiện một lần, mã cũ bị thu hồi ngay"),
    ),
    "createadmin": ("createadmin", gettext_noop("tạo quản trị viên Văn phòng CĐS (hỏi mật khẩu)")),
    "reset-2fa": (
        "reset_2fa",
        gettext_noop(
            "xóa xác thực hai bước của một tài khoản (mất điện thoại); mở khóa đăng nhập: axes_reset_username"
        ),
    ),
    "check": ("check", gettext_noop("báo lỗi cấu hình (thêm --deploy để kiểm tra cho môi trường chạy thật)")),
    "migrate": ("migrate", gettext_noop("tạo hoặc cập nhật các bảng cơ sở dữ liệu")),
    "worker": (
        "worker",
        gettext_noop("chạy tác vụ nền và xếp lịch nhắc hạn (--batch: một lần rồi thoát)"),
    ),
    "send-reminders": (
        "send_reminders",
        gettext_noop("gửi các lời nhắc hạn đến ngày hôm nay, mỗi lời một lần (hợp với cron)"),
    ),
}


def usage() -> str:
    _ = operator_gettext
    lines = [_("cách dùng: tiendo LỆNH [tùy chọn]"), "", _("các lệnh:")]
    lines += [f"  {name:<13} {_(text)}" for name, (_cmd, text) in COMMANDS.items()]
    lines += [
        "",
        _("`tiendo LỆNH --help` cho biết các tùy chọn của một lệnh; các lệnh Django khác cũng dùng được."),
    ]
    return "\n".join(lines)


def take_language(argv: list[str]) -> list[str]:
    """Remove `--lang X` / `--lang=X` from the arguments and remember X for this process."""
    rest: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--lang":
            os.environ["TIENDO_LANG"] = next(args, "vi")
        elif arg.startswith("--lang="):
            os.environ["TIENDO_LANG"] = arg.removeprefix("--lang=")
        else:
            rest.append(arg)
    return rest


def main(argv: list[str] | None = None) -> None:
    argv = take_language(list(sys.argv if argv is None else argv))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiendo.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(usage())
        return
    name = argv[1]
    command = COMMANDS.get(name, (name.replace("-", "_"), ""))[0]
    import django
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line
    from django.utils import translation

    try:
        django.setup()
    except ImproperlyConfigured as exc:  # a malformed TIENDO_* variable: say which, without a traceback
        print(f"tiendo: {exc}", file=sys.stderr)
        sys.exit(2)
    translation.activate(operator_language())
    execute_from_command_line([argv[0], command, *argv[2:]])


if __name__ == "__main__":
    main()
