"""Who reads, for the public face's downloads: the person of the session, or a system's key sent as
CKAN clients send one (`Authorization: tdsk_…`, `Authorization: SystemKey tdsk_…`, `X-CKAN-API-Key`).
The one parser of a client's secret, for the CKAN API too (`authorization_secret`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from tiendo.core.types import Actor
from tiendo.opendata.sharing import KEY_PREFIX, KeyRefusedError, rate_limit_take, systemkey_authenticate
from tiendo.opendata.sharing_selectors import SystemReader

# how clients send a secret: bare (CKAN's way), or after a scheme name
SECRET_SCHEMES = ("apitoken ", "bearer ", "token ", "systemkey ")


def authorization_secret(request: HttpRequest) -> str:
    """The secret a client sent — a system's key (tdsk_…) or an API token — in `Authorization`, bare
    or after one of SECRET_SCHEMES, or in CKAN's older `X-CKAN-API-Key`; "" when none."""
    header = request.headers.get("Authorization", "").strip()
    if header.lower().startswith(SECRET_SCHEMES):
        return header.split(None, 1)[1].strip() if " " in header else ""
    return header or request.headers.get("X-CKAN-API-Key", "").strip()


def _secret(request: HttpRequest) -> str:
    secret = authorization_secret(request)
    return secret if secret.startswith(KEY_PREFIX) else ""


def request_reader(request: HttpRequest, *, area: str) -> Actor | HttpResponse:
    """The reader, or the answer to send instead: 401 for a key that is unknown, expired or revoked,
    429 with Retry-After when the key's minute is spent."""
    secret = _secret(request)
    if not secret:
        return request.user
    try:
        key = systemkey_authenticate(secret)
    except KeyRefusedError as refused:
        return HttpResponse(str(refused.message), status=401, content_type="text/plain; charset=utf-8")
    if key is None:
        return HttpResponse(
            _("Khóa của hệ thống không hợp lệ."), status=401, content_type="text/plain; charset=utf-8"
        )
    wait = rate_limit_take(key)
    if wait is not None:
        response = HttpResponse(
            _("Quá %(n)s lần gọi trong một phút; thử lại sau %(s)s giây.")
            % {"n": key.rate_per_minute, "s": wait},
            status=429,
            content_type="text/plain; charset=utf-8",
        )
        response["Retry-After"] = str(wait)
        return response
    return SystemReader(key, area=area)
