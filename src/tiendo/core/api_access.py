"""Who may call an API operation, declared by the domain apps without importing the API face.

A domain router writes `auth=SIGNED_IN` (any signed-in user or system) or `auth=WRITE` (the same, and
a token must carry the write scope) on its operations. How a request is authenticated — HTTP Basic,
`Authorization: ApiToken …`, the browser session with CSRF — belongs to the `api` face; the class
here looks it up by name in the `TIENDO_API_AUTHENTICATOR` setting when a request arrives, the way
Django finds its AUTHENTICATION_BACKENDS, so the dependency points downwards only.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.module_loading import import_string
from ninja.security.base import AuthBase

Authenticator = Callable[..., Any]


class SystemOrSessionAuth(AuthBase):
    """django-ninja auth: Basic or ApiToken header, else the browser session (CSRF checked on writes)."""

    openapi_type = "http"
    openapi_scheme = "basic"

    def __init__(self, *, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def __call__(self, request: HttpRequest) -> Any:
        return _authenticator(settings.TIENDO_API_AUTHENTICATOR)(request, scope=self.scope)


@functools.cache
def _authenticator(path: str) -> Authenticator:
    """The callable a setting names, imported once per name (not on every request)."""
    authenticator: Authenticator = import_string(path)
    return authenticator


SIGNED_IN = SystemOrSessionAuth(scope="read")
WRITE = SystemOrSessionAuth(scope="write")
INGEST = SystemOrSessionAuth(scope="ingest")  # a token must carry the ingest scope (IOC readings)


# The error answers an operation may give, documented in /api/v1/openapi.json with the one error
# shape. tiendo.api adds those that follow from an operation's shape (a body, path or typed
# parameters, auth); a domain router adds the ones its own rules raise: `openapi_extra=raises(409)`.
ERROR_SCHEMA_REF = "#/components/schemas/Error"
ERROR_DESCRIPTIONS = {
    400: "Bad request: a domain rule refused the input, or the body is not JSON",
    401: "Authentication required (HTTP Basic, `Authorization: ApiToken …` or a session)",
    403: "Forbidden: the user may not do this, the token lacks the write scope, or CSRF failed",
    404: "Not found, or not visible to the caller (existence is not revealed)",
    409: "Conflict: the object changed since the version sent, its state forbids the step, or another import is running (Retry-After)",
    413: "Request body larger than DATA_UPLOAD_MAX_MEMORY_SIZE",
    422: "Invalid input: a parameter or field breaks its type or bound, or the data fails validation",
    429: "Too many requests",
    503: "The import ran past its time limit (TIENDO_IMPORT_STATEMENT_TIMEOUT); nothing was written",
}


def error_response_doc(status: int) -> dict[str, Any]:
    """One error response of the OpenAPI document: its description and the error shape."""
    return {
        "description": ERROR_DESCRIPTIONS[status],
        "content": {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}},
    }


def raises(*statuses: int) -> dict[str, Any]:
    """`openapi_extra` of an operation that answers these error statuses from its own rules."""
    return {"responses": {status: error_response_doc(status) for status in statuses}}
