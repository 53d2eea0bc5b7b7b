"""The demo's accounts work in one command: it turns the required second factor off (saying so),
unless the operator set TIENDO_REQUIRE_2FA themself."""

from __future__ import annotations

from io import StringIO

from django.utils import translation

from tiendo.shell.management.commands.demo import Command


def test_the_demo_turns_the_required_second_factor_off_and_says_so(monkeypatch, settings):
    monkeypatch.delenv("TIENDO_REQUIRE_2FA", raising=False)
    settings.TIENDO_REQUIRE_2FA = True
    out = StringIO()
    command = Command(stdout=out)
    command._second_factor_note()
    assert settings.TIENDO_REQUIRE_2FA is False
    assert "TIENDO_REQUIRE_2FA=false" in out.getvalue()
    monkeypatch.delenv("TIENDO_REQUIRE_2FA", raising=False)  # the command set it for its workers


def test_the_demo_keeps_the_second_factor_when_the_operator_asks_for_it(monkeypatch, settings):
    monkeypatch.setenv("TIENDO_REQUIRE_2FA", "true")
    settings.TIENDO_REQUIRE_2FA = True
    out = StringIO()
    with translation.override("vi"):
        Command(stdout=out)._second_factor_note()
    assert settings.TIENDO_REQUIRE_2FA is True
    assert "BẮT BUỘC" in out.getvalue()


def test_reset_2fa_removes_a_users_devices_and_is_audited(db, django_user_model):
    from django.core.management import call_command
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from tiendo.core.models import AuditLog

    user = django_user_model.objects.create_user(username="lanhdao", password="x")
    TOTPDevice.objects.create(user=user, name="totp")
    StaticDevice.objects.create(user=user, name="backup")
    call_command("reset_2fa", "lanhdao", stdout=StringIO())
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not StaticDevice.objects.filter(user=user).exists()
    assert AuditLog.objects.get(action="auth.otp_reset").changes["removed"] == 2
