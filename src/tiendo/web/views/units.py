"""The unit page: a unit (orgunits) with its indicators (plans) evaluated and ranked (analytics),
its tasks, and for those who may see them its members and stored values (reporting)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from tiendo.analytics.drilldown import unit_ranks
from tiendo.analytics.selectors import evaluate_indicators, indicators_fed_by, unit_dossier_months
from tiendo.core.http import not_found_on_error
from tiendo.orgunits.selectors import unit_can_view_private, unit_get, unit_memberships
from tiendo.plans.selectors import indicators_for_unit, tasks_for_unit
from tiendo.reporting.selectors import datavalues_for_unit


@not_found_on_error
def unit_detail(request: HttpRequest, code: str) -> HttpResponse:
    unit = unit_get(user=request.user, code=code)
    indicators = list(indicators_for_unit(user=request.user, unit=unit))
    private = unit_can_view_private(request.user, unit)
    year = timezone.localdate().year
    context = {
        "unit": unit,
        "rows": evaluate_indicators(user=request.user, indicators=indicators),
        "ranks": unit_ranks(unit, indicators_fed_by(user=request.user, unit=unit)),
        "dossier_year": year,
        "dossier_months": unit_dossier_months(user=request.user, unit=unit, year=year),
        "tasks": tasks_for_unit(user=request.user, unit=unit),
        "can_view_private": private,
        "members": unit_memberships(user=request.user, unit=unit) if private else [],
        "data_values": datavalues_for_unit(user=request.user, unit=unit)[:200] if private else [],
        "children_count": unit.children.count(),
    }
    return render(request, "web/unit_detail.html", context)
