from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from ninja import Schema

if TYPE_CHECKING:
    from tiendo.plans.models import Plan


class PlanOut(Schema):
    id: int
    code: str
    year: int
    title: str
    title_en: str
    symbol: str
    issuer: str
    starts_on: date
    ends_on: date
    province: str

    @staticmethod
    def resolve_province(obj: Plan) -> str:
        return obj.province.code


class ProgressOut(Schema):
    status: str  # target_achieved, substantial_progress, moderate_progress, limited_progress, deterioration, not_available
    label: str
    ratio: float | None
    projection: float | None


class IndicatorOut(Schema):
    """An indicator with its latest value and verdict (dat, chua_dat, chua_den_han, thieu_so_lieu)."""

    id: int
    plan: str
    group: str
    number: str
    name: str
    name_en: str
    target: str
    target_value: float | None
    direction: str
    unit: str
    lead_text: str
    lead_units: list[str]
    co_lead_units: list[str]
    value: float | None
    value_text: str
    period: str | None
    verdict: str
    verdict_basis: str
    is_simulated: bool  # the value comes from simulated (demo) data
    progress: ProgressOut


class ProvenanceOut(Schema):
    plan: str
    indicator: str
    period: str
    value: float | None
    value_text: str
    unit: str
    source: str
    source_detail: str
    stored_by: str
    stored_at: datetime
    is_simulated: bool


class StatedVerdictOut(Schema):
    period: str
    verdict: str
    source: str
    reason: str


class IndicatorDetailOut(IndicatorOut):
    baseline: IndicatorOut | None
    history: list[ProvenanceOut]
    stated_verdicts: list[StatedVerdictOut]


class UnitValueOut(Schema):
    unit: str
    name: str
    kind: str
    numerator: float | None
    denominator: float | None
    value: float | None
    rank: int | None
    meets_target: bool | None


class DrillDownOut(Schema):
    indicator: int
    period: str | None
    periods: list[str]
    units: list[UnitValueOut]
