"""Authentication for systems, as DHIS2 does it: HTTP Basic for a user, `Authorization: ApiToken …`
for a personal access token. Browser sessions work too (the API then enforces CSRF on writes).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import secrets
from datetime import datetime, timedelta

from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.core.auth_events import lockout_seconds_left
from tiendo.core.exceptions import PermissionDeniedError, TooManyAttemptsError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.reporting.models import ApiToken

TOKEN_PREFIX = "d2pat_"
SCOPES = ("read", "write")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, actor: Actor | None, user: User, name: str, scopes: list[str], expires_at: datetime | None = None
) -> str:
    """Create a token and return it once (only its hash is stored). The office, or the user themself."""
    if actor is not None and actor.is_authenticated and actor != user and not actor.is_superuser:
        raise PermissionDeniedError(_("Chỉ chính người dùng hoặc quản trị được tạo mã"))
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        from tiendo.core.exceptions import ApplicationError

        raise ApplicationError(
            _("Phạm vi không hợp lệ: %(scopes)s (read, write)") % {"scopes": sorted(unknown) or "[]"},
            field="scopes",
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    row = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=token[:12],
        token_hash=_hash(token),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    audit_record(
        actor=actor,
        actor_label="tiendo create-token",
        action="apitoken.create",
        obj=row,
        changes={"user": user.get_username(), "scopes": row.scopes},
    )
    return token


def user_from_token(token: str) -> tuple[User, ApiToken] | None:
    row = ApiToken.objects.select_related("user").filter(token_hash=_hash(token), revoked=False).first()
    if row is None or not row.user.is_active:
        return None
    if row.expires_at is not None and row.expires_at <= timezone.now():
        return None
    now = timezone.now()
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):  # not a write per request
        ApiToken.objects.filter(pk=row.pk).update(last_used_at=now)
    return row.user, row


def authenticate_header(request: HttpRequest) -> tuple[User | None, ApiToken | None, bool]:
    """(user, token, header_was_present). A wrong credential gives (None, None, True): answer 401.
    Raises TooManyAttemptsError (429) for Basic while the username is locked out from this client."""
    header = request.headers.get("Authorization", "")
    if not header:
        return None, None, False
    scheme, _, credential = header.partition(" ")
    scheme = scheme.lower()
    if scheme in ("apitoken", "bearer"):
        found = user_from_token(credential.strip())
        return (found[0], found[1], True) if found else (None, None, True)
    if scheme == "basic":
        try:
            username, _, password = base64.b64decode(credential.strip()).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None, None, True
        # through Django's authenticate(): django-axes counts the failure and, while the client is
        # locked out, refuses before the password hasher runs (a wrong password stays cheap)
        user = authenticate(request, username=username, password=password)
        if user is None and getattr(request, "axes_locked_out", False):
            raise TooManyAttemptsError(retry_after=lockout_seconds_left(request, username))
        return user, None, True
    return None, None, True


def token_allows(token: ApiToken | None, scope: str) -> bool:
    return token is None or scope in token.scopes


def require_write_scope(request: HttpRequest) -> None:
    """A token without the write scope may read, never write (a session or Basic login may write)."""
    if not token_allows(getattr(request, "api_token", None), "write"):
        raise PermissionDeniedError(_("Mã truy cập không có quyền ghi"))


def authenticate_request(request: HttpRequest, *, scope: str) -> User | None:
    """The API's authenticator (settings.TIENDO_API_AUTHENTICATOR, called by core.api_access):
    Basic or ApiToken header, else the browser session (CSRF checked on writes). None means 401;
    a token without `scope` is a 403."""
    user, token, present = authenticate_header(request)
    if present:
        if user is None:
            return None
        request.user = user
        request.api_token = token  # type: ignore[attr-defined]
    elif request.user.is_authenticated:
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            from django.middleware.csrf import CsrfViewMiddleware

            reason = CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {})  # type: ignore[arg-type]
            if reason is not None:
                raise PermissionDeniedError(_("Thiếu hoặc sai mã CSRF (gửi header X-CSRFToken)"))
        request.api_token = None  # type: ignore[attr-defined]
    else:
        return None
    if scope == "write":
        require_write_scope(request)
    return request.user
