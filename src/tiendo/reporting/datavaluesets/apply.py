"""DHIS2's `dataValueSets` exchange: import (all-or-nothing, idempotent) and export.

Identifiers are codes (data element code, unit code, form code), i.e. DHIS2's `idScheme=code`.
Values land in the unit's submission for the form and period exactly as typed values do (the same
parsing and locking rules); `completeDate` submits them. Unlike DHIS2's default partial import,
a request with any conflict writes nothing (the issue's rule), and says why for every value.
Bulk by design: a fixed number of queries per request plus one per 500 values, whatever the size.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from tiendo.core.exceptions import ApplicationError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting import permissions
from tiendo.reporting.models import (
    DataElement,
    DataSet,
    DataValue,
    Submission,
    SubmissionEvent,
)
from tiendo.reporting.periods import parse_period
from tiendo.reporting.services import SubmissionInvalidError, submission_submit
from tiendo.reporting.validation import parse_value

STRATEGIES = ("CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE")
CHUNK = 500
INSERT_BATCH = (
    2000  # rows per INSERT: fewer round trips; 2,000 × 14 columns stays under PostgreSQL's 65,535 parameters
)


@dataclass
class ImportSummary:
    imported: int = 0
    updated: int = 0
    ignored: int = 0
    deleted: int = 0
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False
    strategy: str = "CREATE_AND_UPDATE"

    @property
    def status(self) -> str:
        return "ERROR" if self.conflicts else "SUCCESS"

    def as_dhis2(self) -> dict[str, Any]:
        """DHIS2 2.38+ shape: a WebMessage wrapping the ImportSummary."""
        summary = {
            "responseType": "ImportSummary",
            "status": self.status,
            "importOptions": {
                "dryRun": self.dry_run,
                "importStrategy": self.strategy,
                "idSchemes": {"idScheme": "CODE"},
            },
            "description": "Import process completed successfully"
            if not self.conflicts
            else "Import was refused: nothing was written",
            "importCount": {
                "imported": self.imported,
                "updated": self.updated,
                "ignored": self.ignored,
                "deleted": self.deleted,
            },
            "conflicts": self.conflicts,
        }
        ok = not self.conflicts
        return {
            "httpStatus": "OK" if ok else "Conflict",
            "httpStatusCode": 200 if ok else 409,
            "status": "OK" if ok else "ERROR",
            "message": "Import was successful."
            if ok
            else "One or more errors occurred, please see full details in import report.",
            "response": summary,
        }


@dataclass
class _Row:
    index: int
    element: DataElement
    unit: OrgUnit
    period: str
    dataset: DataSet
    value: Decimal | None
    text: str
    comment: str | None  # None: the payload says nothing about the comment, keep it
    delete: bool


def _conflict(
    summary: ImportSummary, index: int | None, obj: str, message: str, error_code: str = "E7600"
) -> None:
    entry: dict[str, Any] = {"object": obj, "value": message, "errorCode": error_code}
    if index is not None:
        entry["indexes"] = [index]
    summary.conflicts.append(entry)


def datavalueset_import(
    *,
    actor: Actor,
    payload: dict[str, Any],
    dry_run: bool = False,
    strategy: str = "CREATE_AND_UPDATE",
    actor_label: str = "",
) -> ImportSummary:
    strategy = strategy.upper()
    summary = ImportSummary(dry_run=dry_run, strategy=strategy)
    if strategy not in STRATEGIES:
        _conflict(
            summary,
            None,
            "importStrategy",
            f"importStrategy phải là một trong / must be one of {', '.join(STRATEGIES)}",
        )
        return summary
    if not isinstance(payload, dict) or not isinstance(payload.get("dataValues", []), list):
        _conflict(
            summary,
            None,
            "dataValues",
            'Thân yêu cầu phải là JSON {"dataValues": [...]} / the body must be {"dataValues": [...]}',
        )
        return summary
    items = payload.get("dataValues") or []
    header_dataset = payload.get("dataSet")
    header_period = payload.get("period")
    header_unit = payload.get("orgUnit")
    element_codes = {str(i.get("dataElement")) for i in items if isinstance(i, dict)}
    unit_codes = {str(i.get("orgUnit") or header_unit) for i in items if isinstance(i, dict)}
    elements = {e.code: e for e in DataElement.objects.filter(code__in=element_codes)}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=unit_codes)}
    datasets = {d.code: d for d in DataSet.objects.all()}
    form_elements: dict[int, set[int]] = defaultdict(set)
    for dataset_id, element_id in DataSet.form_elements.rel.related_model.objects.values_list(
        "dataset_id", "element_id"
    ):
        form_elements[dataset_id].add(element_id)
    assigned: dict[int, set[int]] = defaultdict(set)
    for dataset_id, unit_id in DataSet.units.through.objects.filter(orgunit__code__in=unit_codes).values_list(
        "dataset_id", "orgunit_id"
    ):
        assigned[dataset_id].add(unit_id)
    if header_dataset and header_dataset not in datasets:
        _conflict(
            summary,
            None,
            str(header_dataset),
            f"Biểu mẫu không tồn tại / data set not found: {header_dataset}",
            "E7600",
        )
    may_report: dict[int, bool] = {}
    seen_keys: dict[tuple[int, int, str], int] = {}
    rows: list[_Row] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            _conflict(
                summary,
                index,
                "dataValues",
                "Mỗi giá trị phải là một object / each value must be an object",
                "E7619",
            )
            continue
        element = elements.get(str(item.get("dataElement")))
        unit = units.get(str(item.get("orgUnit") or header_unit))
        period = str(item.get("period") or header_period or "")
        if element is None:
            _conflict(
                summary,
                index,
                str(item.get("dataElement")),
                f"Chỉ số không tồn tại / data element not found: {item.get('dataElement')}",
                "E7610",
            )
            continue
        if unit is None:
            _conflict(
                summary,
                index,
                str(item.get("orgUnit") or header_unit),
                f"Đơn vị không tồn tại / organisation unit not found: {item.get('orgUnit') or header_unit}",
                "E7612",
            )
            continue
        try:
            parsed_period = parse_period(period)
        except ApplicationError as exc:
            _conflict(summary, index, period, str(exc.message), "E7611")
            continue
        candidates = (
            [datasets[header_dataset]]
            if header_dataset in datasets
            else [
                d
                for d in datasets.values()
                if element.pk in form_elements[d.pk]
                and unit.pk in assigned[d.pk]
                and d.period_type == parsed_period.period_type
            ]
        )
        dataset = candidates[0] if len(candidates) == 1 else None
        if dataset is None:
            reason = (
                "không thuộc biểu mẫu nào giao cho đơn vị ở kỳ này / is in no form assigned to this unit for this period type"
                if not candidates
                else "thuộc nhiều biểu mẫu, hãy ghi dataSet / is in several forms, give dataSet"
            )
            _conflict(
                summary, index, element.code, f"{element.code} @ {unit.code} {period}: {reason}", "E7633"
            )
            continue
        if element.pk not in form_elements[dataset.pk]:
            _conflict(
                summary,
                index,
                element.code,
                f"{element.code} không có trong biểu {dataset.code} / is not in data set {dataset.code}",
                "E7633",
            )
            continue
        if unit.pk not in assigned[dataset.pk]:
            _conflict(
                summary,
                index,
                unit.code,
                f"Biểu {dataset.code} không giao cho {unit.code} / data set {dataset.code} is not assigned to {unit.code}",
                "E7634",
            )
            continue
        if parsed_period.period_type != dataset.period_type:
            _conflict(
                summary,
                index,
                period,
                f"Kỳ {period} không phải kỳ {dataset.period_type} của biểu {dataset.code} / wrong period type",
                "E7611",
            )
            continue
        if parsed_period.start > timezone.localdate():
            _conflict(
                summary,
                index,
                period,
                f"Kỳ {period} chưa bắt đầu / period {period} is in the future",
                "E7641",
            )
            continue
        if unit.pk not in may_report:
            may_report[unit.pk] = permissions.can_report(actor, unit)
        if not may_report[unit.pk]:
            _conflict(
                summary,
                index,
                unit.code,
                f"Không được báo cáo cho đơn vị {unit.code} / no permission to write data for {unit.code}",
                "E7617",
            )
            continue
        key = (element.pk, unit.pk, parsed_period.identifier)
        if key in seen_keys:
            _conflict(
                summary,
                index,
                element.code,
                f"{element.code} @ {unit.code} {parsed_period.identifier} lặp lại (đã có ở vị trí {seen_keys[key]}) / "
                f"repeated in this request (first at index {seen_keys[key]})",
                "E7620",
            )
            continue
        seen_keys[key] = index
        raw = item.get("value")
        comment = None if item.get("comment") is None else str(item.get("comment"))
        empty = raw is None or str(raw) == ""
        delete = strategy == "DELETE" or (empty and not comment)
        value, text = (None, "")
        if not delete and not empty:
            try:
                value, text = parse_value(raw, element)
            except ApplicationError as exc:
                _conflict(summary, index, element.code, str(exc.message), "E7619")
                continue
        rows.append(
            _Row(
                index,
                element,
                unit,
                parsed_period.identifier,
                dataset,
                value,
                text,
                comment,
                delete,
            )
        )
    if summary.conflicts:
        summary.ignored = len(items)
        return summary
    keys = {(r.dataset.pk, r.unit.pk, r.period) for r in rows}
    label = actor_label or _label(actor)
    with transaction.atomic():
        # lock the reports this request touches, so none is submitted or approved half-way through
        submissions = _submissions(keys, lock=True)
        _apply(summary, rows, submissions, actor=actor, strategy=strategy, actor_label=label)
        if payload.get("completeDate") and not summary.conflicts:
            _complete(summary, keys, actor=actor, actor_label=label)
        if dry_run or summary.conflicts:
            transaction.set_rollback(True)
    if summary.conflicts:
        summary.imported = summary.updated = summary.deleted = 0
        summary.ignored = len(items)
    return summary


def _label(actor: Actor) -> str:
    return f"{actor.get_username()} (API)" if actor.is_authenticated else "API"


def _submissions(
    keys: set[tuple[int, int, str]], *, lock: bool = False
) -> dict[tuple[int, int, str], Submission]:
    """The submissions for these (form, unit, period) keys: one indexed query over the key columns'
    value sets, then an exact filter in Python (far cheaper than a thousand-way OR)."""
    if not keys:
        return {}
    candidates = Submission.objects.filter(
        dataset_id__in={k[0] for k in keys}, unit_id__in={k[1] for k in keys}, period__in={k[2] for k in keys}
    ).select_related("dataset", "unit")
    if lock:
        candidates = candidates.select_for_update(of=("self",))
    found: dict[tuple[int, int, str], Submission] = {}
    for submission in candidates.order_by("pk"):
        key = (submission.dataset_id, submission.unit_id, submission.period)
        if key in keys:
            found[key] = submission
    return found


def _apply(
    summary: ImportSummary, rows: list[_Row], submissions, *, actor: Actor, strategy: str, actor_label: str
) -> None:
    user = actor if actor.is_authenticated else None
    creating = strategy in ("CREATE_AND_UPDATE", "CREATE")
    missing = {
        (r.dataset.pk, r.unit.pk, r.period)
        for r in rows
        if creating and not r.delete and (r.dataset.pk, r.unit.pk, r.period) not in submissions
    }
    if missing:
        Submission.objects.bulk_create(
            [Submission(dataset_id=d, unit_id=u, period=p) for d, u, p in missing], ignore_conflicts=True
        )
        submissions.update(_submissions(missing, lock=True))
    wanted = {(r.element.pk, r.unit.pk, r.period) for r in rows}
    existing: dict[tuple[int, int, str], DataValue] = {}
    candidates = DataValue.objects.filter(
        data_element_id__in={k[0] for k in wanted},
        unit_id__in={k[1] for k in wanted},
        period__in={k[2] for k in wanted},
    )
    for value in candidates.iterator(chunk_size=5000):
        key = (value.data_element_id, value.unit_id, value.period)
        if key in wanted:
            existing[key] = value
    to_create, to_update, to_delete = [], [], []
    changes: dict[int, list[dict[str, Any]]] = defaultdict(list)
    now = timezone.now()
    locked_states = (Submission.Status.SUBMITTED, Submission.Status.APPROVED)
    owners = {
        s.pk: s
        for s in Submission.objects.filter(
            pk__in={v.submission_id for v in existing.values() if v.submission_id}
        )
    }
    for row in rows:
        submission = submissions.get((row.dataset.pk, row.unit.pk, row.period))
        current = existing.get((row.element.pk, row.unit.pk, row.period))
        old = _show(current.value, current.text_value) if current else None
        comment = row.comment if row.comment is not None else (current.comment if current else "")
        unchanged = (
            current is not None
            and not row.delete
            and (current.value, current.text_value, current.comment) == (row.value, row.text, comment)
        )
        if unchanged or (current is None and (row.delete or submission is None)):
            summary.ignored += 1  # a repeated request changes nothing, even on a locked report
            continue
        owner = owners.get(current.submission_id) if current is not None and current.submission_id else None
        for report in (submission, owner):
            if report is not None and report.status in locked_states:
                _conflict(
                    summary,
                    row.index,
                    row.element.code,
                    f"Báo cáo {report.dataset.code}/{report.unit.code}/{report.period} đang “{report.get_status_display()}”, "
                    f"không sửa được / the report is {report.status} and locked",
                    "E7645",
                )
                break
        else:
            report = None
        if report is not None:
            continue
        if submission is None:
            summary.ignored += 1
            continue
        if row.delete:
            if current is None:
                summary.ignored += 1
                continue
            to_delete.append(current.pk)
            summary.deleted += 1
            changes[submission.pk].append({"element": row.element.code, "old": old, "new": None})
            continue
        if current is None:
            if strategy == "UPDATE":
                summary.ignored += 1
                continue
            to_create.append(
                (
                    row.element.pk,
                    row.unit.pk,
                    row.period,
                    row.value,
                    row.text,
                    comment,
                    submission.pk,
                    f"dataValueSets · {row.dataset.code}",
                )
            )
            summary.imported += 1
            changes[submission.pk].append(
                {"element": row.element.code, "old": None, "new": _show(row.value, row.text)}
            )
            continue
        if strategy == "CREATE":
            summary.ignored += 1
            continue
        current.value, current.text_value, current.comment = row.value, row.text, comment
        current.submission, current.source, current.stored_by, current.stored_by_label = (
            submission,
            DataValue.Source.API,
            user,
            actor_label,
        )
        current.stored_at = now
        to_update.append(current)
        summary.updated += 1
        changes[submission.pk].append(
            {"element": row.element.code, "old": old, "new": _show(row.value, row.text)}
        )
    if summary.conflicts:
        return
    _insert_values(to_create, user=user, actor_label=actor_label, now=now)
    DataValue.objects.bulk_update(
        to_update,
        [
            "value",
            "text_value",
            "comment",
            "submission",
            "source",
            "stored_by",
            "stored_by_label",
            "stored_at",
        ],
        batch_size=CHUNK,
    )
    for start in range(0, len(to_delete), CHUNK):
        DataValue.objects.filter(pk__in=to_delete[start : start + CHUNK]).delete()
    touched = list(changes)
    for start in range(0, len(touched), CHUNK):
        Submission.objects.filter(pk__in=touched[start : start + CHUNK]).update(
            version=F("version") + 1, updated_at=now
        )
    by_id = {s.pk: s for s in submissions.values()}
    SubmissionEvent.objects.bulk_create(
        [
            SubmissionEvent(
                submission_id=pk,
                actor=user,
                actor_label=actor_label,
                action="import",
                from_status=by_id[pk].status,
                to_status=by_id[pk].status,
                changes=entries,
            )
            for pk, entries in changes.items()
        ],
        batch_size=CHUNK,
    )
    if changes:
        first = by_id[touched[0]]
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action="datavalueset.import",
            obj=first,
            changes={
                "imported": summary.imported,
                "updated": summary.updated,
                "deleted": summary.deleted,
                "submissions": len(touched),
            },
        )


_COPY_COLUMNS = (
    "data_element_id",
    "unit_id",
    "period",
    "value",
    "text_value",
    "comment",
    "submission_id",
    "source_detail",
    "source",
    "is_simulated",
    "stored_by_id",
    "stored_by_label",
    "stored_at",
)


def _insert_values(rows: list[tuple], *, user, actor_label: str, now) -> None:
    """New values: PostgreSQL's COPY when available (the bulk path a 100,000-value import needs), else bulk_create."""
    user_id = user.pk if user is not None else None
    if connection.vendor == "postgresql":
        table = DataValue._meta.db_table
        with connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY {table} ({', '.join(_COPY_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((*row, DataValue.Source.API, False, user_id, actor_label, now))
        return
    DataValue.objects.bulk_create(
        [
            DataValue(
                data_element_id=element_id,
                unit_id=unit_id,
                period=period,
                value=value,
                text_value=text,
                comment=comment,
                submission_id=submission_id,
                source_detail=detail,
                source=DataValue.Source.API,
                stored_by_id=user_id,
                stored_by_label=actor_label,
            )
            for element_id, unit_id, period, value, text, comment, submission_id, detail in rows
        ],
        batch_size=INSERT_BATCH,
    )


def _complete(summary: ImportSummary, keys, *, actor: Actor, actor_label: str) -> None:
    """`completeDate` in the payload: submit every report the request touched (validation applies)."""
    for _key, submission in sorted(_submissions(keys).items()):
        if submission.status not in (Submission.Status.DRAFT, Submission.Status.RETURNED):
            continue
        try:
            submission_submit(actor=actor, submission=submission, version=None, actor_label=actor_label)
        except SubmissionInvalidError as exc:
            for violation in exc.violations:
                _conflict(
                    summary,
                    None,
                    f"{submission.dataset.code}/{submission.unit.code}/{submission.period}",
                    violation.message,
                    "E7651",
                )


def _show(value: Decimal | None, text: str) -> str | None:
    if value is not None:
        return format(value.normalize(), "f")
    return text or None


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
    units = list(OrgUnit.objects.filter(code__in=unit_codes))
    if children:
        condition = Q()
        for unit in units:
            condition |= Q(path__startswith=unit.path)
        units = list(OrgUnit.objects.filter(condition)) if units else []
    readable = (
        [u for u in units if all(permissions.can_read(user, d, u) for d in datasets)] if datasets else []
    )
    elements = DataElement.objects.filter(form_elements__dataset__in=datasets).distinct()
    values = (
        DataValue.objects.filter(data_element__in=elements, unit__in=readable, period__in=periods)
        .select_related("data_element", "unit", "stored_by")
        .order_by("unit__code", "period", "data_element__code")
    )
    return {
        "dataSet": dataset_codes[0] if len(dataset_codes) == 1 else None,
        "dataValues": [
            {
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
            for v in values
        ],
    }


def _export_value(value: DataValue) -> str:
    if value.value is None:
        return value.text_value
    if value.data_element.value_type == DataElement.ValueType.BOOLEAN:
        return "true" if value.value else "false"
    return format(value.value.normalize(), "f")
