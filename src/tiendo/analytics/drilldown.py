"""An indicator unit by unit: the same formula as the province, applied to each unit's approved data.

Approved values are public (the province publishes them); unapproved ones never appear here.
Units are ranked worst first by default (the ones holding the province back), per DHIS2-style
league tables: for "higher is better" the lowest values come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import partial

from django.db.models import Max, Q, QuerySet, Sum

from tiendo.analytics.feed import feed_columns, feed_periods, feed_unit_sums, feed_units
from tiendo.analytics.formulas import APPROVED
from tiendo.core.cache import cached_briefly
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataValue
from tiendo.reporting.periods import parse_period


@dataclass
class UnitValue:
    unit: OrgUnit
    numerator: Decimal | None
    denominator: Decimal | None
    value: Decimal | None
    rank: int | None = None
    meets_target: bool | None = None


@dataclass
class DrillDown:
    indicator: Indicator
    period: str | None
    periods: list[str]
    rows: list[UnitValue]

    @property
    def reported(self) -> list[UnitValue]:
        return [r for r in self.rows if r.value is not None]

    def without(self, paths: list[str]) -> DrillDown:
        """The same drill-down with the units at or below `paths` left out and the rest ranked
        anew (a rank must not hint at a unit that is not shown)."""
        if not paths:
            return self
        kept = [
            UnitValue(r.unit, r.numerator, r.denominator, r.value, meets_target=r.meets_target)
            for r in self.rows
            if not any(r.unit.path.startswith(p) for p in paths)
        ]
        _rank(kept, higher_is_better=self.indicator.direction != Indicator.Direction.LOWER)
        return DrillDown(self.indicator, self.period, self.periods, kept)


def indicator_by_unit(indicator: Indicator, *, period: str | None = None) -> DrillDown:
    """Per unit values for one period (the latest with data unless given). Two queries."""
    if not indicator.numerator_id:
        return DrillDown(indicator, None, [], [])
    province = indicator.plan.province
    element_ids = [e for e in (indicator.numerator_id, indicator.denominator_id) if e]
    base = DataValue.objects.filter(
        APPROVED, data_element_id__in=element_ids, unit__path__startswith=province.path, value__isnull=False
    ).exclude(unit=province)
    columns = feed_columns([indicator])
    periods = _periods_with_data(indicator, base, has_feed=bool(columns))
    if period is None:
        period = periods[-1] if periods else None
    sums = _unit_sums(base, columns, province, period) if period is not None else {}
    rows = [_unit_value(indicator, unit, sums) for unit in _units_of(indicator, province)]
    _rank(rows, higher_is_better=indicator.direction != Indicator.Direction.LOWER)
    return DrillDown(indicator, period, periods, rows)


def _periods_with_data(indicator: Indicator, base: QuerySet[DataValue], *, has_feed: bool) -> list[str]:
    """The plan year's periods with approved data (or dossiers), in order of their end, shortest first."""
    year = indicator.plan.year
    reported = set(base.values_list("period", flat=True).distinct())
    if has_feed:
        reported |= feed_periods(province=indicator.plan.province, year=year)
    return sorted(
        {p for p in reported if parse_period(p).end.year == year},
        key=lambda p: (parse_period(p).end, (parse_period(p).end - parse_period(p).start).days),
    )


def _unit_sums(
    base: QuerySet[DataValue], columns: dict[int, str], province: OrgUnit, period: str
) -> dict[tuple[int, int], Decimal]:
    """(unit id, element id) → the unit's approved sum in the period, with its dossiers' counts."""
    sums: dict[tuple[int, int], Decimal] = {}
    for found in (
        base.filter(period=period)
        .values("unit_id", "data_element_id")
        .annotate(total=Sum("value"), last=Max("stored_at"))
    ):
        sums[(found["unit_id"], found["data_element_id"])] = found["total"]
    for key, count in feed_unit_sums(columns=columns, province=province, period=period).items():
        sums[key] = sums.get(key, Decimal(0)) + count
    return sums


def _unit_value(indicator: Indicator, unit: OrgUnit, sums: dict[tuple[int, int], Decimal]) -> UnitValue:
    numerator = sums.get((unit.pk, indicator.numerator_id or 0))
    if indicator.denominator_id:
        denominator = sums.get((unit.pk, indicator.denominator_id))
    else:
        # one unit (`denominator_units`): a yes/no or count per unit stands for itself
        denominator = Decimal(1)
    value = None
    if numerator is not None and denominator:
        value = round(numerator / denominator * indicator.factor, 6)
    meets = None
    if value is not None and indicator.target_value is not None:
        meets = (
            value <= indicator.target_value
            if indicator.direction == Indicator.Direction.LOWER
            else value >= indicator.target_value
        )
    return UnitValue(
        unit, numerator, denominator if numerator is not None else None, value, meets_target=meets
    )


def _rank(rows: list[UnitValue], *, higher_is_better: bool) -> None:
    """Rank the rows with a value, best first; equal values share a rank (1, 2, 2, 4)."""
    valued = sorted(
        ((row.value, row) for row in rows if row.value is not None),
        key=lambda pair: pair[0],
        reverse=higher_is_better,
    )
    previous: UnitValue | None = None
    for position, (value, row) in enumerate(valued, start=1):
        row.rank = previous.rank if previous is not None and previous.value == value else position
        previous = row


def _units_of(indicator: Indicator, province: OrgUnit) -> list[OrgUnit]:
    """The units that report the indicator's data: the source form's units, else every unit with data."""
    if indicator.source_form is not None:
        return list(indicator.source_form.units.filter(path__startswith=province.path).order_by("name"))
    element_ids = [e for e in (indicator.numerator_id, indicator.denominator_id) if e]
    with_data = Q(data_values__data_element_id__in=element_ids)
    if feed_columns([indicator]):
        with_data |= Q(pk__in=feed_units(province=province))
    return list(
        OrgUnit.objects.filter(with_data, path__startswith=province.path)
        .exclude(pk=province.pk)
        .distinct()
        .order_by("name")
    )


@dataclass
class UnitRank:
    indicator: Indicator
    value: Decimal
    rank: int
    ranked: int
    meets_target: bool | None


def unit_ranks(unit: OrgUnit, indicators: list[Indicator]) -> list[UnitRank]:
    """Where the unit stands on each indicator its reports feed: value, rank among the units ranked."""
    ranks = []
    for indicator in indicators:
        if not indicator.numerator_id:
            continue
        drill = cached_briefly(  # the same answer as the drill-down page's default
            f"drilldown-page:{indicator.pk}:", partial(indicator_by_unit, indicator)
        )
        mine = next((r for r in drill.rows if r.unit.pk == unit.pk), None)
        if mine is not None and mine.rank is not None and mine.value is not None:
            ranks.append(UnitRank(indicator, mine.value, mine.rank, len(drill.reported), mine.meets_target))
    return ranks
