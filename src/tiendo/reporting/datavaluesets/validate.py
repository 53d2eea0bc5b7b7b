"""The checks of an import, as a table: one row per rule (what it checks, its DHIS2 error code, the
object it names and its message), applied in order to every value; the first that fails is the
value's conflict. A value that passes them all becomes a `Row` for `apply`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext

from tiendo.core.exceptions import ApplicationError
from tiendo.core.types import Actor
from tiendo.core.uids import DEFAULT_COC_UID
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting import permissions
from tiendo.reporting.datavaluesets.schema import DataValueIn, DataValueSetIn, IdSchemes, ImportSummary
from tiendo.reporting.models import DataElement, DataSet, DataSetElement
from tiendo.reporting.periods import Period, parse_period
from tiendo.reporting.validation import parse_value


@dataclass
class Row:
    """A value that passed every check: what `apply` writes (or deletes)."""

    index: int
    element: DataElement
    unit: OrgUnit
    period: str
    dataset: DataSet
    value: Decimal | None
    text: str
    comment: str | None  # None: the payload says nothing about the comment, keep it
    delete: bool


@dataclass
class Lookups:
    """What the checks read, loaded once per request (a fixed number of queries)."""

    actor: Actor
    strategy: str
    header: DataValueSetIn
    elements: dict[str, DataElement]  # by the identifier the request gives (UID, code or name)
    units: dict[str, OrgUnit]  # likewise
    datasets: dict[str, DataSet]  # every form, by code
    header_dataset: DataSet | None
    form_elements: dict[int, set[int]]
    assigned: dict[int, set[int]]
    today: date
    may_report: dict[int, bool] = field(default_factory=dict)
    seen: dict[tuple[int, int, str], int] = field(default_factory=dict)

    @classmethod
    def load(
        cls,
        *,
        actor: Actor,
        strategy: str,
        header: DataValueSetIn,
        entries: list[DataValueIn | None],
        schemes: IdSchemes | None = None,
    ) -> Lookups:
        schemes = schemes or IdSchemes()
        given = [e for e in entries if e is not None]
        element_ids = {str(e.dataElement) for e in given}
        unit_ids = {str(e.orgUnit or header.orgUnit) for e in given}
        units = resolve(OrgUnit, unit_ids, schemes.org_unit)
        form_elements: dict[int, set[int]] = defaultdict(set)
        for dataset_id, element_id in DataSetElement.objects.values_list("dataset_id", "element_id"):
            form_elements[dataset_id].add(element_id)
        assigned: dict[int, set[int]] = defaultdict(set)
        through = DataSet.units.through.objects.filter(orgunit_id__in={u.pk for u in units.values()})
        for dataset_id, unit_id in through.values_list("dataset_id", "orgunit_id"):
            assigned[dataset_id].add(unit_id)
        header_ids = {header.dataSet} if header.dataSet else set()
        return cls(
            actor=actor,
            strategy=strategy,
            header=header,
            elements=resolve(DataElement, element_ids, schemes.data_element),
            units=units,
            datasets={d.code: d for d in DataSet.objects.all()},
            header_dataset=resolve(DataSet, header_ids, schemes.data_set).get(header.dataSet or ""),
            form_elements=form_elements,
            assigned=assigned,
            today=timezone.localdate(),
        )


_NAME_FIELD = {DataSet: "title"}


def resolve(model: Any, identifiers: set[str], scheme: str) -> dict[str, Any]:
    """The records these identifiers name under `scheme` (UID, CODE, NAME or AUTO), by identifier.

    AUTO (no scheme named): an identifier is read as a UID first, then as a code.
    """
    if not identifiers:
        return {}
    if scheme == "AUTO":  # one query; a UID wins over a code spelled the same
        rows = list(model.objects.filter(Q(uid__in=identifiers) | Q(code__in=identifiers)))
        return {r.code: r for r in rows if r.code in identifiers} | {
            r.uid: r for r in rows if r.uid in identifiers
        }
    column = {"UID": "uid", "CODE": "code", "NAME": _NAME_FIELD.get(model, "name")}[scheme]
    return {getattr(r, column): r for r in model.objects.filter(**{f"{column}__in": identifiers})}


@dataclass
class Candidate:
    """One value on its way through the checks; each check fills in what it establishes."""

    index: int
    entry: DataValueIn
    period: str
    header_unit: str | None
    # set by the checks, in order (a check reads only what the ones before it established)
    element: DataElement = field(init=False)
    unit: OrgUnit = field(init=False)
    parsed: Period = field(init=False)
    dataset: DataSet = field(init=False)
    value: Decimal | None = None
    text: str = ""

    @property
    def unit_code(self) -> str:
        return str(self.entry.orgUnit or self.header_unit)

    @property
    def where(self) -> dict[str, str]:
        return {"element": self.element.code, "unit": self.unit.code, "period": self.period}


Problem = Callable[[Candidate, Lookups], str | None]


@dataclass(frozen=True)
class Check:
    what: str  # what it checks, in a word
    error_code: str  # DHIS2's code of the conflict
    subject: Callable[[Candidate], str]  # the conflict's "object"
    problem: Problem  # the message when the value fails it, else None (may fill the candidate in)


def _element_known(c: Candidate, lk: Lookups) -> str | None:
    code = str(c.entry.dataElement)
    element = lk.elements.get(code)
    if element is None:
        return gettext("Chỉ số không tồn tại: %(code)s") % {"code": code}
    c.element = element
    return None


DEFAULT_COMBOS = {"", "default", DEFAULT_COC_UID}


def _combos_default(c: Candidate, lk: Lookups) -> str | None:
    """tiendo has no disaggregation: only DHIS2's "default" category option combo is known."""
    for name in ("categoryOptionCombo", "attributeOptionCombo"):
        given = getattr(c.entry, name) or (lk.header.attributeOptionCombo if name[0] == "a" else None)
        if (given or "") not in DEFAULT_COMBOS:
            return gettext("%(field)s không tồn tại: %(id)s (chỉ có default)") % {"field": name, "id": given}
    return None


def _unit_known(c: Candidate, lk: Lookups) -> str | None:
    unit = lk.units.get(c.unit_code)
    if unit is None:
        return gettext("Đơn vị không tồn tại: %(code)s") % {"code": c.unit_code}
    c.unit = unit
    return None


def _period_valid(c: Candidate, lk: Lookups) -> str | None:
    try:
        c.parsed = parse_period(c.period)
    except ApplicationError as exc:
        return str(exc.message)
    return None


def _dataset_found(c: Candidate, lk: Lookups) -> str | None:
    candidates = (
        [lk.header_dataset]
        if lk.header_dataset is not None
        else [
            d
            for d in lk.datasets.values()
            if c.element.pk in lk.form_elements[d.pk]
            and c.unit.pk in lk.assigned[d.pk]
            and d.period_type == c.parsed.period_type
        ]
    )
    if len(candidates) == 1:
        c.dataset = candidates[0]
        return None
    if not candidates:
        return (
            gettext("%(element)s @ %(unit)s %(period)s: không thuộc biểu mẫu nào giao cho đơn vị ở kỳ này")
            % c.where
        )
    return gettext("%(element)s @ %(unit)s %(period)s: thuộc nhiều biểu mẫu, hãy ghi dataSet") % c.where


def _element_in_dataset(c: Candidate, lk: Lookups) -> str | None:
    if c.element.pk in lk.form_elements[c.dataset.pk]:
        return None
    return gettext("%(element)s không có trong biểu %(form)s") % {
        "element": c.element.code,
        "form": c.dataset.code,
    }


def _unit_assigned(c: Candidate, lk: Lookups) -> str | None:
    if c.unit.pk in lk.assigned[c.dataset.pk]:
        return None
    return gettext("Biểu %(form)s không giao cho %(unit)s") % {"form": c.dataset.code, "unit": c.unit.code}


def _period_type_matches(c: Candidate, lk: Lookups) -> str | None:
    if c.parsed.period_type == c.dataset.period_type:
        return None
    return gettext("Kỳ %(period)s không phải kỳ %(type)s của biểu %(form)s") % {
        "period": c.period,
        "type": str(c.dataset.get_period_type_display()).lower(),
        "form": c.dataset.code,
    }


def _period_started(c: Candidate, lk: Lookups) -> str | None:
    if c.parsed.start <= lk.today:
        return None
    return gettext("Kỳ %(period)s chưa bắt đầu") % {"period": c.period}


def _may_report(c: Candidate, lk: Lookups) -> str | None:
    if c.unit.pk not in lk.may_report:
        lk.may_report[c.unit.pk] = permissions.can_report(lk.actor, c.unit)
    if lk.may_report[c.unit.pk]:
        return None
    return gettext("Không được báo cáo cho đơn vị %(unit)s") % {"unit": c.unit.code}


def _not_repeated(c: Candidate, lk: Lookups) -> str | None:
    key = (c.element.pk, c.unit.pk, c.parsed.identifier)
    first = lk.seen.setdefault(key, c.index)
    if first == c.index:
        return None
    return gettext("%(element)s @ %(unit)s %(period)s lặp lại (đã có ở vị trí %(first)s)") % {
        **c.where,
        "period": c.parsed.identifier,
        "first": first,
    }


def _deletes(c: Candidate, lk: Lookups) -> bool:
    """DELETE, `"deleted": true` (DHIS2), or an empty value without a comment: the value goes."""
    return lk.strategy == "DELETE" or bool(c.entry.deleted) or (_empty(c.entry.value) and not c.entry.comment)


def _empty(raw: object) -> bool:
    return raw is None or str(raw) == ""


def _value_readable(c: Candidate, lk: Lookups) -> str | None:
    if _deletes(c, lk) or _empty(c.entry.value):
        return None
    try:
        c.value, c.text = parse_value(c.entry.value, c.element)
    except ApplicationError as exc:
        return str(exc.message)
    return None


CHECKS: tuple[Check, ...] = (
    Check("the data element exists", "E7610", lambda c: str(c.entry.dataElement), _element_known),
    Check("the category option combos are default", "E7613", lambda c: c.element.code, _combos_default),
    Check("the unit exists", "E7612", lambda c: c.unit_code, _unit_known),
    Check("the period is an identifier", "E7611", lambda c: c.period, _period_valid),
    Check("one form holds it", "E7633", lambda c: c.element.code, _dataset_found),
    Check("the form holds the element", "E7633", lambda c: c.element.code, _element_in_dataset),
    Check("the form is assigned to the unit", "E7634", lambda c: c.unit.code, _unit_assigned),
    Check("the period is of the form's type", "E7611", lambda c: c.period, _period_type_matches),
    Check("the period has started", "E7641", lambda c: c.period, _period_started),
    Check("the user may report for the unit", "E7617", lambda c: c.unit.code, _may_report),
    Check("the value is not repeated", "E7620", lambda c: c.element.code, _not_repeated),
    Check("the value is readable", "E7619", lambda c: c.element.code, _value_readable),
)


def _row(c: Candidate, lk: Lookups) -> Row:
    comment = c.entry.comment
    return Row(
        c.index, c.element, c.unit, c.parsed.identifier, c.dataset, c.value, c.text, comment, _deletes(c, lk)
    )


def rows_checked(summary: ImportSummary, lookups: Lookups, entries: list[DataValueIn | None]) -> list[Row]:
    """Every value through the table of checks; a failure is recorded as the value's conflict."""
    header = lookups.header
    if header.dataSet and lookups.header_dataset is None:
        summary.conflict(
            None,
            header.dataSet,
            gettext("Biểu mẫu không tồn tại: %(code)s") % {"code": header.dataSet},
            "E7600",
            prop="dataSet",
        )
    rows: list[Row] = []
    for index, entry in enumerate(entries):
        if entry is None:
            summary.conflict(
                index,
                "dataValues",
                gettext("Mỗi giá trị phải là một object, các trường là chuỗi"),
                "E7619",
                prop="dataValues",
            )
            continue
        candidate = Candidate(index, entry, str(entry.period or header.period or ""), header.orgUnit)
        for check in CHECKS:
            message = check.problem(candidate, lookups)
            if message is not None:
                summary.conflict(index, check.subject(candidate), message, check.error_code)
                break
        else:
            rows.append(_row(candidate, lookups))
    return rows
