"""The submission workflow: draft → submitted → returned | approved (→ reopened by the CĐS office).

Every service is keyword-only, transactional, checks permission and the optimistic lock
(`version`), and writes a SubmissionEvent (the trail shown on the submission page) and an AuditLog
row in the same transaction. The steps themselves (who, from which state, to which) are the table
in `workflow`; the reads (the form's layout, stored and previous values, checks) are in `selectors`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.reporting import permissions
from tiendo.reporting.models import (
    DataElement,
    DataSet,
    DataValue,
    FourEyesException,
    Submission,
    SubmissionEvent,
)
from tiendo.reporting.periods import parse_period
from tiendo.reporting.selectors import current_values, rule_elements, submission_validate
from tiendo.reporting.validation import MACHINE, Violation, parse_inputs
from tiendo.reporting.workflow import STEPS, Step, step_get

__all__ = [
    "ConflictError",
    "SaveResult",
    "SubmissionInvalidError",
    "datavalue_admin_delete",
    "datavalue_admin_save",
    "four_eyes_exception_grant",
    "four_eyes_exception_revoke",
    "notifications_mark_read",
    "submission_approve",
    "submission_open",
    "submission_reopen",
    "submission_return",
    "submission_save",
    "submission_submit",
    "submission_transition",
]


class ConflictError(ApplicationError):
    """Someone else changed the submission since it was opened: nothing is overwritten."""

    status_code = 409
    code = "conflict"


class SubmissionInvalidError(ApplicationError):
    """Validation stops the step; `violations` lists every problem."""

    status_code = 422
    code = "validation_failed"

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("\n".join(v.message for v in violations))


@dataclass
class SaveResult:
    submission: Submission
    changes: list[dict[str, Any]]
    violations: list[Violation]


def _label(actor: Actor | None, fallback: str) -> str:
    return actor.get_username() if actor is not None and actor.is_authenticated else fallback


def _event(
    submission: Submission,
    *,
    actor: Actor | None,
    action: str,
    before: str,
    reason: str = "",
    changes: list[dict[str, Any]] | None = None,
    actor_label: str = "",
) -> None:
    user = actor if actor is not None and actor.is_authenticated else None
    SubmissionEvent.objects.create(
        submission=submission,
        actor=user,
        actor_label=actor_label or _label(actor, "system"),
        action=action,
        from_status=before,
        to_status=submission.status,
        reason=reason,
        changes=changes or [],
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action=f"submission.{action}",
        obj=submission,
        changes={"from": before, "to": submission.status, "values": changes or []},
        reason=reason,
    )


def _lock(submission_id: int, *, version: int | None) -> Submission:
    """Re-read the row under a lock and compare versions (optimistic locking with a row lock to decide races)."""
    submission = (
        Submission.objects.select_for_update().select_related("dataset", "unit").get(pk=submission_id)
    )
    if version is not None and submission.version != version:
        raise ConflictError(
            gettext(
                "Báo cáo đã được người khác thay đổi (phiên bản %(current)s, bạn mở phiên bản %(opened)s); "
                "tải lại trang để xem thay đổi, không có gì bị ghi đè"
            )
            % {"current": submission.version, "opened": version},
            field="version",
        )
    return submission


def _bump(submission: Submission, **fields: Any) -> None:
    for key, value in fields.items():
        setattr(submission, key, value)
    submission.version = F("version") + 1
    submission.save(update_fields=[*fields, "version", "updated_at"])
    submission.refresh_from_db(fields=["version"])


def _check_opening(dataset: DataSet, unit: OrgUnit, period: str) -> None:
    if not dataset.units.filter(pk=unit.pk).exists():
        raise ApplicationError(
            gettext("Biểu %(form)s không giao cho %(unit)s")
            % {"form": dataset.symbol, "unit": f"{unit.code} ({unit.name})"},
            field="orgUnit",
        )
    parsed = parse_period(period)
    if parsed.period_type != dataset.period_type:
        raise ApplicationError(
            gettext("Kỳ %(period)s không phải kỳ %(type)s của biểu %(form)s")
            % {
                "period": period,
                "type": str(dataset.get_period_type_display()).lower(),
                "form": dataset.code,
            },
            field="period",
        )
    if parsed.start > timezone.localdate():
        raise ApplicationError(gettext("Kỳ %(period)s chưa bắt đầu") % {"period": period}, field="period")


def submission_open(*, actor: Actor, dataset: DataSet, unit: OrgUnit, period: str) -> Submission:
    """The unit's submission for the form and period, created as a draft on first use."""
    if not permissions.can_read(actor, dataset, unit):
        raise NotFoundError()
    _check_opening(dataset, unit, period)
    submission = Submission.objects.filter(dataset=dataset, unit=unit, period=period).first()
    if submission is not None:
        return submission
    if not permissions.can_report(actor, unit):
        raise PermissionDeniedError(gettext("Bạn không được lập báo cáo cho đơn vị này"))
    with transaction.atomic():
        submission, created = Submission.objects.get_or_create(dataset=dataset, unit=unit, period=period)
        if created:
            _event(submission, actor=actor, action="create", before="")
    return submission


def _editable(actor: Actor, submission: Submission) -> None:
    """Values may be changed exactly when the report may be submitted (the same rule)."""
    STEPS["submit"].require(actor, submission)


def _refuse_locked_owner(code: str, existing: DataValue, submission: Submission) -> None:
    """A value stored by another, locked report of the same unit and period is not overwritten."""
    if existing.submission_id in (None, submission.pk):
        return
    owner = Submission.objects.get(pk=existing.submission_id or 0)
    if owner.status in (Submission.Status.SUBMITTED, Submission.Status.APPROVED):
        raise ApplicationError(
            gettext("%(code)s: giá trị thuộc báo cáo %(form)s kỳ %(period)s đã “%(status)s”")
            % {
                "code": code,
                "form": owner.dataset.code,
                "period": owner.period,
                "status": owner.get_status_display(),
            },
            code="locked",
            field=code,
        )


@dataclass
class _Store:
    """What `submission_save` writes for one element."""

    submission: Submission
    element: DataElement
    source: str
    actor: Actor
    actor_label: str

    def write(self, existing: DataValue | None, value: Decimal | None, text: str, comment: str) -> None:
        if value is None and not text and not comment:
            if existing is not None:  # a cleared cell removes the value; the trail keeps what it was
                existing.delete()
            return
        submission = self.submission
        DataValue.objects.update_or_create(
            data_element=self.element,
            unit=submission.unit,
            period=submission.period,
            defaults={
                "value": value,
                "text_value": text,
                "comment": comment,
                "submission": submission,
                "source": self.source,
                "source_detail": f"{submission.dataset.symbol} · {submission.unit.name} · {submission.period}",
                "stored_by": self.actor if self.actor.is_authenticated else None,
                "stored_by_label": self.actor_label or _label(self.actor, "api"),
                "is_simulated": False,
            },
        )


def _change(
    code: str, existing: DataValue | None, value: Decimal | None, text: str, comment: str
) -> dict[str, Any] | None:
    """The trail's entry for one element, or None when nothing changes."""
    if existing is None and value is None and not text and not comment:
        return None
    if existing is not None and (existing.value, existing.text_value, existing.comment) == (
        value,
        text,
        comment,
    ):
        return None
    change: dict[str, Any] = {
        "element": code,
        "old": _show(existing.value, existing.text_value) if existing else None,
        "new": _show(value, text),
    }
    if (existing.comment if existing else "") != comment:
        change["comment"] = comment
    return change


@transaction.atomic
def submission_save(
    *,
    actor: Actor,
    submission: Submission,
    values: dict[str, Any],
    comments: dict[str, str] | None = None,
    version: int | None,
    source: str = DataValue.Source.SUBMISSION,
    actor_label: str = "",
    number_style: str = MACHINE,
) -> SaveResult:
    """Store typed values (blank clears a value) as the unit's draft. Refused when locked or stale."""
    submission = _lock(submission.pk, version=version)
    _editable(actor, submission)
    numbers, texts = parse_inputs(submission.dataset, values, style=number_style)
    comments = comments or {}
    stored = current_values(submission)
    elements = {e.code: e for e in DataElement.objects.filter(code__in=set(numbers) | set(comments))}
    changes: list[dict[str, Any]] = []
    for code in sorted(set(numbers) | set(comments)):
        existing = stored.get(code)
        new_value = numbers.get(code, existing.value if existing else None)
        new_text = texts.get(code, existing.text_value if existing else "")
        new_comment = comments.get(code, existing.comment if existing else "").strip()
        change = _change(code, existing, new_value, new_text, new_comment)
        if change is None:
            continue
        if existing is not None:
            _refuse_locked_owner(code, existing, submission)
        changes.append(change)
        store = _Store(submission, elements[code], source, actor, actor_label)
        store.write(existing, new_value, new_text, new_comment)
    if changes:
        before = submission.status
        _bump(submission)
        _event(
            submission, actor=actor, action="save", before=before, changes=changes, actor_label=actor_label
        )
    return SaveResult(submission, changes, submission_validate(submission=submission))


def _show(value: Decimal | None, text: str) -> str | None:
    if value is not None:
        return format(value.normalize(), "f")
    return text or None


def _unexplained(submission: Submission) -> list[Violation]:
    """What stops sending: errors, and warnings without a comment on a value concerned."""
    stored = current_values(submission)
    blocking = []
    for violation in submission_validate(submission=submission, stored=stored):
        explained = violation.message + gettext(" — cần ghi chú giải trình")
        if violation.is_error:
            blocking.append(violation)
        elif violation.element and not (stored.get(violation.element) and stored[violation.element].comment):
            blocking.append(Violation("error", explained, violation.element))
        elif violation.rule and not any(
            stored[code].comment for code in rule_elements(submission, violation.rule) if code in stored
        ):
            blocking.append(Violation("error", explained, None, violation.rule))
    return blocking


def _take(
    step: Step, *, actor: Actor, submission: Submission, version: int | None, reason: str, actor_label: str
) -> Submission:
    """Take one step of the workflow table: lock, check, change the state, record the event."""
    submission = _lock(submission.pk, version=version)
    exception = step.require(actor, submission, reason)
    if step.name == "submit":
        blocking = _unexplained(submission)
        if blocking:
            raise SubmissionInvalidError(blocking)
    reason = reason.strip() if step.needs_reason else ""
    before = submission.status
    _bump(submission, status=step.target, **step.stamp(actor, reason))
    note = (
        gettext("Tự duyệt theo ngoại lệ bốn mắt của Văn phòng CĐS: %(name)s") % {"name": exception.name}
        if exception is not None
        else reason
    )
    _event(submission, actor=actor, action=step.name, before=before, reason=note, actor_label=actor_label)
    return submission


@transaction.atomic
def submission_transition(
    *,
    actor: Actor,
    submission: Submission,
    step: str,
    version: int | None,
    reason: str = "",
    actor_label: str = "",
) -> Submission:
    """Take the workflow step named `step` (submit, approve, return, reopen); see `workflow.STEPS`."""
    return _take(
        step_get(step),
        actor=actor,
        submission=submission,
        version=version,
        reason=reason,
        actor_label=actor_label,
    )


def submission_submit(
    *, actor: Actor, submission: Submission, version: int | None, actor_label: str = ""
) -> Submission:
    """Send the report for review. Errors block; warnings need a comment on the value concerned."""
    return submission_transition(
        actor=actor, submission=submission, step="submit", version=version, actor_label=actor_label
    )


def submission_approve(*, actor: Actor, submission: Submission, version: int | None) -> Submission:
    """Approve: the values lock and start counting in the indicators."""
    return submission_transition(actor=actor, submission=submission, step="approve", version=version)


def submission_return(
    *, actor: Actor, submission: Submission, version: int | None, reason: str
) -> Submission:
    """Send the report back to the unit with the reason; the reporter fixes and resubmits."""
    return submission_transition(
        actor=actor, submission=submission, step="return", version=version, reason=reason
    )


def submission_reopen(
    *, actor: Actor, submission: Submission, version: int | None, reason: str
) -> Submission:
    """The CĐS office unlocks an approved report (it stops counting until approved again)."""
    return submission_transition(
        actor=actor, submission=submission, step="reopen", version=version, reason=reason
    )


def _office_only(actor: Actor, message: str) -> None:
    if not user_is_office_admin(actor):
        raise PermissionDeniedError(message)


@transaction.atomic
def four_eyes_exception_grant(
    *, actor: Actor, dataset: DataSet, unit: OrgUnit | None = None, name: str
) -> FourEyesException:
    """The office lets the authors of `dataset`'s reports (of `unit`, or of every unit) approve them
    too, for the reason `name` (e.g. a commune with one official). Audited; shown on the form's page."""
    _office_only(actor, gettext("Chỉ Văn phòng CĐS được cho phép ngoại lệ quy tắc bốn mắt"))
    name = name.strip()
    if not name:
        raise ApplicationError(gettext("Cần ghi tên (lý do) của ngoại lệ"), field="name")
    if unit is not None and not dataset.units.filter(pk=unit.pk).exists():
        raise ApplicationError(
            gettext("Biểu %(form)s không giao cho %(unit)s")
            % {"form": dataset.symbol, "unit": f"{unit.code} ({unit.name})"},
            field="unit",
        )
    exception, created = FourEyesException.objects.update_or_create(
        dataset=dataset, unit=unit, defaults={"name": name, "granted_by": actor}
    )
    audit_record(
        actor=actor,
        action="foureyes.exception.grant",
        obj=exception,
        changes={"form": dataset.code, "unit": unit.code if unit else None, "name": name, "new": created},
    )
    return exception


@transaction.atomic
def four_eyes_exception_revoke(*, actor: Actor, exception: FourEyesException) -> None:
    """The office withdraws an exception: the four-eyes rule holds again for that form (and unit)."""
    _office_only(actor, gettext("Chỉ Văn phòng CĐS được cho phép ngoại lệ quy tắc bốn mắt"))
    audit_record(
        actor=actor,
        action="foureyes.exception.revoke",
        obj=exception,
        changes={
            "form": exception.dataset.code,
            "unit": exception.unit.code if exception.unit else None,
            "name": exception.name,
        },
    )
    exception.delete()


def _admin_trail(actor: Actor, change: dict[str, Any], submission_id: int | None) -> None:
    """An admin change of a reported value lands in that report's trail (an event and an audit row)."""
    if submission_id is None:
        return
    submission = _lock(submission_id, version=None)
    if submission.status in (Submission.Status.SUBMITTED, Submission.Status.APPROVED):
        raise ApplicationError(
            gettext("Báo cáo đang ở trạng thái “%(status)s”: phải trả lại hoặc mở lại trước khi sửa số liệu")
            % {"status": submission.get_status_display()},
            code="locked",
            field="value",
        )
    _bump(submission)
    _event(submission, actor=actor, action="admin", before=submission.status, changes=[change])


def _reports_of(value: DataValue, *also: int | None) -> list[int]:
    """The reports an admin change of `value` touches: its owner (before and after) and every report
    showing it (an unowned value sits in the cell of each report whose form holds its element)."""
    showing = Submission.objects.filter(value.reports_showing()).values_list("pk", flat=True)
    return sorted({pk for pk in (value.submission_id, *also, *showing) if pk is not None})


@transaction.atomic
def datavalue_admin_save(*, actor: Actor, value: DataValue, changed: list[str]) -> DataValue:
    """The office's edit of one value in the Django admin: refused while its report is submitted or
    approved (reopen it first); recorded in the report's trail and the audit log."""
    _office_only(actor, gettext("Chỉ Văn phòng CĐS được sửa số liệu trong trang quản trị"))
    before = DataValue.objects.filter(pk=value.pk).first() if value.pk else None
    change = {
        "element": value.data_element.code,
        "old": _show(before.value, before.text_value) if before else None,
        "new": _show(value.value, value.text_value),
    }
    for submission_id in _reports_of(value, before.submission_id if before else None):
        _admin_trail(actor, change, submission_id)
    value.stored_by = actor if actor.is_authenticated else None
    value.stored_by_label = actor.get_username()
    value.source = value.source or DataValue.Source.MANUAL
    value.save()
    audit_record(
        actor=actor,
        action=f"datavalue.{'update' if before else 'create'}.admin",
        obj=value,
        changes={**change, "fields": changed},
    )
    return value


@transaction.atomic
def datavalue_admin_delete(*, actor: Actor, value: DataValue) -> None:
    """The office deletes one value in the admin: the same rules and trail as an edit."""
    _office_only(actor, gettext("Chỉ Văn phòng CĐS được sửa số liệu trong trang quản trị"))
    change = {"element": value.data_element.code, "old": _show(value.value, value.text_value), "new": None}
    for submission_id in _reports_of(value):
        _admin_trail(actor, change, submission_id)
    audit_record(actor=actor, action="datavalue.delete.admin", obj=value, changes=change)
    value.delete()


def notifications_mark_read(*, actor: Actor) -> int:
    """Mark every unread notification of the acting user as read (only their own)."""
    from tiendo.reporting.models import Notification

    if not actor.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())


@dataclass(frozen=True)
class FeedValue:
    """One figure a data feed computed (the IOC's sensors): element × unit × period, with provenance."""

    element: str
    unit: str
    period: str
    value: Decimal
    source_detail: str
    is_simulated: bool


@transaction.atomic
def feed_values_store(*, values: list[FeedValue], feed: str) -> int:
    """Store a feed's figures (source "feed"), audited when a value is new or changes; returns how many
    changed. A value a unit reported for the same element and period is never overwritten."""
    elements = {e.code: e for e in DataElement.objects.filter(code__in={v.element for v in values})}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in={v.unit for v in values})}
    changed = 0
    for item in values:
        element, unit = elements.get(item.element), units.get(item.unit)
        if element is None or unit is None:
            raise ApplicationError(
                gettext("Luồng %(feed)s: không có chỉ số dữ liệu %(element)s hoặc đơn vị %(unit)s")
                % {"feed": feed, "element": item.element, "unit": item.unit}
            )
        existing = DataValue.objects.filter(data_element=element, unit=unit, period=item.period).first()
        if existing is not None and existing.source != DataValue.Source.FEED:
            continue
        if existing is not None and (existing.value, existing.source_detail, existing.is_simulated) == (
            item.value,
            item.source_detail,
            item.is_simulated,
        ):
            continue
        stored = DataValue.objects.update_or_create(
            data_element=element,
            unit=unit,
            period=item.period,
            defaults={
                "value": item.value,
                "source": DataValue.Source.FEED,
                "source_detail": item.source_detail[:500],
                "is_simulated": item.is_simulated,
                "stored_by": None,
                "stored_by_label": feed,
            },
        )[0]
        audit_record(
            actor=None,
            actor_label=feed,
            action="datavalue.feed",
            obj=stored,
            changes={
                "element": element.code,
                "old": _show(existing.value, "") if existing else None,
                "new": _show(item.value, ""),
            },
        )
        changed += 1
    return changed
