"""Authentication for systems, as DHIS2 does it: HTTP Basic for a user, `Authorization: ApiToken …`
for a personal access token. Browser sessions work too (the API then enforces CSRF on writes).
"""

from __future__ import annotations

import base64
import binascii

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.models import User
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from tiendo.core.auth_events import lockout_seconds_left
from tiendo.core.exceptions import PermissionDeniedError, TooManyAttemptsError
from tiendo.core.types import Actor
from tiendo.orgunits.selectors import user_requires_second_factor
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import (
    SCOPES,
    TOKEN_PREFIX,
    TokenRefusedError,
    apitoken_authenticate,
    apitoken_create,
)

__all__ = ["SCOPES", "TOKEN_PREFIX", "authenticate_header", "authenticate_request", "token_create"]


def token_create(
    *, actor: Actor | None, user: User, name: str, scopes: list[str], days: int | None = None
) -> str:
    """Issue a token and return its secret (scripts, tests); the service, with its rules, is
    `tiendo.reporting.tokens.apitoken_create`."""
    return apitoken_create(actor=actor, user=user, name=name, scopes=scopes, days=days).secret


def user_from_token(token: str) -> tuple[User, ApiToken] | None:
    """(owner, token) for a usable token; None for an unknown one. A revoked or expired token raises
    TokenRefusedError (401, saying which)."""
    row = apitoken_authenticate(token)
    return (row.user, row) if row is not None else None


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
        if user is not None and settings.TIENDO_REQUIRE_2FA and user_requires_second_factor(user):
            # a password alone would open the API to a role whose web sign-in asks for a second
            # factor: such an account's systems use a token, which the office issues and can revoke
            raise TokenRefusedError(
                gettext(  # not `_`: the line that reads the credentials rebinds it
                    "Tài khoản này cần yếu tố xác thực thứ hai nên không dùng mật khẩu (Basic) với API: "
                    "hãy dùng mã truy cập (Authorization: ApiToken …)"
                ),
                code="second_factor_required",
            )
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
    token = getattr(request, "api_token", None)
    if token is not None and scope == "read" and not {"read", "write"} & set(token.scopes):
        raise PermissionDeniedError(_("Mã truy cập này chỉ dùng để nạp số đo (ingest), không đọc được"))
    if scope == "write":
        require_write_scope(request)
    elif scope == "ingest" and not token_allows(getattr(request, "api_token", None), "ingest"):
        raise PermissionDeniedError(_("Mã truy cập không có quyền nạp số đo (ingest)"))
    return request.user
