from __future__ import annotations

from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.defaults import page_not_found

from tiendo import __version__
from tiendo.analytics.selectors import plan_overview
from tiendo.plans.selectors import plan_list


def home(request: HttpRequest) -> HttpResponse:
    """The province's progress at a glance: every plan, latest first, with its verdicts and risks."""
    overviews = [plan_overview(user=request.user, plan=plan) for plan in plan_list(user=request.user)]
    return render(request, "web/home.html", {"overviews": overviews})


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """404 everywhere; under /api/ in the API's one error shape rather than an HTML page."""
    if request.path.startswith("/api/"):
        body = {"error": {"code": "not_found", "message": _("Không tìm thấy"), "field": None}}
        return JsonResponse(body, status=404)
    return page_not_found(request, exception or Http404())


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability for load balancers and `tiendo check` scripts."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except Exception as exc:  # any driver error means unhealthy; report it, do not crash
        database = f"error: {exc.__class__.__name__}"
    healthy = database == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "error", "database": database, "version": __version__},
        status=200 if healthy else 503,
    )
