"""DHIS2-compatible endpoints: `/api/dataValueSets` (JSON, XML, CSV), so DHIS2 client libraries work unchanged.

Answers follow DHIS2 2.38+: a WebMessage (`httpStatus`, `httpStatusCode`, `status`, `message`,
`response`) around an ImportSummary; 409 Conflict when the import is refused. Authentication is
DHIS2's: HTTP Basic, `Authorization: ApiToken d2pat_…`, or a browser session (with CSRF on writes).
The other resources DHIS2 clients call (system/info, me, dataSets, dataValues, job status) are in
`dhis2_resources`; docs/dhis2-compatibility.md lists what is and is not supported.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from tiendo.api.auth import authenticate_header, token_allows
from tiendo.core.db_timeouts import ImportBusyError, ImportTimeoutError
from tiendo.core.exceptions import TooManyAttemptsError
from tiendo.reporting.datavaluesets import datavalueset_export, datavalueset_import
from tiendo.reporting.datavaluesets.export import ExportQuery, flag, schemes_parse
from tiendo.reporting.datavaluesets.formats import (
    PayloadError,
    PayloadShapeError,
    csv_parse,
    csv_render,
    xml_parse,
    xml_render,
)
from tiendo.reporting.datavaluesets.jobs import datavalueset_import_enqueue
from tiendo.reporting.datavaluesets.schema import IdSchemes
from tiendo.reporting.tokens import TokenRefusedError

_STATUS_NAMES = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    503: "Service Unavailable",
}
FORMATS = {"json": "application/json", "xml": "application/xml", "csv": "application/csv"}


def web_message(status_code: int, message: str, **extra: Any) -> JsonResponse:
    body = {
        "httpStatus": _STATUS_NAMES.get(status_code, "Error"),
        "httpStatusCode": status_code,
        "status": "OK" if status_code < 300 else "ERROR",
        "message": message,
        **extra,
    }
    response = JsonResponse(body, status=status_code, json_dumps_params={"ensure_ascii": False})
    if status_code == 401:
        response["WWW-Authenticate"] = 'Basic realm="tiendo"'
    return response


def refused(exc: PayloadError, status_code: int = 409) -> JsonResponse:
    """A parameter or body that cannot be used: a WebMessage naming it."""
    return web_message(status_code, str(exc.message), property=exc.field, errorCode="E2000")


def _csrf_refused(request: HttpRequest) -> bool:
    return CsrfViewMiddleware(lambda r: None).process_view(request, None, (), {}) is not None  # type: ignore[arg-type]


def caller(
    request: HttpRequest, methods: tuple[str, ...] = ("GET", "HEAD")
) -> tuple[Any, Any, JsonResponse | None]:
    """(user, token, None), or a refusal: another method, a NUL in a parameter, wrong credentials,
    none at all, a session write without CSRF."""
    if request.method not in methods:
        allowed = ", ".join(methods)
        response = web_message(405, gettext("Chỉ nhận %(methods)s") % {"methods": allowed})
        response["Allow"] = allowed
        return None, None, response
    params = list(request.GET.lists())
    if request.content_type == "application/x-www-form-urlencoded":
        params += list(request.POST.lists())
    bad = next((k for k, v in params if any("\x00" in item for item in [k, *v])), None)
    if bad is not None:
        return None, None, web_message(409, gettext("Tham số chứa ký tự NUL"), property=bad)
    try:
        user, token, present = authenticate_header(request)
    except TooManyAttemptsError as exc:
        refused = web_message(429, str(exc.message))
        refused["Retry-After"] = str(exc.retry_after)
        return None, None, refused
    except TokenRefusedError as exc:  # revoked or expired: say which
        return None, None, web_message(401, str(exc.message), errorCode=exc.code)
    if present and user is None:
        return None, None, web_message(401, gettext("Thông tin đăng nhập không đúng"))
    if present:
        return user, token, None
    if not request.user.is_authenticated:
        return None, None, web_message(401, gettext("Cần đăng nhập (Basic hoặc ApiToken)"))
    if request.method not in ("GET", "HEAD", "OPTIONS") and _csrf_refused(request):
        return None, None, web_message(403, gettext("Thiếu mã CSRF"))
    return request.user, token, None


def wanted_format(request: HttpRequest, suffix: str | None) -> str:
    """json, xml or csv: the URL's suffix (.xml), else the Accept header, else JSON."""
    if suffix:
        return suffix
    accept = request.headers.get("Accept", "")
    for name, types in (("xml", ("application/xml", "text/xml")), ("csv", ("application/csv", "text/csv"))):
        if any(t in accept for t in types):
            return name
    return "json"


def _export(request: HttpRequest, user: Any, token: Any, fmt: str) -> HttpResponse:
    if not token_allows(token, "read"):
        return web_message(403, gettext("Mã truy cập không có quyền đọc"))
    try:
        query = ExportQuery.parse(request.GET.get, request.GET.getlist)
        body = datavalueset_export(user=user, query=query)
    except PayloadError as exc:
        return refused(exc)
    if fmt == "xml":
        return HttpResponse(xml_render(body), content_type="application/xml; charset=utf-8")
    if fmt == "csv":
        response = HttpResponse(csv_render(body), content_type="application/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="dataValueSet.csv"'
        return response
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _unstorable(text: str) -> bool:
    """NUL or a lone surrogate: text no database column stores."""
    if "\x00" in text:
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def json_parse(raw: bytes) -> Any:
    """The JSON body; text (a key or a value) holding NUL or a lone surrogate is refused."""
    payload = json.loads(raw or b"{}")
    pending = [payload]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            pending.extend(item.values())
            texts: list[Any] = list(item)
        elif isinstance(item, list):
            pending.extend(item)
            texts = []
        else:
            texts = [item]
        if any(isinstance(t, str) and _unstorable(t) for t in texts):
            raise PayloadShapeError(gettext("JSON chứa ký tự NUL hoặc Unicode không hợp lệ"), field="body")
    return payload


def _too_large(request: HttpRequest) -> JsonResponse | None:
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    limit = settings.TIENDO_DATAVALUESETS_MAX_BYTES
    if length <= limit:
        return None
    sizes = {"length": length, "limit": limit}
    return web_message(413, gettext("Yêu cầu quá lớn (%(length)s byte, tối đa %(limit)s); chia nhỏ") % sizes)


def _read_payload(request: HttpRequest) -> tuple[Any, JsonResponse | None]:
    """The body as the JSON payload's dict (from JSON, XML or CSV), or a refusal: another type,
    too large, unreadable."""
    content_type = (request.content_type or "").lower()
    kind = next((k for k in ("json", "xml", "csv") if k in content_type), None)
    if kind is None:
        message = gettext("Chỉ nhận application/json, application/xml hoặc application/csv (nhận: %(type)s)")
        return None, web_message(415 if content_type else 400, message % {"type": content_type or "—"})
    too_large = _too_large(request)
    if too_large is not None:
        return None, too_large
    # read the stream directly: Django's 2.5 MiB body limit suits forms, not a 100,000-value import
    raw = request.read(settings.TIENDO_DATAVALUESETS_MAX_BYTES + 1)
    if len(raw) > settings.TIENDO_DATAVALUESETS_MAX_BYTES:  # a body sent without Content-Length
        return None, web_message(413, gettext("Yêu cầu quá lớn; chia nhỏ"))
    try:
        if kind == "xml":
            return xml_parse(raw), None
        if kind == "csv":
            header = flag(request.GET.get, "firstRowIsHeader", default=True)
            return csv_parse(raw, first_row_is_header=header), None
        return json_parse(raw), None
    except PayloadError as exc:
        return None, refused(exc, exc.status_code)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return None, web_message(400, gettext("JSON không hợp lệ: %(error)s") % {"error": exc})
    except RecursionError:  # "[[[[…" nested deeper than the parser recurses: a 400, not a 500
        return None, web_message(400, gettext("JSON lồng nhau quá sâu"), property="body")


def _options(request: HttpRequest) -> dict[str, Any]:
    """The import's options from DHIS2's parameters (a wrong id scheme raises PayloadError)."""
    schemes = schemes_parse(request.GET.get)
    flag(request.GET.get, "firstRowIsHeader", default=True)  # checked whatever the body's format
    return {
        "dry_run": flag(request.GET.get, "dryRun"),
        "strategy": request.GET.get("importStrategy") or request.GET.get("strategy") or "CREATE_AND_UPDATE",
        "atomic": request.GET.get("atomicMode") or "ALL",
        "run_async": flag(request.GET.get, "async"),
        "id_schemes": {
            "data_element": schemes.data_element,
            "org_unit": schemes.org_unit,
            "data_set": schemes.data_set,
        },
    }


def _job_started(request: HttpRequest, user: Any, payload: Any, options: dict[str, Any]) -> JsonResponse:
    job_id = datavalueset_import_enqueue(actor=user, payload=payload, options=options)
    return web_message(
        200,
        "Initiated DATAVALUE_IMPORT",
        response={
            "responseType": "JobConfigurationWebMessageResponse",
            "name": "DATAVALUE_IMPORT",
            "id": job_id,
            "jobType": "DATAVALUE_IMPORT",
            "relativeNotifierEndpoint": f"/api/system/tasks/DATAVALUE_IMPORT/{job_id}",
        },
    )


def _import(request: HttpRequest, user: Any, token: Any) -> JsonResponse:
    if not token_allows(token, "write"):
        return web_message(403, gettext("Mã truy cập không có quyền ghi"))
    payload, refusal = _read_payload(request)
    if refusal is not None:
        return refusal
    try:
        options = _options(request)
    except PayloadError as exc:
        return refused(exc)
    if options.pop("run_async"):
        return _job_started(request, user, payload, options)
    schemes = IdSchemes(**options.pop("id_schemes"))
    try:
        summary = datavalueset_import(actor=user, payload=payload, id_schemes=schemes, **options)
    except (ImportBusyError, ImportTimeoutError) as exc:  # another import holds the reports; too long
        busy = web_message(exc.status_code, str(exc.message))
        busy["Retry-After"] = str(exc.retry_after)
        return busy
    body = summary.as_dhis2()
    return JsonResponse(body, status=body["httpStatusCode"], json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # header credentials are not ambient; a session write is CSRF-checked in caller
def data_value_sets(request: HttpRequest, version: str | None = None, fmt: str | None = None) -> HttpResponse:
    """GET exports (.json/.xml/.csv or Accept), POST imports (JSON, XML, CSV); messages in the request's
    language (Accept-Language; Vietnamese by default)."""
    user, token, refusal = caller(request, ("GET", "HEAD", "POST"))
    if refusal is not None:
        return refusal
    if request.method == "POST":
        return _import(request, user, token)
    return _export(request, user, token, wanted_format(request, fmt))
