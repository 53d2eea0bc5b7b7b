"""One exception type for domain errors; the API maps it to {"error": {code, message, field}}."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class ApplicationError(Exception):
    """A domain error a user can act on. `message` is translated (gettext, or a lazy translation)."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: object, *, code: str | None = None, field: str | None = None) -> None:
        super().__init__(str(message))
        self.message = message
        if code is not None:
            self.code = code
        self.field = field


class NotFoundError(ApplicationError):
    """Also raised for objects the acting user may not see, so their existence is not revealed."""

    status_code = 404
    code = "not_found"

    def __init__(self, message: object = None, *, field: str | None = None) -> None:
        super().__init__(message or _("Không tìm thấy"), field=field)


class PermissionDeniedError(ApplicationError):
    status_code = 403
    code = "permission_denied"


class TooManyAttemptsError(ApplicationError):
    """Sign-in refused while the client is locked out (django-axes); answered 429 with Retry-After."""

    status_code = 429
    code = "too_many_attempts"

    def __init__(self, *, retry_after: int) -> None:
        minutes = max(1, -(-retry_after // 60))
        super().__init__(
            _("Đăng nhập sai quá nhiều lần; thử lại sau %(minutes)s phút") % {"minutes": minutes},
            field="Authorization",
        )
        self.retry_after = retry_after
