"""DHIS2-compatible endpoints: `/api/dataValueSets` (JSON), so DHIS2 client libraries work unchanged.

Answers follow DHIS2 2.38+: a WebMessage (`httpStatus`, `httpStatusCode`, `status`, `message`,
`response`) around an ImportSummary; 409 Conflict when the import is refused. Authentication is
DHIS2's: HTTP Basic, `Authorization: ApiToken d2pat_…`, or a browser session (with CSRF on writes).
"""

from __future__ import annotations

import json

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.views.decorators.csrf import csrf_exempt

from tiendo.api.auth import authenticate_header, token_allows
from tiendo.reporting.datavaluesets import datavalueset_export, datavalueset_import

_TRUE = {"true", "1", "yes"}


def web_message(status_code: int, message: str, **extra) -> JsonResponse:
    names = {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        405: "Method Not Allowed",
        409: "Conflict",
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


@csrf_exempt  # header credentials are not ambient; a session write is CSRF-checked below
def data_value_sets(request: HttpRequest, version: str | None = None) -> JsonResponse:
    user, token, present = authenticate_header(request)
    if present and user is None:
        return web_message(401, "Thông tin đăng nhập không đúng / invalid credentials")
    if not present:
        if not request.user.is_authenticated:
            return web_message(
                401, "Cần đăng nhập (Basic hoặc ApiToken) / authentication required (Basic or ApiToken)"
            )
        user = request.user
        if (
            request.method == "POST"
            and CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None
        ):
            return web_message(403, "Thiếu mã CSRF / CSRF verification failed")
    if request.method == "GET":
        if not token_allows(token, "read"):
            return web_message(403, "Mã truy cập không có quyền đọc / the token has no read scope")
        dataset_codes = request.GET.getlist("dataSet")
        periods = request.GET.getlist("period")
        units = request.GET.getlist("orgUnit")
        if not dataset_codes or not periods or not units:
            return web_message(
                400, "Cần dataSet, period và orgUnit / dataSet, period and orgUnit are required"
            )
        body = datavalueset_export(
            user=user,
            dataset_codes=dataset_codes,
            periods=periods,
            unit_codes=units,
            children=request.GET.get("children", "").lower() in _TRUE,
        )
        return JsonResponse(body, json_dumps_params={"ensure_ascii": False})
    if request.method != "POST":
        return web_message(405, "Chỉ GET và POST / only GET and POST")
    if not token_allows(token, "write"):
        return web_message(403, "Mã truy cập không có quyền ghi / the token has no write scope")
    content_type = request.content_type or ""
    if "json" not in content_type:
        return web_message(
            400, f"Chỉ nhận JSON / only application/json is accepted (got {content_type or 'nothing'})"
        )
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.TIENDO_DATAVALUESETS_MAX_BYTES
    if length > limit:
        return web_message(
            413,
            f"Yêu cầu quá lớn ({length} byte, tối đa {limit}); chia nhỏ / request too large ({length} bytes, at most {limit}); split it",
        )
    try:
        # read the stream directly: Django's 2.5 MiB body limit suits forms, not a 100,000-value import
        payload = json.loads(request.read(limit + 1) or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return web_message(400, f"JSON không hợp lệ / invalid JSON: {exc}")
    summary = datavalueset_import(
        actor=user,
        payload=payload,
        dry_run=request.GET.get("dryRun", "").lower() in _TRUE,
        strategy=request.GET.get("importStrategy") or request.GET.get("strategy") or "CREATE_AND_UPDATE",
    )
    body = summary.as_dhis2()
    return JsonResponse(body, status=body["httpStatusCode"], json_dumps_params={"ensure_ascii": False})
