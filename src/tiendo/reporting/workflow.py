"""The submission's workflow as one table: draft → submitted → returned | approved (→ reopened).

Each step says which states it starts from, where it leads, who may take it, the event it records
(its name), the message a refusal or a success shows, and the API operation that takes it. The
services (`services.submission_transition`), the API operations and the entry page's buttons all
read this table; nothing else decides what a step is.

Four eyes: a step marked `four_eyes` (approve) is refused to the report's authors — whoever
submitted it last and whoever entered any of its values — whatever their role and whatever the
path (page, API, dataValueSets, the admin); the CĐS office may name an exception per form
(`FourEyesException`, set through `services.four_eyes_exception_grant`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.reporting import permissions
from tiendo.reporting.models import FourEyesException, Submission, SubmissionEvent

Status = Submission.Status
EDITABLE = (Status.DRAFT, Status.RETURNED)  # values may be typed, saved and submitted


def _submitted(actor: Actor, reason: str) -> dict[str, Any]:
    return {"submitted_at": timezone.now(), "submitted_by": actor if actor.is_authenticated else None}


def _decided(actor: Actor, reason: str) -> dict[str, Any]:
    return {"decided_at": timezone.now(), "decided_by": actor, "reason": reason}


def _reason(actor: Actor, reason: str) -> dict[str, Any]:
    return {"reason": reason}


def _may_report(actor: Actor, submission: Submission) -> bool:
    return permissions.can_report(actor, submission.unit)


def _may_review(actor: Actor, submission: Submission) -> bool:
    return permissions.can_review(actor, submission.dataset, submission.unit)


# The trail's events that put figures into a report: whoever took one is an author of the report.
AUTHORING = ("save", "import", "admin")

FOUR_EYES_REFUSAL = _(
    "Quy tắc bốn mắt: người đã gửi báo cáo hoặc nhập số liệu của báo cáo không được tự duyệt báo cáo đó; "
    "cần một người duyệt khác"
)


def report_authors(submission: Submission) -> set[int]:
    """The users who may not approve `submission` (four eyes): whoever submitted it last, and whoever
    entered, changed or cleared any of its values (web, Excel, API, dataValueSets, the admin), as the
    trail records them. Entering counts because approving means a second person checked the figures:
    a reviewer who typed them and had a colleague press "send" would otherwise approve their own."""
    authors = set(  # these events are written only when values change
        SubmissionEvent.objects.filter(
            submission=submission, action__in=AUTHORING, actor__isnull=False
        ).values_list("actor_id", flat=True)
    )
    if submission.submitted_by_id is not None:
        authors.add(submission.submitted_by_id)
    return authors


def four_eyes_exception(submission: Submission) -> FourEyesException | None:
    """The office's exception covering this report's form and unit, if any."""
    return (
        FourEyesException.objects.filter(dataset_id=submission.dataset_id)
        .filter(models.Q(unit__isnull=True) | models.Q(unit_id=submission.unit_id))
        .order_by("unit_id")
        .first()
    )


def self_approval(actor: Actor, submission: Submission) -> FourEyesException | None:
    """None when `actor` is not an author of the report; the exception that lets them approve it
    when they are; a refusal naming the rule otherwise."""
    if not actor.is_authenticated or actor.pk not in report_authors(submission):
        return None
    exception = four_eyes_exception(submission)
    if exception is None:
        raise PermissionDeniedError(str(FOUR_EYES_REFUSAL), code="four_eyes")
    return exception


@dataclass(frozen=True)
class Step:
    """One transition of a submission."""

    name: str  # the action: the event's kind, the form button's value, the API path's last part
    sources: tuple[str, ...]  # the states it starts from
    target: str  # the state it leads to
    allowed: Callable[[Actor, Submission], bool]  # who may take it
    denied: str | Promise  # the refusal when `allowed` says no
    wrong_state: str | Promise  # the refusal from another state (%(status)s: the state shown)
    state_code: str  # the error code of that refusal
    done: str | Promise  # the message shown when it is taken
    summary: str  # the API operation's summary (the recorded OpenAPI document)
    stamp: Callable[[Actor, str], dict[str, Any]]  # the fields it records besides the state
    reason_missing: str | Promise = ""  # when set, a reason is required and this is the refusal
    four_eyes: bool = False  # the report's authors may not take it (unless the office's exception)

    @property
    def needs_reason(self) -> bool:
        return bool(self.reason_missing)

    def possible(self, actor: Actor, submission: Submission) -> bool:
        """Whether `actor` may take this step now (the page shows its button)."""
        if submission.status not in self.sources or not self.allowed(actor, submission):
            return False
        try:
            self.separate(actor, submission)
        except PermissionDeniedError:
            return False
        return True

    def separate(self, actor: Actor, submission: Submission) -> FourEyesException | None:
        """The four-eyes check of this step: the exception used by an author, or a refusal."""
        return self_approval(actor, submission) if self.four_eyes else None

    def require(self, actor: Actor, submission: Submission, reason: str = "") -> FourEyesException | None:
        """Raise the step's refusal unless `actor` may take it now (permission, four eyes, reason,
        state); returns the office's exception when an author takes a four-eyes step under it."""
        if not self.allowed(actor, submission):
            raise PermissionDeniedError(str(self.denied))
        exception = self.separate(actor, submission)
        if self.needs_reason and not reason.strip():
            raise ApplicationError(str(self.reason_missing), field="reason")
        if submission.status not in self.sources:
            raise ApplicationError(
                str(self.wrong_state) % {"status": submission.get_status_display()},
                code=self.state_code,
                field="status",
            )
        return exception


STEPS: dict[str, Step] = {
    step.name: step
    for step in (
        Step(
            name="submit",
            sources=EDITABLE,
            target=Status.SUBMITTED,
            allowed=_may_report,
            denied=_("Bạn không được sửa báo cáo này"),
            wrong_state=_("Báo cáo đang ở trạng thái “%(status)s”, không sửa được"),
            state_code="locked",
            done=_("Đã gửi báo cáo"),
            summary="Submit for review",
            stamp=_submitted,
        ),
        Step(
            name="approve",
            sources=(Status.SUBMITTED,),
            target=Status.APPROVED,
            allowed=_may_review,
            denied=_("Bạn không được duyệt báo cáo này"),
            wrong_state=_("Chỉ duyệt được báo cáo đã gửi (hiện: %(status)s)"),
            state_code="invalid_state",
            done=_("Đã duyệt báo cáo"),
            summary="Approve (locks the values)",
            stamp=_decided,
            four_eyes=True,
        ),
        Step(
            name="return",
            sources=(Status.SUBMITTED,),
            target=Status.RETURNED,
            allowed=_may_review,
            denied=_("Bạn không được trả lại báo cáo này"),
            wrong_state=_("Chỉ trả lại được báo cáo đã gửi (hiện: %(status)s)"),
            state_code="invalid_state",
            done=_("Đã trả lại báo cáo"),
            summary="Return to the unit with a reason",
            stamp=_decided,
            reason_missing=_("Cần ghi lý do trả lại"),
        ),
        Step(
            name="reopen",
            sources=(Status.APPROVED,),
            target=Status.RETURNED,
            allowed=permissions.can_reopen,
            denied=_("Chỉ Văn phòng CĐS được mở lại báo cáo đã duyệt"),
            wrong_state=_("Chỉ mở lại được báo cáo đã duyệt"),
            state_code="invalid_state",
            done=_("Đã mở lại báo cáo"),
            summary="Reopen an approved report (CĐS office)",
            stamp=_reason,
            reason_missing=_("Cần ghi lý do mở lại"),
        ),
    )
}


def step_get(name: str) -> Step:
    """The step named `name`, or a refusal naming the unknown action."""
    step = STEPS.get(name)
    if step is None:
        raise ApplicationError(
            gettext("Thao tác không hợp lệ: %(action)s") % {"action": name}, field="action"
        )
    return step
