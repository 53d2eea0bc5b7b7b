"""What a locked-out client sees (django-axes' AXES_LOCKOUT_CALLABLE)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tiendo.core.auth_events import lockout_seconds_left


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """The sign-in page's "locked, try again in N minutes" (429 + Retry-After). Under /api/ the
    API has already answered 429 in its own error shape; that answer is kept."""
    if request.path.startswith("/api/") and isinstance(original_response, HttpResponse):
        return original_response
    username = ""
    if isinstance(credentials, dict):
        username = str(credentials.get("username") or "")
    username = username or request.POST.get("username", "")
    seconds = lockout_seconds_left(request, username)
    response = render(
        request,
        "web/accounts/locked_out.html",
        {"minutes": max(1, -(-seconds // 60)), "username": username},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response
