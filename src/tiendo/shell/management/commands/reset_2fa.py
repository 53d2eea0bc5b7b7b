from typing import cast

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.services import audit_record


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy(
            "Xóa xác thực hai bước của một tài khoản (mất điện thoại): lần đăng nhập sau người đó bật lại."
        ),
    )

    def add_arguments(self, parser):
        parser.add_argument("username")

    @transaction.atomic
    def handle(self, *args, username: str, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Không có người dùng: %(username)s") % {"username": username})
        removed = TOTPDevice.objects.filter(user=user).delete()[0]
        removed += StaticDevice.objects.filter(user=user).delete()[0]
        audit_record(
            actor=None,
            actor_label="tiendo reset-2fa",
            action="auth.otp_reset",
            obj=user,
            changes={"username": username, "removed": removed},
        )
        self.stdout.write(
            _(
                "Đã xóa xác thực hai bước của %(username)s; lần đăng nhập sau sẽ phải bật lại nếu vai trò yêu cầu."
            )
            % {"username": username}
        )
