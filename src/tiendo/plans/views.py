from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from tiendo.analytics.selectors import indicator_history, indicator_row, plan_overview
from tiendo.plans.selectors import indicator_get, plan_get, plan_list, task_list
from tiendo.web.errors import not_found_on_error


@not_found_on_error
def plan_index(request: HttpRequest) -> HttpResponse:
    return render(request, "plans/plan_list.html", {"plans": plan_list(user=request.user)})


@not_found_on_error
def plan_detail(request: HttpRequest, code: str) -> HttpResponse:
    plan = plan_get(user=request.user, code=code)
    return render(
        request,
        "plans/plan_detail.html",
        {
            "plan": plan,
            "overview": plan_overview(user=request.user, plan=plan),
            "tasks": task_list(user=request.user, plan=plan),
        },
    )


@not_found_on_error
def indicator_detail(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = indicator_get(user=request.user, indicator_id=indicator_id)
    row = indicator_row(user=request.user, indicator=indicator)
    history = indicator_history(user=request.user, indicator=indicator)
    chart = {
        "labels": [p.data_value.period for p in history],
        "values": [float(p.data_value.value) if p.data_value.value is not None else None for p in history],
        "target": float(indicator.target_value) if indicator.target_value is not None else None,
        "measure": indicator.measure,
        "targetLabel": str(indicator.target_text),
    }
    return render(
        request,
        "plans/indicator_detail.html",
        {
            "indicator": indicator,
            "row": row,
            "history": list(reversed(history)),
            "chart": chart,
            "stated_verdicts": indicator.stated_verdicts.order_by("-period"),
        },
    )
