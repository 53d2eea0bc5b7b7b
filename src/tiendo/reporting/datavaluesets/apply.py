"""The import: check every value (`validate`), then, in one transaction, insert, update and delete
the values, bump the reports they belong to and record the trail — or write nothing at all.

A repeated request changes nothing (idempotent); new values go through PostgreSQL's COPY when the
database is PostgreSQL (the bulk path a 100,000-value import needs), else through bulk_create.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from tiendo.core.db_timeouts import import_bounded, import_limits_set
from tiendo.core.models import AuditLog
from tiendo.core.types import Actor
from tiendo.reporting.datavaluesets.schema import (
    ATOMIC_MODES,
    CHUNK,
    INSERT_BATCH,
    STRATEGIES,
    DataValueSetIn,
    IdSchemes,
    ImportSummary,
    payload_parse,
)
from tiendo.reporting.datavaluesets.validate import Lookups, Row, rows_checked
from tiendo.reporting.models import DataValue, Submission, SubmissionEvent
from tiendo.reporting.services import SubmissionInvalidError, submission_submit

Key = tuple[int, int, str]  # (form or element, unit, period)
NewValue = tuple[int, int, str, Decimal | None, str, str, int, str]
LOCKED = (Submission.Status.SUBMITTED, Submission.Status.APPROVED)
# the names DHIS2 before 2.26 used, still sent by older clients
STRATEGY_ALIASES = {
    "NEW_AND_UPDATES": "CREATE_AND_UPDATE",
    "NEW": "CREATE",
    "UPDATES": "UPDATE",
    "DELETES": "DELETE",
}


def datavalueset_import(
    *,
    actor: Actor,
    payload: Any,
    dry_run: bool = False,
    strategy: str = "CREATE_AND_UPDATE",
    actor_label: str = "",
    id_schemes: IdSchemes | None = None,
    atomic: str = "ALL",
) -> ImportSummary:
    """Import a dataValueSets payload. atomic="ALL" (tiendo's default): any conflict and nothing is
    written; "NONE" (DHIS2's): the valid values are written and the conflicts listed."""
    strategy, atomic = strategy.upper(), atomic.upper()
    strategy = STRATEGY_ALIASES.get(strategy, strategy)
    schemes = id_schemes or IdSchemes()
    summary = ImportSummary(dry_run=dry_run, strategy=strategy, id_schemes=schemes, atomic=atomic)
    if strategy not in STRATEGIES:
        message = gettext("importStrategy phải là một trong %(choices)s") % {"choices": ", ".join(STRATEGIES)}
        summary.conflict(None, "importStrategy", message)
        return summary
    if atomic not in ATOMIC_MODES:
        message = gettext("atomicMode phải là một trong %(choices)s") % {"choices": ", ".join(ATOMIC_MODES)}
        summary.atomic = "ALL"
        summary.conflict(None, "atomicMode", message, prop="atomicMode")
        return summary
    header, where, why = payload_parse(payload)
    if header is None:
        summary.conflict(None, where, why, prop=where)
        return summary
    entries = header.entries()
    lookups = Lookups.load(actor=actor, strategy=strategy, header=header, entries=entries, schemes=schemes)
    rows = rows_checked(summary, lookups, entries)
    summary.ignored += len(entries) - len(rows)  # each refused value (atomicMode=NONE; ALL resets below)
    if summary.partial or not summary.conflicts:
        _write(summary, rows, header, actor=actor, actor_label=actor_label or _label(actor))
    if summary.conflicts and not summary.partial:
        summary.refuse_all(len(entries))
    return summary


def _write(
    summary: ImportSummary, rows: list[Row], header: DataValueSetIn, *, actor: Actor, actor_label: str
) -> None:
    """All or nothing: a conflict met while writing (a locked report, a failed submit) rolls back."""
    keys = {(r.dataset.pk, r.unit.pk, r.period) for r in rows}
    with import_bounded("request"), transaction.atomic():
        import_limits_set("request")  # bounded: busy or too long raises, nothing written (issue 10)
        # lock the reports this request touches, so none is submitted or approved half-way through
        submissions = _submissions(keys, lock=True)
        plan = _Plan(summary, actor=actor, actor_label=actor_label)
        plan.build(rows, submissions)
        if summary.partial or not summary.conflicts:
            plan.write(submissions)
        if header.completeDate and (summary.partial or not summary.conflicts):
            _complete(summary, keys, actor=actor, actor_label=actor_label)
        if summary.dry_run or (summary.conflicts and not summary.partial):
            transaction.set_rollback(True)


def _label(actor: Actor) -> str:
    return f"{actor.get_username()} (API)" if actor.is_authenticated else "API"


def _submissions(keys: set[Key], *, lock: bool = False) -> dict[Key, Submission]:
    """The submissions for these (form, unit, period) keys: one indexed query over the key columns'
    value sets, then an exact filter in Python (far cheaper than a thousand-way OR)."""
    if not keys:
        return {}
    candidates = Submission.objects.filter(
        dataset_id__in={k[0] for k in keys}, unit_id__in={k[1] for k in keys}, period__in={k[2] for k in keys}
    ).select_related("dataset", "unit")
    if lock:
        candidates = candidates.select_for_update(of=("self",))
    found: dict[Key, Submission] = {}
    for submission in candidates.order_by("pk"):
        key = (submission.dataset_id, submission.unit_id, submission.period)
        if key in keys:
            found[key] = submission
    return found


def _existing_values(rows: list[Row]) -> dict[Key, DataValue]:
    """The stored values the rows name, by (element, unit, period)."""
    wanted = {(r.element.pk, r.unit.pk, r.period) for r in rows}
    existing: dict[Key, DataValue] = {}
    candidates = DataValue.objects.filter(
        data_element_id__in={k[0] for k in wanted},
        unit_id__in={k[1] for k in wanted},
        period__in={k[2] for k in wanted},
    )
    for value in candidates.iterator(chunk_size=5000):
        key = (value.data_element_id, value.unit_id, value.period)
        if key in wanted:
            existing[key] = value
    return existing


def _show(value: Decimal | None, text: str) -> str | None:
    if value is not None:
        return format(value.normalize(), "f")
    return text or None


@dataclass
class _Plan:
    """What the request changes, decided row by row before anything is written."""

    summary: ImportSummary
    actor: Actor
    actor_label: str
    now: datetime = field(default_factory=timezone.now)
    to_create: list[NewValue] = field(default_factory=list)
    to_update: list[DataValue] = field(default_factory=list)
    to_delete: list[int] = field(default_factory=list)
    changes: dict[int, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    @property
    def user(self) -> User | None:
        return self.actor if isinstance(self.actor, User) and self.actor.is_authenticated else None

    @property
    def strategy(self) -> str:
        return self.summary.strategy

    def build(self, rows: list[Row], submissions: dict[Key, Submission]) -> None:
        if self.strategy in ("CREATE_AND_UPDATE", "CREATE"):
            _create_missing(rows, submissions)
        existing = _existing_values(rows)
        owner_ids = {v.submission_id for v in existing.values() if v.submission_id}
        owners = {s.pk: s for s in Submission.objects.filter(pk__in=owner_ids)}
        for row in rows:
            current = existing.get((row.element.pk, row.unit.pk, row.period))
            owner = owners.get(current.submission_id or 0) if current is not None else None
            self.row(row, submissions.get((row.dataset.pk, row.unit.pk, row.period)), current, owner)

    def row(
        self, row: Row, submission: Submission | None, current: DataValue | None, owner: Submission | None
    ) -> None:
        comment = row.comment if row.comment is not None else (current.comment if current else "")
        unchanged = (
            current is not None
            and not row.delete
            and (current.value, current.text_value, current.comment) == (row.value, row.text, comment)
        )
        if unchanged or (current is None and (row.delete or submission is None)):
            self.summary.ignored += 1  # a repeated request changes nothing, even on a locked report
            return
        locked = next((r for r in (submission, owner) if r is not None and r.status in LOCKED), None)
        if locked is not None:
            self._refuse_locked(row, locked)
        elif submission is None:
            self.summary.ignored += 1
        elif current is None:
            self.insert(row, submission, comment)
        elif row.delete:
            self.delete(row, submission, current)
        else:
            self.update(row, submission, current, comment)

    def _refuse_locked(self, row: Row, report: Submission) -> None:
        name = f"{report.dataset.code}/{report.unit.code}/{report.period}"
        message = gettext("Báo cáo %(report)s đang “%(status)s”, không sửa được") % {
            "report": name,
            "status": report.get_status_display(),
        }
        self.summary.conflict(row.index, row.element.code, message, "E7645")
        self.summary.ignored += 1

    def insert(self, row: Row, submission: Submission, comment: str) -> None:
        if self.strategy == "UPDATE":
            self.summary.ignored += 1
            return
        detail = f"dataValueSets · {row.dataset.code}"
        self.to_create.append(
            (row.element.pk, row.unit.pk, row.period, row.value, row.text, comment, submission.pk, detail)
        )
        self.summary.imported += 1
        self.changes[submission.pk].append(
            {"element": row.element.code, "old": None, "new": _show(row.value, row.text)}
        )

    def delete(self, row: Row, submission: Submission, current: DataValue) -> None:
        self.to_delete.append(current.pk)
        self.summary.deleted += 1
        old = _show(current.value, current.text_value)
        self.changes[submission.pk].append({"element": row.element.code, "old": old, "new": None})

    def update(self, row: Row, submission: Submission, current: DataValue, comment: str) -> None:
        if self.strategy == "CREATE":
            self.summary.ignored += 1
            return
        old = _show(current.value, current.text_value)
        current.value, current.text_value, current.comment = row.value, row.text, comment
        current.submission, current.source = submission, DataValue.Source.API
        current.stored_by, current.stored_by_label, current.stored_at = self.user, self.actor_label, self.now
        self.to_update.append(current)
        self.summary.updated += 1
        self.changes[submission.pk].append(
            {"element": row.element.code, "old": old, "new": _show(row.value, row.text)}
        )

    def write(self, submissions: dict[Key, Submission]) -> None:
        _insert_values(self.to_create, user=self.user, actor_label=self.actor_label, now=self.now)
        _update_values(self.to_update)
        _delete_values(self.to_delete)
        self._record(submissions)

    def _record(self, submissions: dict[Key, Submission]) -> None:
        """Bump the touched reports' versions; an event and an audit row per report."""
        touched = list(self.changes)
        for start in range(0, len(touched), CHUNK):
            Submission.objects.filter(pk__in=touched[start : start + CHUNK]).update(
                version=F("version") + 1, updated_at=self.now
            )
        by_id = {s.pk: s for s in submissions.values()}
        SubmissionEvent.objects.bulk_create(
            [
                SubmissionEvent(
                    submission_id=pk,
                    actor=self.user,
                    actor_label=self.actor_label,
                    action="import",
                    from_status=by_id[pk].status,
                    to_status=by_id[pk].status,
                    changes=entries,
                )
                for pk, entries in self.changes.items()
            ],
            batch_size=CHUNK,
        )
        # one audit row per report the request touched, naming it (foureyes, issue 10)
        request = {
            "imported": self.summary.imported,
            "updated": self.summary.updated,
            "deleted": self.summary.deleted,
            "submissions": len(touched),
        }
        AuditLog.objects.bulk_create(
            [
                AuditLog(
                    actor=self.user,
                    actor_label=self.actor_label,
                    action="datavalueset.import",
                    object_type=Submission._meta.label_lower,
                    object_id=str(pk),
                    object_label=str(by_id[pk])[:300],
                    changes={"values": self.changes[pk], "request": request},
                )
                for pk in touched
            ],
            batch_size=CHUNK,
        )


def _create_missing(rows: list[Row], submissions: dict[Key, Submission]) -> None:
    """Create (as drafts) the reports that values are about to land in; lock them like the others."""
    missing = {
        (r.dataset.pk, r.unit.pk, r.period)
        for r in rows
        if not r.delete and (r.dataset.pk, r.unit.pk, r.period) not in submissions
    }
    if missing:
        Submission.objects.bulk_create(
            [Submission(dataset_id=d, unit_id=u, period=p) for d, u, p in missing], ignore_conflicts=True
        )
        submissions.update(_submissions(missing, lock=True))


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


def _insert_values(rows: list[NewValue], *, user: User | None, actor_label: str, now: datetime) -> None:
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


def _update_values(values: list[DataValue]) -> None:
    fields = [
        "value",
        "text_value",
        "comment",
        "submission",
        "source",
        "stored_by",
        "stored_by_label",
        "stored_at",
    ]
    DataValue.objects.bulk_update(values, fields, batch_size=CHUNK)


def _delete_values(ids: list[int]) -> None:
    for start in range(0, len(ids), CHUNK):
        DataValue.objects.filter(pk__in=ids[start : start + CHUNK]).delete()


def _complete(summary: ImportSummary, keys: set[Key], *, actor: Actor, actor_label: str) -> None:
    """`completeDate` in the payload: submit every report the request touched (validation applies)."""
    for _key, submission in sorted(_submissions(keys).items()):
        if submission.status not in (Submission.Status.DRAFT, Submission.Status.RETURNED):
            continue
        try:
            submission_submit(actor=actor, submission=submission, version=None, actor_label=actor_label)
        except SubmissionInvalidError as exc:
            name = f"{submission.dataset.code}/{submission.unit.code}/{submission.period}"
            for violation in exc.violations:
                summary.conflict(None, name, violation.message, "E7651")
