"""The submission workflow: draft → submitted → returned | approved (→ reopened by the CĐS office).

Every service is keyword-only, transactional, checks permission and the optimistic lock
(`version`), and writes a SubmissionEvent (the trail shown on the submission page) and an AuditLog
row in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting import permissions
from tiendo.reporting.models import DataElement, DataSet, DataValue, Submission, SubmissionEvent
from tiendo.reporting.periods import parse_period
from tiendo.reporting.validation import MACHINE, Violation, check_values, parse_value


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
    changes=None,
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
            f"Báo cáo đã được người khác thay đổi (phiên bản {submission.version}, bạn mở phiên bản {version}); "
            f"tải lại trang để xem thay đổi, không có gì bị ghi đè / "
            f"The report was changed by someone else (version {submission.version}, you opened {version}); "
            f"reload to see the change — nothing was overwritten",
            field="version",
        )
    return submission


def _bump(submission: Submission, **fields: Any) -> None:
    for key, value in fields.items():
        setattr(submission, key, value)
    submission.version = F("version") + 1
    submission.save(update_fields=[*fields, "version", "updated_at"])
    submission.refresh_from_db(fields=["version"])


def submission_open(*, actor: Actor, dataset: DataSet, unit: OrgUnit, period: str) -> Submission:
    """The unit's submission for the form and period, created as a draft on first use."""
    if not permissions.can_read(actor, dataset, unit):
        raise NotFoundError()
    if not dataset.units.filter(pk=unit.pk).exists():
        raise ApplicationError(
            f"Biểu {dataset.symbol} không giao cho {unit.name} / form {dataset.code} is not assigned to unit {unit.code}",
            field="orgUnit",
        )
    parsed = parse_period(period)
    if parsed.period_type != dataset.period_type:
        raise ApplicationError(
            f"Kỳ {period} không phải kỳ {dataset.get_period_type_display()} của biểu / "
            f"period {period} is not a {dataset.period_type} period of form {dataset.code}",
            field="period",
        )
    if parsed.start > timezone.localdate():
        raise ApplicationError(f"Kỳ {period} chưa bắt đầu / period {period} has not started", field="period")
    submission = Submission.objects.filter(dataset=dataset, unit=unit, period=period).first()
    if submission is not None:
        return submission
    if not permissions.can_report(actor, unit):
        raise PermissionDeniedError(
            "Bạn không được lập báo cáo cho đơn vị này / you may not report for this unit"
        )
    with transaction.atomic():
        submission, created = Submission.objects.get_or_create(dataset=dataset, unit=unit, period=period)
        if created:
            _event(submission, actor=actor, action="create", before="")
    return submission


def _editable(actor: Actor, submission: Submission) -> None:
    if not permissions.can_report(actor, submission.unit):
        raise PermissionDeniedError("Bạn không được sửa báo cáo này / you may not edit this report")
    if submission.status not in (Submission.Status.DRAFT, Submission.Status.RETURNED):
        raise ApplicationError(
            f"Báo cáo đang ở trạng thái “{submission.get_status_display()}”, không sửa được / "
            f"the report is {submission.status} and cannot be edited",
            code="locked",
            field="status",
        )


def form_layout(dataset: DataSet):
    return list(
        dataset.form_elements.select_related("element", "section").order_by("section__sort", "sort")
    ), list(dataset.rules.all())


def current_values(submission: Submission) -> dict[str, DataValue]:
    return {
        v.data_element.code: v
        for v in DataValue.objects.filter(
            data_element__form_elements__dataset=submission.dataset,
            unit=submission.unit,
            period=submission.period,
        ).select_related("data_element")
    }


def previous_values(submission: Submission) -> dict[str, Decimal | None]:
    """The unit's values of the period before (same period type), approved or not stated by a report."""
    from tiendo.reporting.periods import periods_of_year

    period = parse_period(submission.period)
    periods = periods_of_year(submission.dataset.period_type, period.start.year) + periods_of_year(
        submission.dataset.period_type, period.start.year - 1
    )
    earlier = sorted((p for p in periods if p.end < period.start), key=lambda p: p.end)
    if not earlier:
        return {}
    before = earlier[-1].identifier
    return {
        v.data_element.code: v.value
        for v in DataValue.objects.filter(
            data_element__form_elements__dataset=submission.dataset, unit=submission.unit, period=before
        ).select_related("data_element")
    }


def submission_validate(
    *,
    submission: Submission,
    values: dict[str, Decimal | None] | None = None,
    texts=None,
    stored: dict[str, DataValue] | None = None,
) -> list[Violation]:
    """Check typed `values` (or, without them, the stored ones; pass `stored` if already read)."""
    form_elements, rules = form_layout(submission.dataset)
    if values is None:
        stored = current_values(submission) if stored is None else stored
        values = {code: v.value for code, v in stored.items()}
        texts = {code: v.text_value for code, v in stored.items()}
    return check_values(
        form_elements=form_elements,
        rules=rules,
        values=values,
        texts=texts,
        previous=previous_values(submission),
    )


def parse_inputs(
    dataset: DataSet, raw: dict[str, Any], *, style: str = MACHINE
) -> tuple[dict[str, Decimal | None], dict[str, str]]:
    """Parse every typed value of the form; one ApplicationError lists every value that cannot be read."""
    elements = {fe.element.code: fe.element for fe in dataset.form_elements.select_related("element")}
    values: dict[str, Decimal | None] = {}
    texts: dict[str, str] = {}
    problems = []
    for code, text in raw.items():
        element = elements.get(code)
        if element is None:
            problems.append(f"{code}: không có trong biểu {dataset.code} / not in form {dataset.code}")
            continue
        try:
            values[code], texts[code] = parse_value(text, element, style=style)
        except ApplicationError as exc:
            problems.append(str(exc))
    if problems:
        raise ApplicationError("\n".join(problems), field="values")
    return values, texts


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
    user = actor if actor.is_authenticated else None
    for code in sorted(set(numbers) | set(comments)):
        existing = stored.get(code)
        new_value = numbers.get(code, existing.value if existing else None)
        new_text = texts.get(code, existing.text_value if existing else "")
        new_comment = comments.get(code, existing.comment if existing else "").strip()
        if existing is None and new_value is None and not new_text and not new_comment:
            continue
        if existing is not None and (existing.value, existing.text_value, existing.comment) == (
            new_value,
            new_text,
            new_comment,
        ):
            continue
        if existing is not None and existing.submission_id not in (None, submission.pk):
            owner = Submission.objects.get(pk=existing.submission_id or 0)
            if owner.status in (Submission.Status.SUBMITTED, Submission.Status.APPROVED):
                raise ApplicationError(
                    f"{code}: giá trị thuộc báo cáo {owner.dataset.code} kỳ {owner.period} đã “{owner.get_status_display()}” / "
                    f"the value belongs to report {owner.dataset.code} {owner.period}, which is {owner.status}",
                    code="locked",
                    field=code,
                )
        change = {
            "element": code,
            "old": _show(existing.value, existing.text_value) if existing else None,
            "new": _show(new_value, new_text),
        }
        if (existing.comment if existing else "") != new_comment:
            change["comment"] = new_comment
        changes.append(change)
        if new_value is None and not new_text and not new_comment:
            if existing is not None:  # a cleared cell removes the value; the trail keeps what it was
                existing.delete()
            continue
        DataValue.objects.update_or_create(
            data_element=elements[code],
            unit=submission.unit,
            period=submission.period,
            defaults={
                "value": new_value,
                "text_value": new_text,
                "comment": new_comment,
                "submission": submission,
                "source": source,
                "source_detail": f"{submission.dataset.symbol} · {submission.unit.name} · {submission.period}",
                "stored_by": user,
                "stored_by_label": actor_label or _label(actor, "api"),
                "is_simulated": False,
            },
        )
    if changes:
        before = submission.status
        _bump(submission)
        _event(
            submission, actor=actor, action="save", before=before, changes=changes, actor_label=actor_label
        )
    return SaveResult(submission, changes, submission_validate(submission=submission))


def _rule_elements(submission: Submission, rule_code: str) -> set[str]:
    """The element codes a rule names: a warning is explained by a comment on one of them."""
    from tiendo.reporting import expressions

    rule = submission.dataset.rules.filter(code=rule_code).first()
    return expressions.names(rule.expression) if rule is not None else set()


def _show(value: Decimal | None, text: str) -> str | None:
    if value is not None:
        return format(value.normalize(), "f")
    return text or None


@transaction.atomic
def submission_submit(
    *, actor: Actor, submission: Submission, version: int | None, actor_label: str = ""
) -> Submission:
    """Send the report for review. Errors block; warnings need a comment on the value concerned."""
    submission = _lock(submission.pk, version=version)
    _editable(actor, submission)
    stored = current_values(submission)
    blocking = []
    for violation in submission_validate(submission=submission, stored=stored):
        if violation.is_error:
            blocking.append(violation)
        elif violation.element and not (stored.get(violation.element) and stored[violation.element].comment):
            blocking.append(
                Violation(
                    "error",
                    f"{violation.message} — cần ghi chú giải trình / a comment is required",
                    violation.element,
                )
            )
        elif violation.rule and not any(
            stored[code].comment for code in _rule_elements(submission, violation.rule) if code in stored
        ):
            blocking.append(
                Violation(
                    "error",
                    f"{violation.message} — cần ghi chú giải trình / a comment is required",
                    None,
                    violation.rule,
                )
            )
    if blocking:
        raise SubmissionInvalidError(blocking)
    before = submission.status
    _bump(
        submission,
        status=Submission.Status.SUBMITTED,
        submitted_at=timezone.now(),
        submitted_by=actor if actor.is_authenticated else None,
    )
    _event(submission, actor=actor, action="submit", before=before, actor_label=actor_label)
    return submission


@transaction.atomic
def submission_approve(*, actor: Actor, submission: Submission, version: int | None) -> Submission:
    """Approve: the values lock and start counting in the indicators."""
    submission = _lock(submission.pk, version=version)
    if not permissions.can_review(actor, submission.dataset, submission.unit):
        raise PermissionDeniedError("Bạn không được duyệt báo cáo này / you may not approve this report")
    if submission.status != Submission.Status.SUBMITTED:
        raise ApplicationError(
            f"Chỉ duyệt được báo cáo đã gửi (hiện: {submission.get_status_display()}) / only a submitted report can be approved",
            code="invalid_state",
            field="status",
        )
    before = submission.status
    _bump(
        submission, status=Submission.Status.APPROVED, decided_at=timezone.now(), decided_by=actor, reason=""
    )
    _event(submission, actor=actor, action="approve", before=before)
    return submission


@transaction.atomic
def submission_return(
    *, actor: Actor, submission: Submission, version: int | None, reason: str
) -> Submission:
    """Send the report back to the unit with the reason; the reporter fixes and resubmits."""
    submission = _lock(submission.pk, version=version)
    if not permissions.can_review(actor, submission.dataset, submission.unit):
        raise PermissionDeniedError("Bạn không được trả lại báo cáo này / you may not return this report")
    if not reason.strip():
        raise ApplicationError("Cần ghi lý do trả lại / a reason is required", field="reason")
    if submission.status != Submission.Status.SUBMITTED:
        raise ApplicationError(
            f"Chỉ trả lại được báo cáo đã gửi (hiện: {submission.get_status_display()}) / only a submitted report can be returned",
            code="invalid_state",
            field="status",
        )
    before = submission.status
    _bump(
        submission,
        status=Submission.Status.RETURNED,
        decided_at=timezone.now(),
        decided_by=actor,
        reason=reason.strip(),
    )
    _event(submission, actor=actor, action="return", before=before, reason=reason.strip())
    return submission


@transaction.atomic
def submission_reopen(
    *, actor: Actor, submission: Submission, version: int | None, reason: str
) -> Submission:
    """The CĐS office unlocks an approved report (it stops counting until approved again)."""
    submission = _lock(submission.pk, version=version)
    if not permissions.can_reopen(actor, submission):
        raise PermissionDeniedError(
            "Chỉ Văn phòng CĐS được mở lại báo cáo đã duyệt / only the CĐS office reopens"
        )
    if not reason.strip():
        raise ApplicationError("Cần ghi lý do mở lại / a reason is required", field="reason")
    if submission.status != Submission.Status.APPROVED:
        raise ApplicationError(
            "Chỉ mở lại được báo cáo đã duyệt / only an approved report can be reopened",
            code="invalid_state",
            field="status",
        )
    before = submission.status
    _bump(submission, status=Submission.Status.RETURNED, reason=reason.strip())
    _event(submission, actor=actor, action="reopen", before=before, reason=reason.strip())
    return submission


def is_on_time(submission: Submission) -> bool | None:
    from tiendo.reporting.periods import deadline

    if submission.submitted_at is None:
        return None
    due = deadline(
        parse_period(submission.period),
        days=submission.dataset.deadline_days,
        working_days=submission.dataset.working_days,
    )
    return timezone.localtime(submission.submitted_at).date() <= due


def due_date(dataset: DataSet, period: str) -> date:
    from tiendo.reporting.periods import deadline

    return deadline(parse_period(period), days=dataset.deadline_days, working_days=dataset.working_days)


def notifications_mark_read(*, actor: Actor) -> int:
    """Mark every unread notification of the acting user as read (only their own)."""
    from tiendo.reporting.models import Notification

    if not actor.is_authenticated:
        return 0
    return Notification.objects.filter(user_id=actor.pk, read_at__isnull=True).update(read_at=timezone.now())
