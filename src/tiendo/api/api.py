"""/api/v1/: the one NinjaAPI; every domain error becomes {"error": {"code", "message", "field"}}."""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from tiendo import __version__
from tiendo.analytics.api import indicators_router
from tiendo.analytics.api import router as analytics_router
from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.api import router as orgunits_router
from tiendo.plans.api import router as plans_router
from tiendo.reporting.api import router as reporting_router
from tiendo.reporting.services import SubmissionInvalidError

api = NinjaAPI(
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


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    response = error_response(
        request, status=exc.status_code, code=exc.code, message=str(exc.message), field=exc.field
    )
    retry_after = getattr(exc, "retry_after", None)  # a busy or timed-out import (core.db_timeouts)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
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
    return error_response(request, status=exc.status_code, code="http_error", message=str(exc))


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("unhandled API error on %s", request.path)
    return error_response(request, status=500, code="server_error", message=_("Lỗi máy chủ"))
