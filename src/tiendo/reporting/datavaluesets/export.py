"""Export: the values of forms × periods × units the user may read, in DHIS2's JSON shape."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting import permissions
from tiendo.reporting.models import DataElement, DataSet, DataValue


def _readable_units(
    user: Actor, datasets: list[DataSet], unit_codes: list[str], children: bool
) -> list[OrgUnit]:
    units = list(OrgUnit.objects.filter(code__in=unit_codes))
    if children:
        condition = Q()
        for unit in units:
            condition |= Q(path__startswith=unit.path)
        units = list(OrgUnit.objects.filter(condition)) if units else []
    if not datasets:
        return []
    return [u for u in units if all(permissions.can_read(user, d, u) for d in datasets)]


def _entry(v: DataValue) -> dict[str, Any]:
    return {
        "dataElement": v.data_element.code,
        "period": v.period,
        "orgUnit": v.unit.code,
        "categoryOptionCombo": "default",
        "attributeOptionCombo": "default",
        "value": _export_value(v),
        "storedBy": v.stored_by_label or (v.stored_by.get_username() if v.stored_by else ""),
        "created": v.stored_at.isoformat(timespec="milliseconds"),
        "lastUpdated": v.stored_at.isoformat(timespec="milliseconds"),
        "comment": v.comment,
        "followup": False,
    }


def datavalueset_export(
    *,
    user: Actor,
    dataset_codes: list[str],
    periods: list[str],
    unit_codes: list[str],
    children: bool = False,
) -> dict[str, Any]:
    """Values of the forms × periods × units the user may read, in DHIS2's JSON shape (values as strings)."""
    datasets = list(DataSet.objects.filter(code__in=dataset_codes))
    readable = _readable_units(user, datasets, unit_codes, children)
    elements = DataElement.objects.filter(form_elements__dataset__in=datasets).distinct()
    values = (
        DataValue.objects.filter(data_element__in=elements, unit__in=readable, period__in=periods)
        .select_related("data_element", "unit", "stored_by")
        .order_by("unit__code", "period", "data_element__code")
    )
    return {
        "dataSet": dataset_codes[0] if len(dataset_codes) == 1 else None,
        "dataValues": [_entry(v) for v in values],
    }


def _export_value(value: DataValue) -> str:
    if value.value is None:
        return value.text_value
    if value.data_element.value_type == DataElement.ValueType.BOOLEAN:
        return "true" if value.value else "false"
    return format(value.value.normalize(), "f")
