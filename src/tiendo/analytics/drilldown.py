"""An indicator unit by unit: the same formula as the province, applied to each unit's approved data.

Approved values are public (the province publishes them); unapproved ones never appear here.
Units are ranked worst first by default (the ones holding the province back), per DHIS2-style
league tables: for "higher is better" the lowest values come first.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, Q, Sum

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


def indicator_by_unit(indicator: Indicator, *, period: str | None = None) -> DrillDown:
    """Per unit values for one period (the latest with data unless given). Two queries."""
    if not indicator.numerator_id:
        return DrillDown(indicator, None, [], [])
    province = indicator.plan.province
    element_ids = [e for e in (indicator.numerator_id, indicator.denominator_id) if e]
    base = DataValue.objects.filter(
        APPROVED, data_element_id__in=element_ids, unit__path__startswith=province.path, value__isnull=False
    ).exclude(unit=province)
    year = indicator.plan.year
    columns = feed_columns([indicator])
    reported = set(base.values_list("period", flat=True).distinct())
    if columns:
        reported |= feed_periods(province=province, year=year)
    periods = sorted(
        {p for p in reported if parse_period(p).end.year == year},
        key=lambda p: (parse_period(p).end, (parse_period(p).end - parse_period(p).start).days),
    )
    if period is None:
        period = periods[-1] if periods else None
    sums: dict[tuple[int, int], Decimal] = {}
    if period is not None:
        for row in (
            base.filter(period=period)
            .values("unit_id", "data_element_id")
            .annotate(total=Sum("value"), last=Max("stored_at"))
        ):
            sums[(row["unit_id"], row["data_element_id"])] = row["total"]
        for key, count in feed_unit_sums(columns=columns, province=province, period=period).items():
            sums[key] = sums.get(key, Decimal(0)) + count
    units = _units_of(indicator, province)
    rows = []
    for unit in units:
        numerator = sums.get((unit.pk, indicator.numerator_id))
        if indicator.denominator_id:
            denominator = sums.get((unit.pk, indicator.denominator_id))
        elif indicator.denominator_units:
            denominator = Decimal(1)  # one unit: a yes/no or count per unit stands for itself
        else:
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
        rows.append(
            UnitValue(
                unit, numerator, denominator if numerator is not None else None, value, meets_target=meets
            )
        )
    ranked = sorted(
        (r for r in rows if r.value is not None),
        key=lambda r: r.value,
        reverse=indicator.direction != Indicator.Direction.LOWER,
    )
    previous = None
    for position, row in enumerate(ranked, start=1):
        # equal values share a rank (1, 2, 2, 4)
        row.rank = previous.rank if previous is not None and previous.value == row.value else position
        previous = row
    return DrillDown(indicator, period, periods, rows)


def _units_of(indicator: Indicator, province: OrgUnit) -> list[OrgUnit]:
    """The units that report the indicator's data: the source form's units, else every unit with data."""
    if indicator.source_form_id:
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
            f"drilldown-page:{indicator.pk}:", lambda indicator=indicator: indicator_by_unit(indicator)
        )
        mine = next((r for r in drill.rows if r.unit.pk == unit.pk), None)
        if mine is not None and mine.rank is not None and mine.value is not None:
            ranks.append(UnitRank(indicator, mine.value, mine.rank, len(drill.reported), mine.meets_target))
    return ranks
