"""The API tokens page: the office's and the units' tokens, issue one (its secret shown once),
revoke or rotate one after a confirmation page. The rules live in `tiendo.reporting.tokens`."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.http import not_found_on_error
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.reporting.tokens import (
    SCOPES,
    IssuedToken,
    apitoken_create,
    apitoken_get,
    apitoken_revoke,
    apitoken_rotate,
    apitoken_state,
    apitokens_visible,
)


def _days(raw: str) -> int | None:
    if not raw.strip():
        return None
    try:
        return int(raw)
    except ValueError:
        raise ApplicationError(_("Số ngày hiệu lực phải là số nguyên"), field="days") from None


def _create(request: HttpRequest) -> IssuedToken:
    username = request.POST.get("username", "").strip() or request.user.get_username()
    unknown = NotFoundError(_("Không có người dùng: %(username)s") % {"username": username}, field="username")
    owner = get_user_model().objects.filter(username=username).first()
    if owner is None:
        raise unknown
    try:
        return apitoken_create(
            actor=request.user,
            user=owner,
            name=request.POST.get("name", ""),
            scopes=request.POST.getlist("scopes"),
            days=_days(request.POST.get("days", "")),
        )
    except NotFoundError:  # a user outside the actor's units reads as one that does not exist
        raise unknown from None


def _page(
    request: HttpRequest, *, issued: IssuedToken | None = None, error: ApplicationError | None = None
) -> HttpResponse:
    tokens = list(apitokens_visible(user=request.user))
    context = {
        "rows": [(token, apitoken_state(token)) for token in tokens],
        "office": user_is_office_admin(request.user),  # only the office rotates others' tokens
        "issued": issued,
        "error": error,
        "scopes": SCOPES,
        "default_days": settings.TIENDO_TOKEN_DAYS,
        "max_days": settings.TIENDO_TOKEN_MAX_DAYS,
        "form": request.POST if error else {},
    }
    return render(request, "web/tokens.html", context, status=error.status_code if error else 200)


@never_cache  # the page that shows a new secret must not be kept by a browser or a proxy
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _page(request)
    try:
        issued = _create(request)
    except ApplicationError as exc:
        return _page(request, error=exc)
    return _page(request, issued=issued)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@not_found_on_error
def api_token_action(request: HttpRequest, token_id: int, action: str) -> HttpResponse:
    """GET: "revoke (or rotate) this token?"; POST: do it. Rotation shows the new secret once."""
    token = apitoken_get(user=request.user, token_id=token_id)
    if request.method == "GET":
        return render(request, "web/token_confirm.html", {"token": token, "action": action})
    try:
        if action == "rotate":
            return _page(request, issued=apitoken_rotate(actor=request.user, token=token))
        apitoken_revoke(actor=request.user, token=token, reason=request.POST.get("reason", ""))
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        return _page(request, error=exc)
    messages.success(request, _("Đã thu hồi mã %(name)s") % {"name": token.name})
    return redirect("api-tokens")
