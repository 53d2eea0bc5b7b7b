"""DHIS2-compatible endpoints: `/api/dataValueSets` (JSON), so DHIS2 client libraries work unchanged.

Answers follow DHIS2 2.38+: a WebMessage (`httpStatus`, `httpStatusCode`, `status`, `message`,
`response`) around an ImportSummary; 409 Conflict when the import is refused. Authentication is
DHIS2's: HTTP Basic, `Authorization: ApiToken d2pat_…`, or a browser session (with CSRF on writes).
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from tiendo.api.auth import authenticate_header, token_allows
from tiendo.core.db_timeouts import ImportBusyError, ImportTimeoutError
from tiendo.reporting.datavaluesets import datavalueset_export, datavalueset_import

_TRUE = {"true", "1", "yes"}


def web_message(status_code: int, message: str, **extra: Any) -> JsonResponse:
    names = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        405: "Method Not Allowed",
        409: "Conflict",
        503: "Service Unavailable",
    }
    body = {
        "httpStatus": names.get(status_code, "Error"),
        "httpStatusCode": status_code,
        "status": "ERROR",
        "message": message,
        **extra,
    }
    response = JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})
    if status_code == 401:
        response["WWW-Authenticate"] = 'Basic realm="tiendo"'
    return response


def _csrf_refused(request: HttpRequest) -> bool:
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None  # type: ignore[arg-type]


def _caller(request: HttpRequest) -> tuple[Any, Any, JsonResponse | None]:
    """(user, token, None), or a refusal: wrong credentials, none at all, a session write without CSRF."""
    user, token, present = authenticate_header(request)
    if present and user is None:
        return None, None, web_message(401, gettext("Thông tin đăng nhập không đúng"))
    if present:
        return user, token, None
    if not request.user.is_authenticated:
        return None, None, web_message(401, gettext("Cần đăng nhập (Basic hoặc ApiToken)"))
    if request.method == "POST" and _csrf_refused(request):
        return None, None, web_message(403, gettext("Thiếu mã CSRF"))
    return request.user, token, None


def _export(request: HttpRequest, user: Any, token: Any) -> JsonResponse:
    if not token_allows(token, "read"):
        return web_message(403, gettext("Mã truy cập không có quyền đọc"))
    dataset_codes = request.GET.getlist("dataSet")
    periods = request.GET.getlist("period")
    units = request.GET.getlist("orgUnit")
    if not dataset_codes or not periods or not units:
        return web_message(400, gettext("Cần dataSet, period và orgUnit"))
    body = datavalueset_export(
        user=user,
        dataset_codes=dataset_codes,
        periods=periods,
        unit_codes=units,
        children=request.GET.get("children", "").lower() in _TRUE,
    )
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _read_payload(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    """The JSON body, or a refusal: not JSON, too large, unreadable."""
    content_type = request.content_type or ""
    if "json" not in content_type:
        return None, web_message(
            400, gettext("Chỉ nhận JSON application/json (nhận: %(type)s)") % {"type": content_type or "—"}
        )
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.TIENDO_DATAVALUESETS_MAX_BYTES
    if length > limit:
        sizes = {"length": length, "limit": limit}
        return None, web_message(
            413, gettext("Yêu cầu quá lớn (%(length)s byte, tối đa %(limit)s); chia nhỏ") % sizes
        )
    try:
        # read the stream directly: Django's 2.5 MiB body limit suits forms, not a 100,000-value import
        return json.loads(request.read(limit + 1) or b"{}"), None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, web_message(400, gettext("JSON không hợp lệ: %(error)s") % {"error": exc})


def _import(request: HttpRequest, user: Any, token: Any) -> JsonResponse:
    if not token_allows(token, "write"):
        return web_message(403, gettext("Mã truy cập không có quyền ghi"))
    payload, refused = _read_payload(request)
    if refused is not None:
        return refused
    try:
        summary = datavalueset_import(
            actor=user,
            payload=payload,
            dry_run=request.GET.get("dryRun", "").lower() in _TRUE,
            strategy=request.GET.get("importStrategy") or request.GET.get("strategy") or "CREATE_AND_UPDATE",
        )
    except (ImportBusyError, ImportTimeoutError) as exc:  # another import holds the reports; too long
        refused = web_message(exc.status_code, str(exc.message))
        refused["Retry-After"] = str(exc.retry_after)
        return refused
    body = summary.as_dhis2()
    return JsonResponse(body, status=body["httpStatusCode"], json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # header credentials are not ambient; a session write is CSRF-checked in _caller
def data_value_sets(request: HttpRequest, version: str | None = None) -> JsonResponse:
    """GET exports, POST imports; messages in the request's language (Accept-Language; Vietnamese by default)."""
    user, token, refused = _caller(request)
    if refused is not None:
        return refused
    if request.method == "GET":
        return _export(request, user, token)
    if request.method != "POST":
        return web_message(405, gettext("Chỉ GET và POST"))
    return _import(request, user, token)
