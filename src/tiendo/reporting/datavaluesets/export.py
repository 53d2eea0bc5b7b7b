"""Export: the values of forms × periods × units the user may read, in DHIS2's JSON shape.

The query takes DHIS2's parameters (`ExportQuery.parse`): dataSet, period or startDate/endDate,
orgUnit (+ children), lastUpdated / lastUpdatedDuration, includeDeleted, limit and the id schemes.
Deleted values come back as tombstones (`"deleted": true`, the last value they held) read from the
reports' trail, where every deletion through a form or an import is recorded with its old value.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext

from tiendo.core.exceptions import ApplicationError
from tiendo.core.types import Actor
from tiendo.core.uids import DEFAULT_COC_UID
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting import permissions
from tiendo.reporting.datavaluesets.formats import PayloadError
from tiendo.reporting.datavaluesets.schema import ID_SCHEMES, IdSchemes
from tiendo.reporting.datavaluesets.validate import resolve
from tiendo.reporting.models import DataElement, DataSet, DataValue, SubmissionEvent
from tiendo.reporting.periods import parse_period

_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}
_DURATION = re.compile(r"^(\d{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


def _refused(name: str, rule: str) -> PayloadError:
    return PayloadError(
        gettext("Tham số %(name)s không hợp lệ: %(rule)s") % {"name": name, "rule": rule}, field=name
    )


def flag(get: Callable[[str], str | None], name: str, default: bool = False) -> bool:
    """A true/false parameter (absent: the default); anything else raises PayloadError naming it."""
    given = get(name)
    if given is None:
        return default
    raw = given.strip().lower()
    if raw in _TRUE or raw in _FALSE:
        return raw in _TRUE
    raise _refused(name, "true | false")


def schemes_parse(get: Callable[[str], str | None]) -> IdSchemes:
    """idScheme and the per-kind schemes (dataElementIdScheme, orgUnitIdScheme, dataSetIdScheme)."""
    given: dict[str, str] = {}
    for name in ("idScheme", "dataElementIdScheme", "orgUnitIdScheme", "dataSetIdScheme"):
        raw = (get(name) or "").strip().upper()
        if raw and raw not in ID_SCHEMES:
            raise _refused(name, gettext("UID, CODE hoặc NAME"))
        if raw:
            given[name] = raw
    base = given.get("idScheme", "AUTO")
    return IdSchemes(
        data_element=given.get("dataElementIdScheme", base),
        org_unit=given.get("orgUnitIdScheme", base),
        data_set=given.get("dataSetIdScheme", base),
    )


def _moment(name: str, raw: str) -> datetime:
    try:
        parsed = parse_datetime(raw) if "T" in raw or " " in raw else None
        day = None if parsed else parse_date(raw)
    except ValueError:
        parsed = day = None
    if parsed is None and day is None:
        raise _refused(name, gettext("một ngày yyyy-MM-dd hoặc thời điểm ISO 8601"))
    if parsed is None:
        return datetime(day.year, day.month, day.day, tzinfo=timezone.get_current_timezone())  # type: ignore[union-attr]
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


@dataclass
class ExportQuery:
    datasets: list[str]
    units: list[str]
    periods: list[str] = field(default_factory=list)
    start: date | None = None
    end: date | None = None
    children: bool = False
    since: datetime | None = None
    include_deleted: bool = False
    limit: int | None = None
    schemes: IdSchemes = field(default_factory=IdSchemes)

    @classmethod
    def parse(cls, get: Callable[[str], str | None], getlist: Callable[[str], list[str]]) -> ExportQuery:
        """DHIS2's export parameters; a wrong one raises PayloadError naming it."""

        def given(name: str) -> list[str]:
            return [v for v in getlist(name) if v.strip()]

        query = cls(datasets=given("dataSet"), units=given("orgUnit"), periods=given("period"))
        for name in ("dataSet", "orgUnit"):
            if not given(name):
                raise _refused(name, gettext("bắt buộc"))
        for period in query.periods:
            try:
                parse_period(period)
            except ApplicationError as exc:
                raise _refused("period", str(exc.message)) from exc
        query._dates(get)
        query.children = flag(get, "children")
        query.include_deleted = flag(get, "includeDeleted")
        query._limit(get("limit"))
        query.schemes = schemes_parse(get)
        if not (query.periods or query.start or query.since):
            raise _refused("period", gettext("cần period, startDate/endDate hoặc lastUpdated(Duration)"))
        return query

    def _dates(self, get: Callable[[str], str | None]) -> None:
        start, end = get("startDate"), get("endDate")
        if bool(start) != bool(end):
            raise _refused("endDate" if start else "startDate", gettext("startDate và endDate đi cùng nhau"))
        if start and end:
            self.start, self.end = _moment("startDate", start).date(), _moment("endDate", end).date()
            if self.start > self.end:
                raise _refused("endDate", gettext("không được trước startDate"))
        if raw := get("lastUpdated"):
            self.since = _moment("lastUpdated", raw)
        if raw := get("lastUpdatedDuration"):
            match = _DURATION.match(raw.strip())
            if not match:
                raise _refused("lastUpdatedDuration", gettext("một số và đơn vị s, m, h, d (ví dụ 10d, 2h)"))
            delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
            self.since = timezone.now() - delta

    def _limit(self, raw: str | None) -> None:
        if raw is None or raw == "":
            return
        if not raw.isdigit() or not 1 <= int(raw) <= 10_000_000:
            raise _refused("limit", gettext("một số nguyên dương"))
        self.limit = int(raw)

    def period_matches(self, period: str) -> bool:
        if self.periods and period not in self.periods:
            return False
        if self.start and self.end:
            parsed = parse_period(period)
            return self.start <= parsed.start and parsed.end <= self.end
        return True


def _readable_units(user: Actor, datasets: list[DataSet], query: ExportQuery) -> list[OrgUnit]:
    named = resolve(OrgUnit, set(query.units), query.schemes.org_unit)
    _all_known("orgUnit", query.units, named)
    units = list(named.values())
    if query.children:
        condition = Q()
        for unit in units:
            condition |= Q(path__startswith=unit.path)
        units = list(OrgUnit.objects.filter(condition)) if units else []
    if not datasets:
        return []
    return [u for u in units if all(permissions.can_read(user, d, u) for d in datasets)]


def _all_known(name: str, given: list[str], found: dict[str, Any]) -> None:
    """An identifier that names nothing (under the scheme) is refused, naming it."""
    unknown = [g for g in given if g not in found]
    if unknown:
        raise _refused(name, gettext("không tìm thấy %(ids)s") % {"ids": ", ".join(unknown)})


def _identifier(obj: Any, scheme: str) -> str:
    if scheme == "NAME":
        return str(getattr(obj, "title", None) or obj.name)
    return str(obj.code if scheme == "CODE" else obj.uid)


class _Writer:
    def __init__(self, schemes: IdSchemes) -> None:
        self.schemes = schemes
        self.combo = "default" if schemes.data_element in ("CODE", "NAME") else DEFAULT_COC_UID

    def entry(self, v: DataValue) -> dict[str, Any]:
        stamp = v.stored_at.isoformat(timespec="milliseconds")
        return {
            "dataElement": _identifier(v.data_element, self.schemes.data_element),
            "period": v.period,
            "orgUnit": _identifier(v.unit, self.schemes.org_unit),
            "categoryOptionCombo": self.combo,
            "attributeOptionCombo": self.combo,
            "value": _export_value(v),
            "storedBy": v.stored_by_label or (v.stored_by.get_username() if v.stored_by else ""),
            "created": stamp,
            "lastUpdated": stamp,
            "comment": v.comment,
            "followup": False,
            "deleted": False,
        }

    def tombstone(
        self, element: DataElement, unit: OrgUnit, period: str, event: SubmissionEvent, old: Any
    ) -> dict[str, Any]:
        stamp = event.at.isoformat(timespec="milliseconds")
        return {
            "dataElement": _identifier(element, self.schemes.data_element),
            "period": period,
            "orgUnit": _identifier(unit, self.schemes.org_unit),
            "categoryOptionCombo": self.combo,
            "attributeOptionCombo": self.combo,
            "value": "" if old is None else str(old),
            "storedBy": event.actor_label,
            "created": stamp,
            "lastUpdated": stamp,
            "comment": "",
            "followup": False,
            "deleted": True,
        }


def datavalueset_export(
    *,
    user: Actor,
    query: ExportQuery | None = None,
    dataset_codes: list[str] | None = None,
    periods: list[str] | None = None,
    unit_codes: list[str] | None = None,
    children: bool = False,
) -> dict[str, Any]:
    """Values of the forms × periods × units the user may read, in DHIS2's JSON shape (values as strings).

    Either a parsed `query` or (as before) codes of forms, periods and units.
    """
    if query is None:
        query = ExportQuery(
            datasets=dataset_codes or [],
            units=unit_codes or [],
            periods=periods or [],
            children=children,
            schemes=IdSchemes(data_element="CODE", org_unit="CODE", data_set="CODE"),
        )
    found = resolve(DataSet, set(query.datasets), query.schemes.data_set)
    _all_known("dataSet", query.datasets, found)
    datasets = list(found.values())
    readable = _readable_units(user, datasets, query)
    elements = DataElement.objects.filter(form_elements__dataset__in=datasets).distinct()
    values = DataValue.objects.filter(data_element__in=elements, unit__in=readable)
    if query.periods:
        values = values.filter(period__in=query.periods)
    if query.since:
        values = values.filter(stored_at__gte=query.since)
    values = values.select_related("data_element", "unit", "stored_by").order_by(
        "unit__code", "period", "data_element__code"
    )
    writer = _Writer(query.schemes)
    entries = [writer.entry(v) for v in values if query.period_matches(v.period)]
    if query.include_deleted:
        entries += _tombstones(writer, query, datasets, readable, elements)
    if query.limit is not None:
        entries = entries[: query.limit]
    only = datasets[0] if len(datasets) == 1 else None
    return {
        "dataSet": _identifier(only, query.schemes.data_set) if only else None,
        "dataValues": entries,
    }


def _tombstones(
    writer: _Writer,
    query: ExportQuery,
    datasets: list[DataSet],
    units: Iterable[OrgUnit],
    elements: Iterable[DataElement],
) -> list[dict[str, Any]]:
    """Deleted values, from the trail: the last change of each that took it away (new = None) and
    that no later value replaced."""
    by_code = {e.code: e for e in elements}
    unit_list = list(units)
    events = SubmissionEvent.objects.filter(
        submission__dataset__in=datasets,
        submission__unit__in=unit_list,
        action__in=("import", "save", "admin"),
    ).select_related("submission", "submission__unit")
    if query.since:
        events = events.filter(at__gte=query.since)
    last: dict[tuple[str, int, str], tuple[SubmissionEvent, Any]] = {}
    for event in events.order_by("at", "id"):
        period = event.submission.period
        if not query.period_matches(period):
            continue
        for change in event.changes if isinstance(event.changes, list) else []:
            if isinstance(change, dict) and change.get("element") in by_code:
                key = (change["element"], event.submission.unit_id, period)
                last[key] = (event, change.get("old") if change.get("new") is None else _KEPT)
    present = set(
        DataValue.objects.filter(data_element__in=elements, unit__in=unit_list).values_list(
            "data_element__code", "unit_id", "period"
        )
    )
    return [
        writer.tombstone(by_code[code], event.submission.unit, period, event, old)
        for (code, unit_id, period), (event, old) in last.items()
        if old is not _KEPT and (code, unit_id, period) not in present
    ]


_KEPT = object()


def _export_value(value: DataValue) -> str:
    if value.value is None:
        return value.text_value
    if value.data_element.value_type == DataElement.ValueType.BOOLEAN:
        return "true" if value.value else "false"
    return format(value.value.normalize(), "f")
