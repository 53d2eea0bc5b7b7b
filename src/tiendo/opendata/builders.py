"""Datasets built from tiendo's own data and kept current by it (`tiendo opendata-build`, the worker).

- **indicator**: the indicator's approved values, unit by unit and period by period (the same formula
  as the province's figure, analytics' drill-down), and the province's own figures. Only approved
  values: a draft or a submitted report never reaches a dataset. A value stated from a simulation is
  kept and marked `simulated` = 1.
- **form**: the form's approved data values, element by element, unit by unit, period by period.

Every row says where it came from (`source`), and the version says how many values it stands on.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tiendo.analytics.drilldown import indicator_by_unit
from tiendo.analytics.formulas import APPROVED
from tiendo.analytics.models import DossierCount
from tiendo.opendata.models import Dataset
from tiendo.opendata.tables import plain_number
from tiendo.opendata.withholding import withheld_paths
from tiendo.reporting.models import DataValue
from tiendo.reporting.periods import parse_period


@dataclass
class Built:
    schema: dict[str, Any]
    rows: list[dict[str, Any]]
    provenance: str


def _field(name: str, kind: str, title: str) -> dict[str, str]:
    return {"name": name, "type": kind, "title": title}


INDICATOR_FIELDS = [
    _field("indicator", "string", "Mã chỉ tiêu"),
    _field("period", "string", "Kỳ (mã DHIS2: 2026, 2026Q1, 202601)"),
    _field("unit_code", "string", "Mã đơn vị"),
    _field("unit_name", "string", "Tên đơn vị"),
    _field("numerator", "number", "Tử số"),
    _field("denominator", "number", "Mẫu số"),
    _field("value", "number", "Giá trị"),
    _field("value_text", "string", "Giá trị như đã ghi"),
    _field("source", "string", "Nguồn"),
    _field("simulated", "integer", "Số liệu mô phỏng (1) hay thật (0)"),
]


def build(dataset: Dataset) -> Built | None:
    if dataset.source == Dataset.Source.INDICATOR and dataset.source_indicator_id:
        return _indicator(dataset)
    if dataset.source == Dataset.Source.FORM and dataset.source_form_id:
        return _form(dataset)
    return None


def _indicator(dataset: Dataset) -> Built:
    indicator = dataset.source_indicator
    assert indicator is not None
    rows: list[dict[str, Any]] = []
    province = indicator.plan.province
    if indicator.own_element_id:
        stated = DataValue.objects.filter(APPROVED, data_element_id=indicator.own_element_id, unit=province)
        for value in stated.order_by("period"):
            rows.append(_row(indicator.label, value.period, province, None, None, value.value, value))
    withheld = withheld_paths(indicator=indicator)  # their data's owners keep them from the public
    first = indicator_by_unit(indicator)
    for period in first.periods:
        drill = first if period == first.period else indicator_by_unit(indicator, period=period)
        drill = drill.without(withheld)
        simulated = simulated_units(indicator, period)
        for unit_value in drill.rows:
            if unit_value.value is None:
                continue
            row = _row(
                indicator.label,
                period,
                unit_value.unit,
                unit_value.numerator,
                unit_value.denominator,
                unit_value.value,
                None,
            )
            row["simulated"] = int(unit_value.unit.pk in simulated)
            rows.append(row)
    provenance = _("%(n)s giá trị đã duyệt của chỉ tiêu %(code)s") % {"n": len(rows), "code": indicator.label}
    return Built({"fields": INDICATOR_FIELDS, "missingValues": [""]}, rows, provenance)


def simulated_units(indicator: Any, period: str) -> set[int]:
    """Units whose figure for the period rests, even in part, on simulated data: a simulated data
    value of the formula's elements, or simulated dossiers of the feed in the period's months."""
    elements = [e for e in (indicator.numerator_id, indicator.denominator_id) if e]
    units = set(
        DataValue.objects.filter(APPROVED, data_element_id__in=elements, period=period, is_simulated=True)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    if indicator.source_feed:
        span = parse_period(period)
        first, last = span.start.year * 100 + span.start.month, span.end.year * 100 + span.end.month
        units |= set(
            DossierCount.objects.filter(month__gte=first, month__lte=last, simulated__gt=0)
            .values_list("unit_id", flat=True)
            .distinct()
        )
    return units


def _row(
    code: str,
    period: str,
    unit: Any,
    numerator: Decimal | None,
    denominator: Decimal | None,
    value: Decimal | None,
    data_value: DataValue | None,
) -> dict[str, Any]:
    return {
        "indicator": code,
        "period": period,
        "unit_code": unit.code,
        "unit_name": unit.name,
        "numerator": plain_number(numerator),
        "denominator": plain_number(denominator),
        "value": plain_number(value),
        "value_text": data_value.text_value if data_value is not None else "",
        "source": data_value.source if data_value is not None else DataValue.Source.COMPUTED,
        "simulated": int(bool(data_value is not None and data_value.is_simulated)),
    }


FORM_FIELDS = [
    _field("form", "string", "Mã biểu mẫu"),
    _field("element", "string", "Mã chỉ số"),
    _field("element_name", "string", "Tên chỉ số"),
    _field("period", "string", "Kỳ (mã DHIS2)"),
    _field("unit_code", "string", "Mã đơn vị"),
    _field("unit_name", "string", "Tên đơn vị"),
    _field("value", "number", "Giá trị"),
    _field("value_text", "string", "Giá trị như đã ghi"),
]


def _form(dataset: Dataset) -> Built:
    form = dataset.source_form
    assert form is not None
    values = (
        DataValue.objects.filter(APPROVED, submission__dataset=form)
        .select_related("data_element", "unit")
        .order_by("period", "unit__code", "data_element__code")
    )
    rows = [
        {
            "form": form.code,
            "element": value.data_element.code,
            "element_name": value.data_element.name,
            "period": value.period,
            "unit_code": value.unit.code,
            "unit_name": value.unit.name,
            "value": plain_number(value.value),
            "value_text": value.text_value,
        }
        for value in values
    ]
    provenance = _("%(n)s giá trị đã duyệt của biểu mẫu %(code)s") % {"n": len(rows), "code": form.code}
    return Built({"fields": FORM_FIELDS, "missingValues": [""]}, rows, provenance)
