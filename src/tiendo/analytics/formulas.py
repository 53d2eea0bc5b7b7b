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
from decimal import Decimal

from django.db.models import Avg, Count, Max, Q, Sum

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


def computed_values(indicators: Iterable[Indicator]) -> dict[int, list[DataValue]]:
    """For each indicator with a formula: one unsaved DataValue (source=computed) per period with data."""
    with_formula = [i for i in indicators if i.numerator_id]
    if not with_formula:
        return {}
    provinces = {i.plan.province_id: i.plan.province for i in with_formula}
    element_ids = {i.numerator_id for i in with_formula} | {
        i.denominator_id for i in with_formula if i.denominator_id
    }
    averaged = set(
        DataElement.objects.filter(
            pk__in=element_ids, aggregation=DataElement.Aggregation.AVERAGE
        ).values_list("pk", flat=True)
    )
    province_filter = Q()
    for province in provinces.values():
        province_filter |= Q(unit__path__startswith=province.path)
    totals: dict[tuple[int, int, str], dict] = {}
    aggregated = (
        DataValue.objects.filter(
            APPROVED, province_filter, data_element_id__in=element_ids, value__isnull=False
        )
        .values("data_element_id", "period")
        .annotate(
            total=Sum("value"),
            mean=Avg("value"),
            n=Count("id"),
            last_stored=Max("stored_at"),
            simulated=Count("id", filter=Q(is_simulated=True)),
        )
        .order_by()
    )
    if len(provinces) == 1:
        (province_id,) = provinces
        for row in aggregated:
            totals[(province_id, row["data_element_id"], row["period"])] = row
    else:  # several provinces' plans at once: split by path (rare; a nationwide overview)
        by_key: dict[tuple[int, int, str], list[Decimal]] = defaultdict(list)
        for value in DataValue.objects.filter(
            APPROVED, province_filter, data_element_id__in=element_ids, value__isnull=False
        ).select_related("unit"):
            for province_id, province in provinces.items():
                if value.unit.path.startswith(province.path):
                    by_key[(province_id, value.data_element_id, value.period)].append(value.value)
        for key, numbers in by_key.items():
            totals[key] = {
                "total": sum(numbers),
                "mean": sum(numbers) / len(numbers),
                "n": len(numbers),
                "last_stored": None,
                "simulated": 0,
            }
    _add_feed_totals(totals, with_formula, provinces)
    unit_counts: dict[tuple[int, str], int] = {}
    result: dict[int, list[DataValue]] = {}
    for indicator in with_formula:
        province = provinces[indicator.plan.province_id]
        periods = {
            p for (prov, element, p) in totals if prov == province.pk and element == indicator.numerator_id
        }
        points = []
        for period in sorted(periods):
            numerator = totals[(province.pk, indicator.numerator_id, period)]
            num = numerator["mean"] if indicator.numerator_id in averaged else numerator["total"]
            detail = f"Σ {indicator.numerator.code} ({numerator['n']})"
            feed_detail = numerator.get("feed_detail")
            if indicator.denominator_id:
                denominator = totals.get((province.pk, indicator.denominator_id, period))
                if not denominator:
                    continue
                den = denominator["mean"] if indicator.denominator_id in averaged else denominator["total"]
                detail += f" / Σ {indicator.denominator.code} ({denominator['n']})"
            elif indicator.denominator_units:
                key = (province.pk, indicator.denominator_units)
                if key not in unit_counts:
                    unit_counts[key] = units_in_reference(indicator.denominator_units, province=province)
                den = Decimal(unit_counts[key])
                detail += f" / {unit_counts[key]} {indicator.denominator_units}"
            else:
                den = Decimal(1)
            if not den:
                continue
            value = Decimal(num) / Decimal(den) * indicator.factor
            # computed from simulated records (the demo's dossiers): say so wherever it is shown
            simulated = bool(numerator["simulated"]) or bool(
                indicator.denominator_id
                and totals.get((province.pk, indicator.denominator_id, period), {}).get("simulated")
            )
            if indicator.factor != 1:
                detail += f" × {format(indicator.factor.normalize(), 'f')}"
            if feed_detail:
                detail += f"; {feed_detail}"
            points.append(
                DataValue(
                    data_element_id=indicator.numerator_id,
                    unit=province,
                    period=period,
                    value=round(value, 6),
                    source=DataValue.Source.COMPUTED,
                    is_simulated=simulated,
                    source_detail=detail,
                    stored_by_label="tiendo",
                    stored_at=numerator["last_stored"],
                )
            )
        result[indicator.pk] = points
    return result


def _add_feed_totals(totals: dict, indicators: list[Indicator], provinces: dict[int, OrgUnit]) -> None:
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
