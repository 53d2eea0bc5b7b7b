"""Evaluated views of plans: what the dashboards, pages and API show."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.db.models import Q
from django.utils import timezone

from tiendo.analytics.evaluation import (
    CHUA_DAT,
    CHUA_DEN_HAN,
    THIEU_SO_LIEU,
    Evaluation,
    evaluate_many,
    verdict_counts,
)
from tiendo.analytics.feed import COUNTED, DERIVED
from tiendo.analytics.models import DossierCount
from tiendo.analytics.progress import NOT_AVAILABLE, TARGET_ACHIEVED, Progress, progress_status, year_fraction
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.plans.models import Indicator, IndicatorGroup, Plan
from tiendo.plans.selectors import group_list, indicator_list
from tiendo.reporting.models import DataValue
from tiendo.reporting.periods import parse_period

User = Actor


@dataclass
class IndicatorRow:
    indicator: Indicator
    evaluation: Evaluation
    baseline: Evaluation | None = None

    @property
    def progress(self) -> Progress:
        """Open SDG progress status from the baseline (last year's figure) to the latest value."""
        indicator, evaluation = self.indicator, self.evaluation
        if indicator.direction == Indicator.Direction.MILESTONE:
            return Progress(TARGET_ACHIEVED if evaluation.verdict == "dat" else NOT_AVAILABLE)
        base = self.baseline
        return progress_status(
            baseline=float(base.value) if base is not None and base.value is not None else None,
            t0=year_fraction(parse_period(base.period).end) if base is not None and base.period else None,
            value=float(evaluation.value) if evaluation.value is not None else None,
            t=year_fraction(parse_period(evaluation.period).end) if evaluation.period else None,
            target=float(indicator.target_value) if indicator.target_value is not None else None,
            T=year_fraction(indicator.plan.ends_on),
            higher_is_better=indicator.direction != Indicator.Direction.LOWER,
        )

    @property
    def leads(self) -> list[OrgUnit | UnitGroup]:
        return [r.holder for r in self.indicator.responsibilities.all() if r.role == "lead"]

    @property
    def co_leads(self) -> list[OrgUnit | UnitGroup]:
        return [r.holder for r in self.indicator.responsibilities.all() if r.role == "co_lead"]

    @property
    def at_risk(self) -> bool:
        """Missed, missing data after the deadline, or (before it) a value still short of the target."""
        verdict = self.evaluation.verdict
        if verdict in (CHUA_DAT, THIEU_SO_LIEU):
            return True
        return verdict == CHUA_DEN_HAN and self.evaluation.value is not None


@dataclass
class GroupSummary:
    group: IndicatorGroup
    rows: list[IndicatorRow] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        return verdict_counts(r.evaluation for r in self.rows)


@dataclass
class PlanOverview:
    plan: Plan
    as_of: date
    groups: list[GroupSummary]

    @property
    def rows(self) -> list[IndicatorRow]:
        return [row for group in self.groups for row in group.rows]

    @property
    def counts(self) -> dict[str, int]:
        return verdict_counts(r.evaluation for r in self.rows)

    @property
    def at_risk(self) -> list[IndicatorRow]:
        return [r for r in self.rows if r.at_risk]


def today() -> date:
    return timezone.localdate()


def evaluate_indicators(
    *, user: User, indicators: list[Indicator], as_of: date | None = None, approved_only: bool = False
) -> list[IndicatorRow]:
    """Rows with verdicts, and the baselines' evaluations for progress, in one batch
    (`approved_only`: the public face, see `evaluate_many`)."""
    baseline_ids = {i.baseline_indicator_id for i in indicators if i.baseline_indicator_id}
    baselines = (
        list(
            Indicator.objects.filter(pk__in=baseline_ids).select_related(
                "plan__province", "group", "own_element", "numerator", "denominator"
            )
        )
        if baseline_ids
        else []
    )
    evaluations = evaluate_many(
        [*indicators, *baselines], as_of=as_of or today(), approved_only=approved_only
    )
    return [
        IndicatorRow(
            i,
            evaluations[i.pk],
            evaluations.get(i.baseline_indicator_id) if i.baseline_indicator_id else None,
        )
        for i in indicators
    ]


def indicator_rows(*, user: User, plan: Plan, as_of: date | None = None) -> list[IndicatorRow]:
    return evaluate_indicators(user=user, indicators=list(indicator_list(user=user, plan=plan)), as_of=as_of)


def indicator_row(*, user: User, indicator: Indicator, as_of: date | None = None) -> IndicatorRow:
    return evaluate_indicators(user=user, indicators=[indicator], as_of=as_of)[0]


def plan_overview(*, user: User, plan: Plan, as_of: date | None = None) -> PlanOverview:
    as_of = as_of or today()
    summaries = {g.pk: GroupSummary(g) for g in group_list(user=user, plan=plan)}
    for row in indicator_rows(user=user, plan=plan, as_of=as_of):
        summaries[row.indicator.group_id].rows.append(row)
    return PlanOverview(plan=plan, as_of=as_of, groups=list(summaries.values()))


@dataclass
class HistoryPoint:
    indicator: Indicator
    data_value: DataValue

    @property
    def period_end(self) -> date:
        return parse_period(self.data_value.period).end


def indicator_history(*, user: User, indicator: Indicator, approved_only: bool = False) -> list[HistoryPoint]:
    """Province-level values of this indicator and of its baseline chain (earlier plans), oldest first.

    Includes the values its formula computes from approved reports (source "computed").
    """
    from tiendo.analytics.evaluation import indicator_values
    from tiendo.analytics.formulas import computed_values

    chain: list[Indicator] = []
    current: Indicator | None = indicator
    while current is not None and current not in chain and len(chain) < 20:
        chain.append(current)
        current = current.baseline_indicator
    stated = indicator_values(chain, approved_only=approved_only)
    computed = computed_values(chain)
    points = [HistoryPoint(i, v) for i in chain for v in stated.get(i.pk, []) + computed.get(i.pk, [])]
    points.sort(key=lambda p: (p.period_end, p.data_value.source == DataValue.Source.COMPUTED))
    return points


def history_chart(indicator: Indicator, history: list[HistoryPoint]) -> dict[str, object]:
    """What indicator-chart.js draws: the values period by period and the target line."""
    return {
        "labels": [p.data_value.period for p in history],
        "values": [float(p.data_value.value) if p.data_value.value is not None else None for p in history],
        "target": float(indicator.target_value) if indicator.target_value is not None else None,
        "measure": indicator.measure,
        "targetLabel": str(indicator.target_text),
    }


def indicators_fed_by(*, user: User, unit: OrgUnit) -> list[Indicator]:
    """Indicators whose formula runs over this unit's data (so it has a rank on them): those of a
    form it reports, and those counted from the dossiers it handles."""
    fed = Q(source_form__units=unit)
    if DossierCount.objects.filter(unit=unit).exists():
        fed |= Q(numerator__code__in=DERIVED)
    return list(
        Indicator.objects.filter(fed, numerator__isnull=False)
        .distinct()
        .select_related("group", "plan__province", "own_element", "numerator", "denominator", "source_form")
        .order_by("-plan__year", "group__sort", "sort")
    )


@dataclass
class DossierMonth:
    month: date
    counts: dict[str, int]


def unit_dossier_months(*, user: User, unit: OrgUnit, year: int) -> list[DossierMonth]:
    """The unit's dossier counts month by month (public, like the drill-down they feed)."""
    rows = DossierCount.objects.filter(unit=unit, month__gte=year * 100 + 1, month__lte=year * 100 + 12)
    return [
        DossierMonth(date(year, row.month % 100, 1), {name: getattr(row, name) for name in COUNTED})
        for row in rows.order_by("month")
    ]
