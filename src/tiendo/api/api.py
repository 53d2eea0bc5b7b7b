"""/api/v1/: the one NinjaAPI; every domain error becomes {"error": {"code", "message", "field"}}."""

import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from tiendo import __version__
from tiendo.analytics.api import indicators_router
from tiendo.analytics.api import router as analytics_router
from tiendo.api.dhis2_openapi import with_dhis2_paths
from tiendo.api.openapi import document_errors
from tiendo.core.exceptions import ApplicationError, TooManyAttemptsError
from tiendo.core.formatting import vnum
from tiendo.ioc.api import router as ioc_router
from tiendo.ioc.ingest import ReadingsRefusedError
from tiendo.orgunits.api import router as orgunits_router
from tiendo.plans.api import router as plans_router
from tiendo.reporting.api import router as reporting_router
from tiendo.reporting.services import SubmissionInvalidError


class TiendoAPI(NinjaAPI):
    """The NinjaAPI whose OpenAPI document lists every operation's error answers (tiendo.api.openapi)."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_errors(schema)
        return schema


api = TiendoAPI(
    title="tiendo API",
    version="1",
    description="Plans, indicators, units of a province's digital-transformation programme (tiendo "
    + __version__
    + '). Errors: {"error": {"code", "message", "field"}}.',
    urls_namespace="api-v1",
)
logger = logging.getLogger(__name__)
api.add_router("", plans_router)
api.add_router("", indicators_router)  # a plan's indicators, read through analytics
api.add_router("", orgunits_router)
api.add_router("", reporting_router)
api.add_router("", analytics_router)
api.add_router("", ioc_router)


def error_response(
    request: HttpRequest, *, status: int, code: str, message: str, field: str | None = None
) -> HttpResponse:
    return api.create_response(
        request, {"error": {"code": code, "message": message, "field": field}}, status=status
    )


@api.exception_handler(SubmissionInvalidError)
def on_invalid_submission(request: HttpRequest, exc: SubmissionInvalidError) -> HttpResponse:
    body = {
        "error": {
            "code": exc.code,
            "message": _("Báo cáo chưa hợp lệ"),
            "field": None,
            "violations": [
                {"severity": v.severity, "message": v.message, "element": v.element, "rule": v.rule}
                for v in exc.violations
            ],
        }
    }
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(ReadingsRefusedError)
def on_readings_refused(request: HttpRequest, exc: ReadingsRefusedError) -> HttpResponse:
    """A batch of readings with bad ones: nothing stored; every bad reading named with its reason."""
    body = {
        "error": {
            "code": exc.code,
            "message": str(exc.message),
            "field": exc.field,
            "refusals": [
                {
                    "reading": r.label,
                    "device": r.device,
                    "metric": r.metric,
                    "reason": r.reason,
                    "message": r.message,
                }
                for r in exc.refusals
            ],
        }
    }
    return api.create_response(request, body, status=exc.status_code)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    response = error_response(
        request, status=exc.status_code, code=exc.code, message=str(exc.message), field=exc.field
    )
    retry_after = getattr(exc, "retry_after", None)  # a busy or timed-out import (core.db_timeouts)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


@api.exception_handler(TooManyAttemptsError)
def on_too_many_attempts(request: HttpRequest, exc: TooManyAttemptsError) -> HttpResponse:
    response = on_application_error(request, exc)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    first = exc.errors[0] if exc.errors else {}
    loc = [str(part) for part in first.get("loc", []) if part not in ("query", "path", "body")]
    field = ".".join(loc) or None
    message = f"{field}: {first.get('msg', 'invalid')}" if field else first.get("msg", "invalid")
    return error_response(
        request,
        status=422,
        code="validation_error",
        message=_("Dữ liệu không hợp lệ — %(detail)s") % {"detail": message},
        field=field,
    )


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, code="not_found", message=_("Không tìm thấy"))


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(request, status=401, code="unauthenticated", message=_("Cần đăng nhập"))


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if (
        exc.status_code == 400
    ):  # django-ninja's only 400: a body that is not JSON (or not the form it expects)
        message = _("Không đọc được nội dung yêu cầu (cần JSON hợp lệ)")
        return error_response(request, status=400, code="unreadable_body", message=message, field="body")
    return error_response(request, status=exc.status_code, code="http_error", message=str(exc))


@api.exception_handler(RequestDataTooBig)
def on_body_too_large(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    """A body over DATA_UPLOAD_MAX_MEMORY_SIZE: Django refuses to read it; the client is told the limit."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    return error_response(
        request,
        status=413,
        code="too_large",
        message=_("Nội dung yêu cầu quá lớn: tối đa %(limit)s byte") % {"limit": vnum(limit)},
        field="body",
    )


@api.exception_handler(SuspiciousOperation)
def on_suspicious_request(request: HttpRequest, exc: SuspiciousOperation) -> HttpResponse:
    """Too many fields or files, a bad header…: Django's own refusals of a request, as a 400."""
    return error_response(request, status=400, code="bad_request", message=_("Yêu cầu không hợp lệ"))


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error on %s", request.path)
    return error_response(request, status=500, code="server_error", message=_("Lỗi máy chủ"))


# the DHIS2-compatible endpoints (plain views under /api/) described in the same document
api.get_openapi_schema = with_dhis2_paths(api.get_openapi_schema)  # type: ignore[method-assign]
