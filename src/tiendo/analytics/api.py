"""/api/v1/dossiers: systems (the province's public-service portal, LGSP) push dossier batches.

Below them, a plan's indicators as analytics reads them (value, verdict, progress, drill-down)."""

from __future__ import annotations

import re
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate

from tiendo.analytics.drilldown import indicator_by_unit
from tiendo.analytics.feed import dossiers_import
from tiendo.analytics.schemas import DossierBatchIn, DossierBatchOut
from tiendo.analytics.selectors import IndicatorRow, indicator_history, indicator_row, indicator_rows
from tiendo.core.api_access import WRITE, raises
from tiendo.core.api_paging import Pages
from tiendo.core.cache import cached_briefly_async
from tiendo.core.exceptions import ApplicationError
from tiendo.plans.schemas import DrillDownOut, IndicatorDetailOut, IndicatorOut, UnitValueOut
from tiendo.plans.selectors import indicator_get, plan_get

router = Router(tags=["analytics"])


@router.post(
    "/dossiers",
    response=DossierBatchOut,
    auth=WRITE,
    summary="Upsert a batch of public-service dossiers (all or nothing; idempotent on dossier_id)",
    openapi_extra=raises(409, 503),  # another import holds the lock (Retry-After); the import timed out
)
def dossiers_push(request: HttpRequest, body: DossierBatchIn):
    result = dossiers_import(
        records=[record.model_dump() for record in body.dossiers],
        feed=body.feed,
        actor=request.user,
        actor_label=f"API {request.user.get_username()}",
    )
    return {
        "rows": result.rows,
        "created": result.created,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "cells": len(result.cells),
    }


# A plan's indicators read through analytics (evaluation, progress, drill-down). They were
# tiendo.plans.api's until the layers were enforced (issue 9); paths, tags and operation ids stay.

indicators_router = Router(tags=["plans"])  # mounted right after the plans router, as before
PERIOD_KEY = re.compile(r"^[0-9]{4}([0-9]{2}|[0-9]{4}|[QS][1-4]|W[0-9]{1,2})?$")


def indicator_out(row: IndicatorRow) -> dict:
    indicator, evaluation = row.indicator, row.evaluation
    return {
        "id": indicator.pk,
        "plan": indicator.plan.code,
        "group": indicator.group.code,
        "number": indicator.number,
        "name": indicator.name,
        "name_en": indicator.name_en,
        "target": indicator.target_text,
        "target_value": indicator.target_value,
        "direction": indicator.direction,
        "unit": indicator.measure,
        "lead_text": indicator.lead_text,
        "lead_units": [h.name for h in row.leads],
        "co_lead_units": [h.name for h in row.co_leads],
        "value": evaluation.value,
        "value_text": evaluation.value_text,
        "period": evaluation.period,
        "verdict": evaluation.verdict,
        "verdict_basis": evaluation.basis,
        "is_simulated": bool(evaluation.data_value is not None and evaluation.data_value.is_simulated),
        "progress": {
            "status": row.progress.status,
            "label": row.progress.label,
            "ratio": row.progress.ratio,
            "projection": row.progress.projection,
        },
    }


@indicators_router.get(
    "/plans/{plan_id}/indicators",
    response=list[IndicatorOut],
    operation_id="tiendo_plans_api_plans_indicators",
    summary="A plan's indicators with value and verdict",
)
@paginate(Pages)
def plans_indicators(request: HttpRequest, plan_id: int):
    plan = plan_get(user=request.user, plan_id=plan_id)
    return [indicator_out(row) for row in indicator_rows(user=request.user, plan=plan)]


@indicators_router.get(
    "/indicators/{indicator_id}",
    response=IndicatorDetailOut,
    operation_id="tiendo_plans_api_indicators_get",
    summary="One indicator with its history and provenance",
)
def indicators_get(request: HttpRequest, indicator_id: int):
    indicator = indicator_get(user=request.user, indicator_id=indicator_id)
    row = indicator_row(user=request.user, indicator=indicator)
    baseline = None
    if indicator.baseline_indicator is not None:
        baseline_full = indicator_get(user=request.user, indicator_id=indicator.baseline_indicator.pk)
        baseline = indicator_out(indicator_row(user=request.user, indicator=baseline_full))
    history = [
        {
            "plan": p.indicator.plan.code,
            "indicator": p.indicator.label,
            "period": p.data_value.period,
            "value": p.data_value.value,
            "value_text": p.data_value.text_value,
            "unit": p.data_value.unit.code,
            "source": p.data_value.source,
            "source_detail": p.data_value.source_detail,
            "stored_by": p.data_value.stored_by_label or str(p.data_value.stored_by or ""),
            "stored_at": p.data_value.stored_at,
            "is_simulated": p.data_value.is_simulated,
        }
        for p in indicator_history(user=request.user, indicator=indicator)
    ]
    stated = [
        {"period": s.period, "verdict": s.verdict, "source": s.source, "reason": s.reason}
        for s in indicator.stated_verdicts.all().order_by("period")
    ]
    return {**indicator_out(row), "baseline": baseline, "history": history, "stated_verdicts": stated}


@indicators_router.get(
    "/indicators/{indicator_id}/units",
    response=DrillDownOut,
    operation_id="tiendo_plans_api_indicators_units",
    openapi_extra=raises(400),  # ?period= not a period identifier
    summary="The indicator unit by unit (approved data), ranked; worst first",
)
async def indicators_units(request: HttpRequest, indicator_id: int, period: str | None = None):
    """Public (approved values, like the pages citizens read); the answer is kept for a second
    (tiendo.core.cache) and goes out as prepared JSON. Async: a kept answer never leaves the event loop."""
    period = period or None  # `?period=` from a form left empty: the latest
    if period is not None and not PERIOD_KEY.match(period):
        raise ApplicationError(_("Kỳ không hợp lệ"), field="period")

    def build() -> bytes:
        indicator = indicator_get(user=request.user, indicator_id=indicator_id)
        drill = indicator_by_unit(indicator, period=period)
        higher = indicator.direction != indicator.Direction.LOWER
        ordered = sorted(
            (r for r in drill.rows if r.value is not None),
            key=lambda r: r.value or Decimal(0),
            reverse=not higher,
        )
        ordered += [r for r in drill.rows if r.value is None]
        answer = DrillDownOut(
            indicator=indicator.pk,
            period=drill.period,
            periods=drill.periods,
            units=[
                UnitValueOut(
                    unit=r.unit.code,
                    name=r.unit.name,
                    kind=r.unit.kind,
                    numerator=_float(r.numerator),
                    denominator=_float(r.denominator),
                    value=_float(r.value),
                    rank=r.rank,
                    meets_target=r.meets_target,
                )
                for r in ordered
            ],
        )
        return answer.model_dump_json().encode()

    body = await cached_briefly_async(f"drilldown:{indicator_id}:{period or ''}", build)
    return HttpResponse(body, content_type="application/json; charset=utf-8")


def _float(number: Decimal | None) -> float | None:
    return None if number is None else float(number)
