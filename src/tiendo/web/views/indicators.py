"""The indicator page and its drill-down unit by unit: an indicator (plans) read through analytics."""

from __future__ import annotations

from decimal import Decimal

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from tiendo.analytics.drilldown import indicator_by_unit
from tiendo.analytics.selectors import history_chart, indicator_history, indicator_row
from tiendo.core.cache import cached_briefly
from tiendo.core.http import not_found_on_error
from tiendo.orgunits.boundaries import boundaries_for
from tiendo.plans.selectors import indicator_get

# ECharts' SVG renderer writes `style` attributes on the elements it draws (and its tooltips carry
# styled markers), so the two chart pages allow inline style *attributes* — never <style> elements,
# never inline script. Every other page allows no inline style at all.
CHART_PAGE_POLICY = {"style-src-attr": ["'unsafe-inline'"]}


@csp_update(CHART_PAGE_POLICY)
@not_found_on_error
def indicator_detail(request: HttpRequest, indicator_id: int) -> HttpResponse:
    indicator = indicator_get(user=request.user, indicator_id=indicator_id)
    row = indicator_row(user=request.user, indicator=indicator)
    history = indicator_history(user=request.user, indicator=indicator)
    chart = history_chart(indicator, history)
    return render(
        request,
        "web/indicator_detail.html",
        {
            "indicator": indicator,
            "row": row,
            "history": list(reversed(history)),
            "chart": chart,
            "stated_verdicts": indicator.stated_verdicts.order_by("-period"),
        },
    )


@csp_update(CHART_PAGE_POLICY)
@not_found_on_error
def indicator_units(request: HttpRequest, indicator_id: int) -> HttpResponse:
    """The indicator unit by unit: a league table (worst first by default) and the commune map."""
    indicator = indicator_get(user=request.user, indicator_id=indicator_id)
    period = request.GET.get("period") or None
    drill = cached_briefly(
        f"drilldown-page:{indicator.pk}:{period or ''}", lambda: indicator_by_unit(indicator, period=period)
    )
    order = request.GET.get("order", "worst")
    rows = list(drill.rows)
    higher = indicator.direction != indicator.Direction.LOWER
    if order in ("worst", "best"):
        reported = sorted(
            (r for r in rows if r.value is not None),
            key=lambda r: r.value or Decimal(0),  # the unreported are set aside just above
            reverse=(order == "best") == higher,
        )
        rows = reported + [r for r in rows if r.value is None]
    elif order == "name":
        rows.sort(key=lambda r: r.unit.name)
    boundaries = boundaries_for(indicator.plan.province)
    chart = {
        "values": {r.unit.code: float(r.value) for r in drill.rows if r.value is not None},
        "names": {r.unit.code: r.unit.name for r in drill.rows},
        "target": float(indicator.target_value) if indicator.target_value is not None else None,
        "measure": indicator.measure,
        "higher": higher,
        "mapUrl": reverse("boundaries", args=[indicator.plan.province.code]) if boundaries else None,
        "unitUrl": reverse("unit-detail", args=["CODE"]),
    }
    return render(
        request,
        "web/indicator_units.html",
        {
            "indicator": indicator,
            "drill": drill,
            "rows": rows,
            "order": order,
            "chart": chart,
            "has_map": bool(boundaries),
        },
    )
