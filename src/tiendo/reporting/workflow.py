"""The submission's workflow as one table: draft → submitted → returned | approved (→ reopened).

Each step says which states it starts from, where it leads, who may take it, the event it records
(its name), the message a refusal or a success shows, and the API operation that takes it. The
services (`services.submission_transition`), the API operations and the entry page's buttons all
read this table; nothing else decides what a step is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.reporting import permissions
from tiendo.reporting.models import Submission

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

    @property
    def needs_reason(self) -> bool:
        return bool(self.reason_missing)

    def possible(self, actor: Actor, submission: Submission) -> bool:
        """Whether `actor` may take this step now (the page shows its button)."""
        return submission.status in self.sources and self.allowed(actor, submission)

    def require(self, actor: Actor, submission: Submission, reason: str = "") -> None:
        """Raise the step's refusal unless `actor` may take it now (permission, reason, state)."""
        if not self.allowed(actor, submission):
            raise PermissionDeniedError(str(self.denied))
        if self.needs_reason and not reason.strip():
            raise ApplicationError(str(self.reason_missing), field="reason")
        if submission.status not in self.sources:
            raise ApplicationError(
                str(self.wrong_state) % {"status": submission.get_status_display()},
                code=self.state_code,
                field="status",
            )


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
