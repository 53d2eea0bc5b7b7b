import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tiendo.core.services import audit_record
from tiendo.orgunits.models import Membership, OrgUnit


class Command(BaseCommand):
    help = "Create (or reset) a CĐS-office administrator: a superuser with the admin role at the province."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument(
            "--province", default=None, help="province code (default: the only province loaded)"
        )
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--password-env",
            default=None,
            help="read the password from this environment variable instead of asking",
        )

    def handle(
        self, *args, username: str, province: str | None, email: str, password_env: str | None, **options
    ):
        provinces = OrgUnit.objects.filter(kind=OrgUnit.Kind.PROVINCE)
        if province:
            provinces = provinces.filter(code=province)
        if provinces.count() != 1:
            raise CommandError(
                "Chọn một tỉnh đã nạp bằng --province / load a province first, or name it with --province"
            )
        unit = provinces.get()
        if password_env:
            password = os.environ.get(password_env, "")
            if not password:
                raise CommandError(f"{password_env} is empty")
        else:
            password = getpass.getpass("Mật khẩu / Password: ")
            if password != getpass.getpass("Nhập lại / Again: "):
                raise CommandError("Hai mật khẩu khác nhau / the passwords differ")
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
            membership, _ = Membership.objects.update_or_create(
                user=user, unit=unit, defaults={"role": Membership.Role.ADMIN}
            )
            audit_record(
                actor=None,
                actor_label="tiendo createadmin",
                action="user.createadmin",
                obj=user,
                changes={"unit": unit.code},
            )
        self.stdout.write(f"{username}: quản trị Văn phòng CĐS / CĐS-office admin at {unit.name}")
