"""Reads of the public progress pages (issue 12, item 1): the plan's targets and their status, and
one indicator's figures, as a citizen may see them — whoever asks.

Only public figures: values stated on a report count once the report is approved (never a draft,
a submitted or a returned one), the unit-by-unit figures are the approved ones (analytics'
drill-down), a unit its data's owner withheld (`WithheldUnit`) is left out with every unit below it,
and a dataset is linked only when published and public. The figures a page shows are one
`Figures`, and its downloads (`figures_table`) are made from that same object: exactly what is
shown, nothing more.

`progress_stamp` says when the public figures last changed: every write tiendo audits (approvals,
imports, manual values, verdicts, withheld units, indicators) moves the audit log, and the
feeds' values move their own `stored_at`; the stamp reads the newest of each, kept for a second
(`cached_briefly`, as the dashboards) so that twenty readers cost one look per second.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import Count, Max
from django.utils import timezone

from tiendo.analytics.drilldown import DrillDown, indicator_by_unit
from tiendo.analytics.models import DossierCount
from tiendo.analytics.selectors import (
    GroupSummary,
    HistoryPoint,
    IndicatorRow,
    PlanOverview,
    evaluate_indicators,
    indicator_history,
)
from tiendo.core.cache import cached_briefly
from tiendo.core.exceptions import NotFoundError
from tiendo.core.models import AuditLog
from tiendo.core.types import Actor
from tiendo.opendata.builders import simulated_units
from tiendo.opendata.models import Dataset
from tiendo.opendata.selectors import datasets_listed
from tiendo.opendata.tables import plain_number
from tiendo.opendata.withholding import withheld_paths
from tiendo.plans.models import Indicator, Plan
from tiendo.plans.selectors import group_list, indicator_list, plan_list
from tiendo.reporting.models import DataValue

# a change here changes every page's ETag (what the pages show was changed by a release)
PAGES_REVISION = "1"


# the reader the public pages read as, whoever is signed in: nobody in particular (no unit, no key)
PUBLIC: Actor = AnonymousUser()


def public_plans() -> list[Plan]:
    return list(plan_list(user=PUBLIC))


def public_plan(*, code: str | None = None) -> Plan:
    """The plan by its code; without one the latest (the year the province is working on)."""
    plans = plan_list(user=PUBLIC)
    found = plans.filter(code=code).first() if code else plans.first()
    if found is None:
        raise NotFoundError(field="plan")
    return found


def public_overview(*, plan: Plan, as_of: date | None = None) -> PlanOverview:
    """Every target of the plan with its verdict and progress status, group by group."""
    as_of = as_of or timezone.localdate()
    summaries = {g.pk: GroupSummary(g) for g in group_list(user=PUBLIC, plan=plan)}
    indicators = list(indicator_list(user=PUBLIC, plan=plan))
    for row in evaluate_indicators(user=PUBLIC, indicators=indicators, as_of=as_of, approved_only=True):
        summaries[row.indicator.group_id].rows.append(row)
    return PlanOverview(plan=plan, as_of=as_of, groups=list(summaries.values()))


def public_indicator(*, plan: Plan, label: str) -> Indicator:
    """By its label as the plan prints it ("II.7": the group's code, a dot, the number)."""
    group_code, dot, number = label.rpartition(".")
    found = (
        indicator_list(user=PUBLIC, plan=plan).filter(group__code=group_code, number=number).first()
        if dot
        else None
    )
    if found is None:
        raise NotFoundError(field="indicator")
    return found


@dataclass
class Figures:
    """What one indicator's public page shows, and so what its downloads hold."""

    indicator: Indicator
    row: IndicatorRow
    history: list[HistoryPoint]
    drill: DrillDown | None
    withheld: int = 0  # units left out of the drill-down, the ones below them included
    datasets: list[Dataset] = field(default_factory=list)
    simulated: set[int] = field(default_factory=set)  # units whose figure rests on simulated data

    @property
    def last_update(self) -> datetime | None:
        stamps = [p.data_value.stored_at for p in self.history if p.data_value.stored_at]
        return max(stamps) if stamps else None


def indicator_figures(
    *, indicator: Indicator, period: str | None = None, as_of: date | None = None
) -> Figures:
    row = evaluate_indicators(
        user=PUBLIC, indicators=[indicator], as_of=as_of or timezone.localdate(), approved_only=True
    )[0]
    history = indicator_history(user=PUBLIC, indicator=indicator, approved_only=True)
    drill = None
    withheld = 0
    simulated: set[int] = set()
    if indicator.numerator_id:
        full = indicator_by_unit(indicator, period=period)
        if period is not None and period not in full.periods:
            raise NotFoundError(field="period")
        drill = full.without(withheld_paths(indicator=indicator))
        withheld = len(full.rows) - len(drill.rows)
        if drill.period:
            simulated = simulated_units(indicator, drill.period)
    datasets = list(
        datasets_listed(PUBLIC)
        .filter(source_indicator=indicator, state=Dataset.State.PUBLISHED, access=Dataset.Access.PUBLIC)
        .order_by("name")
    )
    return Figures(indicator, row, history, drill, withheld, datasets, simulated)


FIGURE_FIELDS = [
    "indicator",
    "level",
    "period",
    "unit_code",
    "unit_name",
    "value",
    "value_text",
    "numerator",
    "denominator",
    "target",
    "source",
    "simulated",
    "stored_at",
]


def figures_table(figures: Figures) -> list[dict[str, Any]]:
    """The page's figures as rows: the province's series (level "province"), then the units of the
    period shown (level "unit"), with the same numbers the page prints."""
    indicator = figures.indicator
    target = plain_number(indicator.target_value)
    rows: list[dict[str, Any]] = []
    for point in figures.history:
        value = point.data_value
        province = point.indicator.plan.province
        rows.append(
            {
                "indicator": f"{point.indicator.plan.year} {point.indicator.label}",
                "level": "province",
                "period": value.period,
                "unit_code": province.code,
                "unit_name": province.name,
                "value": plain_number(value.value),
                "value_text": value.text_value,
                "numerator": None,
                "denominator": None,
                "target": plain_number(point.indicator.target_value),
                "source": value.source,
                "simulated": int(value.is_simulated),
                "stored_at": value.stored_at.isoformat() if value.stored_at else "",
            }
        )
    if figures.drill is not None and figures.drill.period:
        for unit_row in figures.drill.rows:
            rows.append(
                {
                    "indicator": f"{indicator.plan.year} {indicator.label}",
                    "level": "unit",
                    "period": figures.drill.period,
                    "unit_code": unit_row.unit.code,
                    "unit_name": unit_row.unit.name,
                    "value": plain_number(unit_row.value),
                    "value_text": "",
                    "numerator": plain_number(unit_row.numerator),
                    "denominator": plain_number(unit_row.denominator),
                    "target": target,
                    "source": DataValue.Source.COMPUTED.value if unit_row.value is not None else "",
                    "simulated": int(unit_row.unit.pk in figures.simulated)
                    if unit_row.value is not None
                    else None,
                    "stored_at": "",
                }
            )
    return rows


@dataclass(frozen=True)
class Stamp:
    etag: str
    last_modified: datetime | None


def _newest() -> tuple[Any, ...]:
    audit = AuditLog.objects.aggregate(last=Max("pk"), at=Max("at"))
    fed = DataValue.objects.aggregate(at=Max("stored_at"))
    dossiers = DossierCount.objects.aggregate(at=Max("updated_at"), n=Count("pk"))
    datasets = Dataset.objects.aggregate(at=Max("modified_at"), n=Count("pk"))
    times = [t for t in (audit["at"], fed["at"], dossiers["at"], datasets["at"]) if t is not None]
    return (
        audit["last"],
        fed["at"],
        dossiers["at"],
        dossiers["n"],
        datasets["at"],
        datasets["n"],
        timezone.localdate(),  # a deadline passing changes a verdict
        max(times) if times else None,
    )


def progress_stamp() -> Stamp:
    """When the public figures last changed (at most a second old)."""
    newest = cached_briefly("opendata:progress-stamp", _newest)
    seen = "|".join(str(part) for part in (PAGES_REVISION, *newest))
    return Stamp(hashlib.sha256(seen.encode()).hexdigest()[:32], newest[-1])


PUBLIC_READER = "public"


def page_etag(*, stamp: Stamp, language: str, path: str, reader: str) -> str:
    """One page's ETag: the figures' stamp, the language, the address (with its query) and who
    reads ("public", or the signed-in user: their navigation bar is on the page)."""
    seen = "|".join((stamp.etag, language, path, reader))
    return f'"{hashlib.sha256(seen.encode()).hexdigest()[:32]}"'
