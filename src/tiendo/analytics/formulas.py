"""Indicator values computed from reported data: Σ numerator / Σ denominator × factor.

Only approved data counts: values from approved submissions, and values entered outside the
submission workflow (documents, the CĐS office, imports with their own provenance). Sums run over
the plan's province subtree (communes and agencies), per DHIS2 period, in one query per call.
Rates are a ratio of sums, never an average of percentages. Elements counted from a record feed
(the dossiers' HS_*) are read from the feed's counts per unit and month (tiendo.analytics.feed).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Avg, Count, Max, Q, QuerySet, Sum

from tiendo.analytics.feed import feed_columns, feed_totals
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement, DataValue, Submission

APPROVED = Q(submission__isnull=True) | Q(submission__status=Submission.Status.APPROVED)


def units_in_reference(reference: str, *, province: OrgUnit) -> int:
    """How many units `units:<reference>` names inside the province (a group's members, or one unit)."""
    ref = reference.removeprefix("units:")
    if ref.startswith("group:"):
        group = UnitGroup.objects.filter(code=ref.removeprefix("group:")).first()
        if group is None:
            return 0
        return group.members.filter(path__startswith=province.path).count()
    return OrgUnit.objects.filter(code=ref, path__startswith=province.path).count()


# (province id, element id, period) → the element's figures there: total, mean, n, last_stored,
# simulated (and feed_detail when the dossier feed counted it)
Totals = dict[tuple[int, int, str], dict[str, Any]]


def computed_values(indicators: Iterable[Indicator]) -> dict[int, list[DataValue]]:
    """For each indicator with a formula: one unsaved DataValue (source=computed) per period with data."""
    with_formula = [i for i in indicators if i.numerator_id]
    if not with_formula:
        return {}
    provinces = {i.plan.province_id: i.plan.province for i in with_formula}
    element_ids = {i.numerator_id for i in with_formula if i.numerator_id} | {
        i.denominator_id for i in with_formula if i.denominator_id
    }
    averaged = set(
        DataElement.objects.filter(
            pk__in=element_ids, aggregation=DataElement.Aggregation.AVERAGE
        ).values_list("pk", flat=True)
    )
    totals = _approved_totals(provinces, element_ids)
    _add_feed_totals(totals, with_formula, provinces)
    formula = _Formula(totals=totals, averaged=averaged)
    return {
        indicator.pk: formula.points(indicator, provinces[indicator.plan.province_id])
        for indicator in with_formula
    }


def _approved_totals(provinces: dict[int, OrgUnit], element_ids: set[int]) -> Totals:
    """The approved values of the elements summed per province and period, in one query."""
    province_filter = Q()
    for province in provinces.values():
        province_filter |= Q(unit__path__startswith=province.path)
    values = DataValue.objects.filter(
        APPROVED, province_filter, data_element_id__in=element_ids, value__isnull=False
    )
    if len(provinces) > 1:
        return _split_by_province(values, provinces)
    (province_id,) = provinces
    aggregated = (
        values.values("data_element_id", "period")
        .annotate(
            total=Sum("value"),
            mean=Avg("value"),
            n=Count("id"),
            last_stored=Max("stored_at"),
            simulated=Count("id", filter=Q(is_simulated=True)),
        )
        .order_by()
    )
    return {(province_id, row["data_element_id"], row["period"]): row for row in aggregated}


def _split_by_province(values: QuerySet[DataValue], provinces: dict[int, OrgUnit]) -> Totals:
    """Several provinces' plans at once: split by path (rare; a nationwide overview)."""
    by_key: dict[tuple[int, int, str], list[Decimal]] = defaultdict(list)
    for value in values.select_related("unit"):
        for province_id, province in provinces.items():
            if value.value is not None and value.unit.path.startswith(province.path):
                by_key[(province_id, value.data_element_id, value.period)].append(value.value)
    return {
        key: {
            "total": sum(numbers),
            "mean": sum(numbers) / len(numbers),
            "n": len(numbers),
            "last_stored": None,
            "simulated": 0,
        }
        for key, numbers in by_key.items()
    }


@dataclass
class _Formula:
    """Σ numerator / Σ denominator × factor over the totals, period by period."""

    totals: Totals
    averaged: set[int]
    unit_counts: dict[tuple[int, str], int] = field(default_factory=dict)

    def points(self, indicator: Indicator, province: OrgUnit) -> list[DataValue]:
        numerator_id = indicator.numerator_id
        periods = {p for (prov, element, p) in self.totals if prov == province.pk and element == numerator_id}
        points = (self.point(indicator, province, period) for period in sorted(periods))
        return [point for point in points if point is not None]

    def _figure(self, element_id: int, row: dict[str, Any]) -> Decimal:
        return Decimal(row["mean"] if element_id in self.averaged else row["total"])

    def _denominator(
        self, indicator: Indicator, province: OrgUnit, period: str
    ) -> tuple[Decimal, str] | None:
        """The denominator's figure and how it reads in the detail; None when it has no data."""
        if indicator.denominator_id:
            row = self.totals.get((province.pk, indicator.denominator_id, period))
            if not row:
                return None
            code = indicator.denominator.code if indicator.denominator is not None else ""
            return self._figure(indicator.denominator_id, row), f" / Σ {code} ({row['n']})"
        if indicator.denominator_units:
            key = (province.pk, indicator.denominator_units)
            if key not in self.unit_counts:
                self.unit_counts[key] = units_in_reference(indicator.denominator_units, province=province)
            return Decimal(self.unit_counts[key]), f" / {self.unit_counts[key]} {indicator.denominator_units}"
        return Decimal(1), ""

    def point(self, indicator: Indicator, province: OrgUnit, period: str) -> DataValue | None:
        numerator_id = indicator.numerator_id
        if numerator_id is None or indicator.numerator is None:
            return None
        numerator = self.totals[(province.pk, numerator_id, period)]
        denominator = self._denominator(indicator, province, period)
        if denominator is None or not denominator[0]:
            return None
        den, den_detail = denominator
        value = self._figure(numerator_id, numerator) / den * indicator.factor
        detail = f"Σ {indicator.numerator.code} ({numerator['n']})" + den_detail
        # computed from simulated records (the demo's dossiers): say so wherever it is shown
        simulated = bool(numerator["simulated"]) or bool(
            indicator.denominator_id
            and self.totals.get((province.pk, indicator.denominator_id, period), {}).get("simulated")
        )
        if indicator.factor != 1:
            detail += f" × {format(indicator.factor.normalize(), 'f')}"
        if numerator.get("feed_detail"):
            detail += f"; {numerator['feed_detail']}"
        return DataValue(
            data_element_id=numerator_id,
            unit=province,
            period=period,
            value=round(value, 6),
            source=DataValue.Source.COMPUTED,
            is_simulated=simulated,
            source_detail=detail,
            stored_by_label="tiendo",
            stored_at=numerator["last_stored"],
        )


def _add_feed_totals(totals: Totals, indicators: list[Indicator], provinces: dict[int, OrgUnit]) -> None:
    """Elements counted from a record feed (the dossiers' HS_*) come from its counts, not data values."""
    columns = feed_columns(indicators)
    if not columns:
        return
    for province_id, province in provinces.items():
        for (element_id, period), feed in feed_totals(columns=columns, province=province).items():
            row = totals.setdefault(
                (province_id, element_id, period),
                {"total": 0, "mean": 0, "n": 0, "last_stored": None, "simulated": 0},
            )
            row["total"] += feed.total
            row["n"] += feed.units
            row["mean"] = Decimal(row["total"]) / row["n"] if row["n"] else 0
            row["simulated"] += feed.simulated
            if feed.updated_at and (row["last_stored"] is None or feed.updated_at > row["last_stored"]):
                row["last_stored"] = feed.updated_at
            row["feed_detail"] = feed.detail
