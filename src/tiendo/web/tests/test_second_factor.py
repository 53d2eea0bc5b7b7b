"""TOTP second factor (django-otp): required for office admins and reviewers (enrol after the
password, then a code at each sign-in), optional for reporters; until verified a session reaches
only the enrol and verify pages; backup codes work once; every step is audited."""

from __future__ import annotations

import base64

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tiendo.core.models import AuditLog

pytestmark = pytest.mark.django_db


def code_for(device, offset=0):
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits) + offset:06d}"[-6:]


def sign_in(user):
    client = Client()
    response = client.post(reverse("login"), {"username": user.username, "password": "pw-" + user.username})
    assert response.status_code == 302
    return client


def enrol(client):
    page = client.get(reverse("otp-enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(confirmed=False)
    return device, client.post(reverse("otp-enrol"), {"code": code_for(device), "next": "/reports/"})


def test_an_office_admin_is_sent_to_enrol_after_the_password(office_admin):
    client = sign_in(office_admin)
    response = client.get(reverse("my-reports"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-enrol"))


def test_until_verified_an_office_admin_reaches_nothing_but_enrol_verify_and_logout(office_admin):
    client = sign_in(office_admin)
    for name in ("home", "my-reports", "certificates", "account-security", "admin:index"):
        assert client.get(reverse(name)).status_code == 302, name
    assert client.get("/api/v1/submissions").status_code == 401  # the session is not counted
    assert client.get(reverse("otp-enrol")).status_code == 200
    assert client.post(reverse("logout")).status_code == 302


def test_the_enrol_page_shows_an_inline_svg_qr_code_and_the_secret(skhcn_reviewer):
    client = sign_in(skhcn_reviewer)
    page = client.get(reverse("otp-enrol")).content.decode()
    device = TOTPDevice.objects.get(user=skhcn_reviewer)
    qr = page.split('id="otp-qr"')[1].split("</div>")[0]
    assert "<svg" in qr and "<img" not in qr  # drawn in the page, from no image service
    assert base64.b32encode(device.bin_key).decode() in page


def test_a_wrong_code_is_refused_at_enrolment_and_audited(office_admin):
    client = sign_in(office_admin)
    client.get(reverse("otp-enrol"))
    device = TOTPDevice.objects.get(user=office_admin)
    wrong = code_for(device, offset=1)
    response = client.post(reverse("otp-enrol"), {"code": wrong})
    assert response.status_code == 400
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("my-reports")).status_code == 302
    assert AuditLog.objects.filter(action="auth.otp_failed", actor=office_admin).exists()


def test_the_right_code_enrols_shows_backup_codes_once_and_lets_the_admin_in(office_admin):
    client = sign_in(office_admin)
    device, response = enrol(client)
    assert response.status_code == 200
    codes = StaticToken.objects.filter(device__user=office_admin).values_list("token", flat=True)
    assert len(codes) == 10
    assert all(code in response.content.decode() for code in codes)
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.get(reverse("my-reports")).status_code == 200
    assert AuditLog.objects.filter(action="auth.otp_enrolled", actor=office_admin).exists()
    assert client.get(reverse("otp-enrol")).status_code == 302  # no second enrolment page


def test_with_a_device_the_next_sign_in_asks_for_the_code(office_admin):
    first = sign_in(office_admin)
    device, _ = enrol(first)
    client = sign_in(office_admin)
    response = client.get(reverse("my-reports"))
    assert response["Location"].startswith(reverse("otp-verify"))
    assert client.get(reverse("otp-enrol")).status_code == 302  # cannot enrol a new device instead
    wrong = client.post(
        reverse("otp-verify"), {"code": "000000" if code_for(device) != "000000" else "111111"}
    )
    assert wrong.status_code == 400
    assert AuditLog.objects.filter(action="auth.otp_failed", actor=office_admin).exists()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0, last_t=-1)
    right = client.post(reverse("otp-verify"), {"code": code_for(device), "next": "/reports/"})
    assert right.status_code == 302
    assert right["Location"] == "/reports/"
    assert client.get(reverse("my-reports")).status_code == 200
    assert AuditLog.objects.filter(action="auth.otp_verified", actor=office_admin).exists()


def test_a_backup_code_works_once(office_admin):
    enrol(sign_in(office_admin))
    code = StaticToken.objects.filter(device__user=office_admin).first().token
    client = sign_in(office_admin)
    assert client.post(reverse("otp-verify"), {"code": code}).status_code == 302
    assert client.get(reverse("my-reports")).status_code == 200
    again = sign_in(office_admin)
    assert again.post(reverse("otp-verify"), {"code": code}).status_code == 400


def test_a_reporter_may_skip_the_second_factor(tinhkhe_reporter):
    client = sign_in(tinhkhe_reporter)
    assert client.get(reverse("my-reports")).status_code == 200
    assert client.get(reverse("account-security")).status_code == 200


def test_a_reporter_who_enrolled_is_asked_for_the_code_at_the_next_sign_in(tinhkhe_reporter):
    enrol(sign_in(tinhkhe_reporter))
    client = sign_in(tinhkhe_reporter)
    assert client.get(reverse("my-reports"))["Location"].startswith(reverse("otp-verify"))


def test_with_the_requirement_off_an_office_admin_is_not_asked(office_admin, settings):
    settings.TIENDO_REQUIRE_2FA = False
    client = sign_in(office_admin)
    assert client.get(reverse("my-reports")).status_code == 200


def test_the_test_client_signs_personas_in_with_a_verified_device(client, office_admin):
    client.force_login(office_admin)
    assert client.get(reverse("certificates")).status_code == 200
    client.force_login(office_admin, verified=False)
    client.logout()
    client.force_login(office_admin, verified=False)
    assert client.get(reverse("certificates")).status_code == 302


def test_new_backup_codes_replace_the_old_ones(client, office_admin):
    client.force_login(office_admin)
    old = set(StaticToken.objects.filter(device__user=office_admin).values_list("token", flat=True))
    response = client.post(reverse("otp-backup-codes"))
    new = set(StaticToken.objects.filter(device__user=office_admin).values_list("token", flat=True))
    assert response.status_code == 200 and len(new) == 10 and not (old & new)
    assert AuditLog.objects.filter(action="auth.otp_backup_codes").exists()


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_second_factor_pages_render_in_both_languages(office_admin, language):
    client = sign_in(office_admin)
    client.cookies["django_language"] = language
    page = client.get(reverse("otp-enrol")).content.decode()
    expected = {"vi": "Bật xác thực hai bước", "en": "Turn on two-step verification"}[language]
    assert expected in page


def test_totp_codes_of_a_past_window_are_refused(office_admin):
    client = sign_in(office_admin)
    client.get(reverse("otp-enrol"))
    device = TOTPDevice.objects.get(user=office_admin)
    stale = f"{totp(device.bin_key, step=device.step, t0=device.t0 - 10 * device.step, digits=6):06d}"
    assert client.post(reverse("otp-enrol"), {"code": stale}).status_code == 400
