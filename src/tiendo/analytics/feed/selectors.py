"""Reads of the feed's counts for the pages and the formulas: totals over a province, a unit's sums.

Counts per (unit, month) are summed here to months, quarters, halves and years (DHIS2 periods).
The counts are public, like the approved figures they stand beside (the drill-down publishes them).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from tiendo.analytics.feed.counts import feed_column
from tiendo.analytics.models import DossierCount
from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.periods import parse_period


def periods_of_month(year: int, month: int) -> list[str]:
    """The DHIS2 periods a month counts in: itself, its quarter, its half and its year."""
    return [
        f"{year}{month:02d}",
        f"{year}Q{(month - 1) // 3 + 1}",
        f"{year}S{1 if month <= 6 else 2}",
        str(year),
    ]


def months_of(period: str) -> list[int]:
    """The YYYYMM months a DHIS2 period is made of (monthly, quarterly, six-monthly, yearly; else none)."""
    try:
        parsed = parse_period(period)
    except ApplicationError:
        return []
    if parsed.period_type not in {"monthly", "quarterly", "sixmonthly", "yearly"}:
        return []
    year = parsed.start.year
    return [year * 100 + m for m in range(parsed.start.month, parsed.end.month + 1)]


@dataclass
class FeedTotal:
    """One element over the province in one period, read from the counts."""

    total: int
    units: int
    dossiers: int
    simulated: int
    updated_at: datetime | None

    @property
    def detail(self) -> str:
        return _("tính từ %(dossiers)s hồ sơ, luồng dossiers") % {"dossiers": self.dossiers}


@dataclass
class _PeriodSums:
    sums: dict[tuple[str, str], int]
    units: dict[str, set[int]]
    received: dict[str, int]
    simulated: dict[str, int]
    latest: dict[str, datetime]


def feed_totals(*, columns: dict[int, str], province: OrgUnit) -> dict[tuple[int, str], FeedTotal]:
    """(element id, period) → its total over the province's units, for every period with dossiers.

    `columns` maps element ids to their DossierCount column (`feed_column`). One query: 12 rows per
    unit and year, summed here to months, quarters, halves and years.
    """
    if not columns:
        return {}
    found = _sum_by_period(sorted(set(columns.values())), province)
    return {
        (element_id, period): FeedTotal(
            total=found.sums[(column, period)],
            units=len(found.units[period]),
            dossiers=found.received[period],
            simulated=found.simulated[period],
            updated_at=found.latest.get(period),
        )
        for element_id, column in columns.items()
        for period in found.units
    }


def _sum_by_period(names: list[str], province: OrgUnit) -> _PeriodSums:
    rows = DossierCount.objects.filter(unit__path__startswith=province.path).values_list(
        "unit_id", "month", "updated_at", "received", "simulated", *names
    )
    found = _PeriodSums(defaultdict(int), defaultdict(set), defaultdict(int), defaultdict(int), {})
    for unit_id, month, updated_at, dossiers, simulated_dossiers, *counts in rows:
        for period in periods_of_month(*divmod(month, 100)):
            found.units[period].add(unit_id)
            found.received[period] += dossiers
            found.simulated[period] += simulated_dossiers
            if period not in found.latest or updated_at > found.latest[period]:
                found.latest[period] = updated_at
            for name, count in zip(names, counts, strict=True):
                found.sums[(name, period)] += count
    return found


def feed_unit_sums(*, columns: dict[int, str], province: OrgUnit, period: str) -> dict[tuple[int, int], int]:
    """(unit id, element id) → the unit's count in the period (the drill-down). One query."""
    months = months_of(period)
    if not columns or not months:
        return {}
    names = sorted(set(columns.values()))
    result: dict[tuple[int, int], int] = defaultdict(int)
    for unit_id, *counts in DossierCount.objects.filter(
        unit__path__startswith=province.path, month__in=months
    ).values_list("unit_id", *names):
        by_name = dict(zip(names, counts, strict=True))
        for element_id, column in columns.items():
            result[(unit_id, element_id)] += by_name[column]
    return dict(result)


def feed_periods(*, province: OrgUnit, year: int) -> set[str]:
    """The periods of a year in which the province's units have dossiers."""
    months = (
        DossierCount.objects.filter(
            unit__path__startswith=province.path, month__gte=year * 100 + 1, month__lte=year * 100 + 12
        )
        .values_list("month", flat=True)
        .distinct()
    )
    return {period for month in months for period in periods_of_month(*divmod(month, 100))}


def feed_units(*, province: OrgUnit) -> list[int]:
    """The units of the province with dossiers."""
    return list(
        DossierCount.objects.filter(unit__path__startswith=province.path)
        .values_list("unit_id", flat=True)
        .distinct()
    )


def feed_value(*, code: str, unit: OrgUnit, period: str) -> int | None:
    """One unit's count of a derived element in a period (None without dossiers)."""
    column = feed_column(code)
    months = months_of(period)
    if column is None or not months:
        return None
    found = list(DossierCount.objects.filter(unit=unit, month__in=months).values_list(column, flat=True))
    return sum(found) if found else None
