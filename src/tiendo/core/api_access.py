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
