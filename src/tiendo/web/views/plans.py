"""The plan page: the plan (plans) with its indicators evaluated (analytics) and its tasks."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tiendo.analytics.selectors import plan_overview
from tiendo.core.http import not_found_on_error
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.selectors import plan_get, task_list


@not_found_on_error
def plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    plan = plan_get(user=request.user, code=code)
    return render(
        request,
        "web/plan_detail.html",
        {
            "plan": plan,
            "overview": plan_overview(user=request.user, plan=plan),
            "tasks": task_list(user=request.user, plan=plan),
            "is_office": user_is_office_admin(request.user),
        },
    )
