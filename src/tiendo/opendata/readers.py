"""Who reads, for the public face's downloads: the person of the session, or a system's key sent as
CKAN clients send one (`Authorization: tdsk_…` or `Authorization: SystemKey tdsk_…`)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

from tiendo.core.types import Actor
from tiendo.opendata.sharing import KEY_PREFIX, KeyRefusedError, rate_limit_take, systemkey_authenticate
from tiendo.opendata.sharing_selectors import SystemReader


def _secret(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "").strip()
    if header.lower().startswith("systemkey "):
        header = header.split(None, 1)[1].strip()
    return header if header.startswith(KEY_PREFIX) else ""


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
