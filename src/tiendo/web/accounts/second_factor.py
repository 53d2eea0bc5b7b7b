"""The second factor (django-otp): TOTP from an authenticator app, and single-use backup codes.

Required for the roles `orgunits.selectors.user_requires_second_factor` names when
TIENDO_REQUIRE_2FA is on; optional for everyone else, but whoever has a confirmed device is asked
for its code. Until the session is verified it reaches only the enrol and verify pages, logout and
the language switch; under /api/ (and the CKAN API, /opendata/api/) such a session counts as anonymous (Basic and tokens are unchanged).

A session is verified when it holds django-otp's device key (`otp_login`). Whether a second factor
is due is decided once per sign-in and kept in the session, so a page costs no extra query.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import segno
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django_otp import DEVICE_ID_SESSION_KEY, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tiendo.core.auth_events import audit_auth_event
from tiendo.orgunits.selectors import user_requires_second_factor
from tiendo.web.accounts.session import SECOND_FACTOR_STATE
from tiendo.web.middleware import API_PREFIXES

BACKUP_CODES = 10
FREE, VERIFY, ENROL = "free", "verify", "enrol"
OPEN_URL_NAMES = ("otp-enrol", "otp-verify", "logout", "set_language", "login", "healthz")


def session_is_verified(request: HttpRequest) -> bool:
    return bool(request.session.get(DEVICE_ID_SESSION_KEY))


def _decide(user: Any) -> str:
    if user_has_device(user, confirmed=True):
        return VERIFY
    if settings.TIENDO_REQUIRE_2FA and user_requires_second_factor(user):
        return ENROL
    return FREE


def second_factor_due(request: HttpRequest) -> str:
    """FREE (nothing to ask), VERIFY (has a device: ask its code) or ENROL (role requires one);
    decided at sign-in (a session from before this feature is decided on its next request)."""
    state = request.session.get(SECOND_FACTOR_STATE)
    if state is None:
        state = request.session[SECOND_FACTOR_STATE] = _decide(request.user)
    return str(state)


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        request.session[SECOND_FACTOR_STATE] = _decide(user)


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="tiendo.web.second_factor.login")


class SecondFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._open_paths: tuple[str, ...] | None = None

    def open_paths(self) -> tuple[str, ...]:
        if self._open_paths is None:
            self._open_paths = (
                *(reverse(name) for name in OPEN_URL_NAMES),
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
            )
        return self._open_paths

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if SESSION_KEY in request.session and not session_is_verified(request):
            due = second_factor_due(request)
            if due != FREE:
                if request.path.startswith(API_PREFIXES):
                    request.user = AnonymousUser()  # the session does not count until verified
                elif not request.path.startswith(self.open_paths()):
                    target = reverse("otp-verify" if due == VERIFY else "otp-enrol")
                    return redirect(target + "?" + urlencode({"next": request.get_full_path()}))
        return self.get_response(request)


def enrolment_device(user: Any) -> TOTPDevice:
    """The user's unconfirmed TOTP device (the same secret across reloads), created when missing."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("id").first()
    return device or TOTPDevice.objects.create(user=user, name="totp", confirmed=False)


def secret_base32(device: TOTPDevice) -> str:
    return base64.b32encode(device.bin_key).decode("ascii")


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG (no image service, no script)."""
    return str(segno.make(device.config_url, error="m").svg_inline(scale=4, dark="#000", light="#fff"))


def _new_backup_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name="backup", confirmed=True)
    codes = [StaticToken.random_token() for _ in range(BACKUP_CODES)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def totp_enrol(*, request: HttpRequest, device: TOTPDevice, token: str) -> list[str] | None:
    """Confirm the device with a code from the app; returns the new backup codes (shown once), or
    None when the code is wrong (audited either way)."""
    user = request.user
    if device.user_id != user.pk or device.confirmed or not device.verify_token(token.strip()):
        audit_auth_event(action="auth.otp_failed", request=request, user=user, details={"step": "enrol"})
        return None
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    codes = _new_backup_codes(user)
    otp_login(request, device)
    request.session[SECOND_FACTOR_STATE] = VERIFY
    audit_auth_event(action="auth.otp_enrolled", request=request, user=user, details={"device": "totp"})
    return codes


def second_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Check a TOTP code (6 digits) or a backup code against the user's confirmed devices. Each
    device throttles failures itself (django-otp: a growing wait after each wrong code)."""
    user = request.user
    token = token.strip().replace(" ", "")
    model: type[TOTPDevice] | type[StaticDevice] = (
        TOTPDevice if token.isdigit() and len(token) == 6 else StaticDevice
    )
    with transaction.atomic():
        device = next(
            (d for d in model.objects.devices_for_user(user).select_for_update() if d.verify_token(token)),
            None,
        )
    if device is None:
        audit_auth_event(action="auth.otp_failed", request=request, user=user, details={"step": "verify"})
        return False
    otp_login(request, device)
    kind = "backup_code" if isinstance(device, StaticDevice) else "totp"
    audit_auth_event(action="auth.otp_verified", request=request, user=user, details={"device": kind})
    return True


@transaction.atomic
def backup_codes_regenerate(*, request: HttpRequest) -> list[str]:
    codes = _new_backup_codes(request.user)
    audit_auth_event(action="auth.otp_backup_codes", request=request, user=request.user)
    return codes
