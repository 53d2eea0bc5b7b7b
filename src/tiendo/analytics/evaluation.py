"""Evaluation of indicators against their targets (DESIGN.md §5).

Đạt when the value meets the target in its direction (≥ for higher, ≤ for lower); Chưa đạt when
the plan's period has ended without meeting it; "chưa đến hạn" before the period ends; "thiếu số
liệu" without data after it. Where no value can be computed (qualitative results, compound
targets) a stated verdict (a document's, or a person's with who and why) is used and marked so.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from tiendo.core.text import fold_for_search
from tiendo.plans.models import Indicator, Plan, StatedVerdict
from tiendo.reporting.models import DataValue
from tiendo.reporting.periods import parse_period

DAT = "dat"
CHUA_DAT = "chua_dat"
CHUA_DEN_HAN = "chua_den_han"
THIEU_SO_LIEU = "thieu_so_lieu"

VERDICT_LABELS = {
    DAT: _("Đạt"),
    CHUA_DAT: _("Chưa đạt"),
    CHUA_DEN_HAN: _("Chưa đến hạn"),
    THIEU_SO_LIEU: _("Thiếu số liệu"),
}
VERDICT_ORDER = [DAT, CHUA_DAT, CHUA_DEN_HAN, THIEU_SO_LIEU]
MILESTONE_DONE = "Hoàn thành"


@dataclass(frozen=True)
class Evaluation:
    verdict: str
    basis: str  # "computed" | "stated" | "none"
    value: Decimal | None = None
    value_text: str = ""
    period: str | None = None
    data_value: DataValue | None = None
    stated: StatedVerdict | None = None

    @property
    def label(self) -> str:
        return str(VERDICT_LABELS[self.verdict])

    @property
    def disagrees_with_document(self) -> bool:
        """True when a computed verdict contradicts the verdict a document states for the period."""
        return self.basis == "computed" and self.stated is not None and self.stated.verdict != self.verdict


def compare(*, value: Decimal, target: Decimal, direction: str) -> bool:
    if direction == Indicator.Direction.LOWER:
        return value <= target
    return value >= target


def _latest_longest(value: DataValue) -> tuple:
    period = parse_period(value.period)
    return (period.end, period.end - period.start, value.source == DataValue.Source.COMPUTED)


def evaluate(
    indicator: Indicator,
    *,
    values: list[DataValue],
    stated: list[StatedVerdict],
    as_of: date,
) -> Evaluation:
    """Evaluate one indicator from its province-level values for the plan year (latest period wins)."""
    plan = indicator.plan
    due = as_of > plan.ends_on
    in_plan = [v for v in values if parse_period(v.period).end.year == plan.year]
    # latest period last; of periods ending the same day the longest wins (the year so far, not its
    # last half, quarter or month); for the same period a computed value (from approved reports) wins
    in_plan.sort(key=_latest_longest)
    latest = in_plan[-1] if in_plan else None
    stated_for_year = next((s for s in stated if parse_period(s.period).end.year == plan.year), None)
    milestone = indicator.direction == Indicator.Direction.MILESTONE
    if (
        milestone
        and latest is not None
        and fold_for_search(latest.text_value) == fold_for_search(MILESTONE_DONE)
    ):
        return Evaluation(DAT, "computed", None, latest.text_value, latest.period, latest, stated_for_year)
    if latest is not None and latest.value is not None and indicator.target_value is not None:
        met = compare(value=latest.value, target=indicator.target_value, direction=indicator.direction)
        verdict = DAT if met else (CHUA_DAT if due else CHUA_DEN_HAN)
        return Evaluation(
            verdict, "computed", latest.value, latest.text_value, latest.period, latest, stated_for_year
        )
    if stated_for_year is not None:
        return Evaluation(
            stated_for_year.verdict,
            "stated",
            latest.value if latest else None,
            latest.text_value if latest else "",
            stated_for_year.period,
            latest,
            stated_for_year,
        )
    if latest is not None:
        if milestone and latest.text_value and due:  # the year is over and the milestone is not "Hoàn thành"
            return Evaluation(CHUA_DAT, "computed", None, latest.text_value, latest.period, latest)
        return Evaluation(
            CHUA_DEN_HAN if not due else THIEU_SO_LIEU,
            "none",
            latest.value,
            latest.text_value,
            latest.period,
            latest,
        )
    return Evaluation(CHUA_DEN_HAN if not due else THIEU_SO_LIEU, "none")


def evaluate_many(
    indicators: Iterable[Indicator], *, as_of: date, approved_only: bool = False
) -> dict[int, Evaluation]:
    """Evaluate indicators with a fixed number of queries, whatever their number.

    Values: the indicator's own element at the province (documents, the CĐS office) and the values
    its formula computes from approved reports (analytics.formulas). `approved_only` (the public
    face): a value stated on a report that is not approved yet is left out as well.
    """
    from tiendo.analytics.formulas import computed_values

    indicators = list(indicators)
    values = indicator_values(indicators, approved_only=approved_only)
    stated_by_indicator: dict[int, list[StatedVerdict]] = {}
    for stated in StatedVerdict.objects.filter(indicator__in=indicators):
        stated_by_indicator.setdefault(stated.indicator_id, []).append(stated)
    computed = computed_values(indicators)
    return {
        i.pk: evaluate(
            i,
            values=values.get(i.pk, []) + computed.get(i.pk, []),
            stated=stated_by_indicator.get(i.pk, []),
            as_of=as_of,
        )
        for i in indicators
    }


def indicator_values(
    indicators: list[Indicator], *, approved_only: bool = False
) -> dict[int, list[DataValue]]:
    """Values stated for the indicators themselves (own element, province level), in one query;
    `approved_only`: none from a report still in draft, submitted or returned."""
    from tiendo.analytics.formulas import APPROVED

    province_ids = {i.plan.province_id for i in indicators}
    element_ids = {i.own_element_id for i in indicators if i.own_element_id}
    by_element: dict[int, list[DataValue]] = {}
    stated = DataValue.objects.filter(data_element_id__in=element_ids, unit_id__in=province_ids)
    if approved_only:
        stated = stated.filter(APPROVED)
    for value in stated:
        by_element.setdefault(value.data_element_id, []).append(value)
    return {
        i.pk: [v for v in by_element.get(i.own_element_id or 0, []) if v.unit_id == i.plan.province_id]
        for i in indicators
    }


def verdict_counts(evaluations: Iterable[Evaluation]) -> dict[str, int]:
    counts = dict.fromkeys(VERDICT_ORDER, 0)
    for evaluation in evaluations:
        counts[evaluation.verdict] += 1
    return counts


def plan_is_due(plan: Plan, *, as_of: date) -> bool:
    return as_of > plan.ends_on
