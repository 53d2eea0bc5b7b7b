import getpass
import os
from typing import cast

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.services import audit_record
from tiendo.orgunits.models import Membership, OrgUnit


class Command(TranslatedHelpCommand):
    help = cast(
        str,
        gettext_lazy("Tạo (hoặc đặt lại) quản trị viên Văn phòng CĐS: superuser có vai trò quản trị ở tỉnh."),
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--province", default=None, help=gettext_lazy("mã tỉnh (mặc định: tỉnh duy nhất đã nạp)")
        )
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env",
            default=None,
            help=gettext_lazy("đọc mật khẩu từ biến môi trường này thay vì hỏi"),
        )

    def handle(
        self, *args, username: str, province: str | None, email: str, password_env: str | None, **options
    ):
        provinces = OrgUnit.objects.filter(kind=OrgUnit.Kind.PROVINCE)
        if province:
            provinces = provinces.filter(code=province)
        if provinces.count() != 1:
            raise CommandError(_("Hãy nạp một tỉnh trước, hoặc chọn tỉnh bằng --province"))
        unit = provinces.get()
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(_("%(name)s đang trống") % {"name": password_env})
        else:
            password = getpass.getpass(_("Mật khẩu: "))
            if password != getpass.getpass(_("Nhập lại: ")):
                raise CommandError(_("Hai mật khẩu khác nhau"))
        user_model = get_user_model()
        user = user_model.objects.filter(username=username).first() or user_model(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from None
        with transaction.atomic():
            user.email = email or user.email
            user.is_staff = True
            user.is_superuser = True
            user.set_password(password)
            user.save()
            membership, _created = Membership.objects.update_or_create(
                user=user, unit=unit, defaults={"role": Membership.Role.ADMIN}
            )
            audit_record(
                actor=None,
                actor_label="tiendo createadmin",
                action="user.createadmin",
                obj=user,
                changes={"unit": unit.code},
            )
        self.stdout.write(
            _("%(user)s: quản trị Văn phòng CĐS tại %(unit)s") % {"user": username, "unit": unit.name}
        )
