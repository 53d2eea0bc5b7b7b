"""Session limits: signed out after TIENDO_SESSION_IDLE_MINUTES without a request, and after
TIENDO_SESSION_MAX_HOURS whatever happens (the cookie's age is the same cap).

The last activity is written to the session at most once a minute, not on every request
(SESSION_SAVE_EVERY_REQUEST would write the session row on each page view).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

STARTED = "tiendo_started"
SEEN = "tiendo_seen"
SECOND_FACTOR_STATE = "tiendo_2fa"  # written by accounts.second_factor at sign-in
SEEN_PRECISION = 60  # seconds: how stale the recorded last activity may be


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = request.session
        if SESSION_KEY in session:
            now = int(time.time())
            started, seen = session.get(STARTED), session.get(SEEN)
            if started is None or seen is None:
                session[STARTED] = session[SEEN] = now
            elif now - seen > settings.TIENDO_SESSION_IDLE_MINUTES * 60:
                self._expire(request, "idle")
            elif now - started > settings.TIENDO_SESSION_MAX_HOURS * 3600:
                self._expire(request, "max_age")
            elif now - seen >= SEEN_PRECISION:
                session[SEEN] = now
        return self.get_response(request)

    @staticmethod
    def _expire(request: HttpRequest, reason: str) -> None:
        request.tiendo_logout_reason = reason  # type: ignore[attr-defined]  # read by the audit row
        logout(request)
        messages.info(request, _("Phiên làm việc đã hết hạn; vui lòng đăng nhập lại."))


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """A new sign-in starts the clocks."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[STARTED] = request.session[SEEN] = now


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="tiendo.web.session.login")
