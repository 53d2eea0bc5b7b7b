"""The plan list: plans alone. The plan, indicator and drill-down pages compose analytics and live
in tiendo.web.views."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tiendo.core.http import not_found_on_error
from tiendo.plans.selectors import plan_list


@not_found_on_error
def plan_index(request: HttpRequest) -> HttpResponse:
    return render(request, "plans/plan_list.html", {"plans": plan_list(user=request.user)})
