"""Sign-in events in the audit log: logins, logouts, failures, lockouts, password and second-factor changes.

Django's `user_logged_in`, `user_logged_out` and `user_login_failed` signals (connected in
CoreConfig.ready) cover the login form, the admin and HTTP Basic on the API alike. A row holds the
username tried, the client's IP and user agent — never a password. A failure refused while the
client is locked out (django-axes) writes no row: a flood of them would fill the table; axes logs
them and the row of the failure that started the lockout says `locked_out`.
"""

from __future__ import annotations

import logging
import math
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Max
from django.http import HttpRequest
from django.utils import timezone

from tiendo.core.models import AuditLog

logger = logging.getLogger("tiendo.auth")

USER_AGENT_MAX = 300


def client_ip(request: HttpRequest | None) -> str:
    """The client's address as django-axes sees it (proxies per AXES_IPWARE_*), else REMOTE_ADDR."""
    if request is None:
        return ""
    ip = getattr(request, "axes_ip_address", None)
    if ip:
        return str(ip)
    try:
        from axes.helpers import get_client_ip_address

        return str(get_client_ip_address(request) or "")
    except Exception:
        return str(request.META.get("REMOTE_ADDR", ""))


def audit_auth_event(
    *,
    action: str,
    request: HttpRequest | None,
    user: Any = None,
    username: str = "",
    details: dict[str, Any] | None = None,
) -> AuditLog:
    """One audit row for a sign-in event; the object is the account (by id when it exists)."""
    user = user if user is not None and getattr(user, "is_authenticated", False) else None
    name = (user.get_username() if user is not None else username)[:150]
    changes: dict[str, Any] = {
        "username": name,
        "ip": client_ip(request),
        "user_agent": (request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[
            :USER_AGENT_MAX
        ],
        "path": request.path if request is not None else "",
    }
    changes.update(details or {})
    return AuditLog.objects.create(
        actor=user,
        actor_label=name or "anonymous",
        action=action,
        object_type="auth.user",
        object_id=str(user.pk) if user is not None else "",
        object_label=name,
        changes=changes,
    )


def lockout_seconds_left(request: HttpRequest, username: str) -> int:
    """Seconds until this username may try again from this client (the Retry-After); 0 if not locked."""
    from axes.models import AccessAttempt

    last = AccessAttempt.objects.filter(username=username, ip_address=client_ip(request)).aggregate(
        last=Max("attempt_time")
    )["last"]
    cooloff: timedelta = settings.AXES_COOLOFF_TIME
    if last is None:
        return math.ceil(cooloff.total_seconds())
    return max(1, math.ceil((last + cooloff - timezone.now()).total_seconds()))


def _on_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    audit_auth_event(action="auth.login", request=request, user=user)


def _on_logout(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    if user is None:
        return
    reason = getattr(request, "tiendo_logout_reason", "") if request is not None else ""
    audit_auth_event(action="auth.logout", request=request, user=user, details={"reason": reason or "user"})


def _on_login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get("username", ""))[:150]
    locked = bool(getattr(request, "axes_locked_out", False))
    if locked and getattr(request, "axes_failures_since_start", None) is None:
        # refused by axes before any password check: the lockout was recorded when it began
        logger.warning("login refused while locked out: %r from %s", username, client_ip(request))
        return
    audit_auth_event(
        action="auth.login_failed",
        request=request,
        username=username,
        details={"locked_out": locked},
    )


def connect() -> None:
    user_logged_in.connect(_on_login, dispatch_uid="tiendo.auth.login")
    user_logged_out.connect(_on_logout, dispatch_uid="tiendo.auth.logout")
    user_login_failed.connect(_on_login_failed, dispatch_uid="tiendo.auth.login_failed")
