from django.http import HttpRequest
from ninja import Query, Router
from ninja.pagination import paginate
from ninja.responses import Status

from tiendo.core.api_access import SIGNED_IN, WRITE, raises
from tiendo.core.api_paging import Pages
from tiendo.orgunits.selectors import unit_get
from tiendo.reporting.models import DataSet, Submission
from tiendo.reporting.periods import cutoff_window, deadline, period_label, periods_of_year
from tiendo.reporting.schemas import (
    FormDetailOut,
    FormOut,
    PeriodOut,
    ReasonIn,
    SubmissionDetailOut,
    SubmissionOpenIn,
    SubmissionOut,
    ValuesIn,
    VersionIn,
)
from tiendo.reporting.selectors import (
    current_values,
    dataset_get,
    dataset_list,
    form_layout,
    submission_get,
    submission_list,
    submission_validate,
)
from tiendo.reporting.services import submission_open, submission_save, submission_transition
from tiendo.reporting.workflow import STEPS, Step

router = Router(tags=["reporting"])
MIN_YEAR, MAX_YEAR = 2000, 2100  # as the dossier feed's window (docs/security.md, issue 10)


def _form(dataset: DataSet) -> dict:
    return {
        "code": dataset.code,
        "symbol": dataset.symbol,
        "title": dataset.title,
        "title_en": dataset.title_en,
        "period_type": dataset.period_type,
        "deadline_days": dataset.deadline_days,
        "working_days": dataset.working_days,
        "legal_basis": dataset.legal_basis,
        "units": dataset.units.count(),
    }


def _submission(s: Submission) -> dict:
    return {
        "id": s.pk,
        "form": s.dataset.code,
        "unit": s.unit.code,
        "period": s.period,
        "status": s.status,
        "version": s.version,
        "submitted_at": s.submitted_at,
        "decided_at": s.decided_at,
        "reason": s.reason,
    }


def _detail(s: Submission) -> dict:
    values = []
    for code, v in sorted(current_values(s).items()):
        shown = format(v.value.normalize(), "f") if v.value is not None else (v.text_value or None)
        values.append(
            {
                "element": code,
                "value": shown,
                "comment": v.comment,
                "stored_by": v.stored_by_label,
                "stored_at": v.stored_at,
            }
        )
    return {
        **_submission(s),
        "values": values,
        "violations": [
            {"severity": v.severity, "message": v.message, "element": v.element, "rule": v.rule}
            for v in submission_validate(submission=s)
        ],
        "events": [
            {
                "at": e.at,
                "actor": e.actor_label,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "reason": e.reason,
                "changes": e.changes,
            }
            for e in s.events.order_by("at", "id")
        ],
    }


@router.get("/forms", response=list[FormOut], summary="Reporting forms (biểu mẫu)")
@paginate(Pages)
def forms_list(request: HttpRequest):
    return [_form(d) for d in dataset_list(user=request.user).prefetch_related("units")]


@router.get("/forms/{code}", response=FormDetailOut, summary="A form with its elements and rules")
def forms_get(request: HttpRequest, code: str):
    dataset = dataset_get(user=request.user, code=code)
    form_elements, rules = form_layout(dataset)
    return {
        **_form(dataset),
        "elements": [
            {
                "code": fe.element.code,
                "name": fe.element.name,
                "name_en": fe.element.name_en,
                "value_type": fe.element.value_type,
                "measure": fe.element.measure,
                "section": fe.section.title,
                "required": fe.required,
                "min": fe.min_value,
                "max": fe.max_value,
            }
            for fe in form_elements
        ],
        "rules": [
            {
                "code": r.code,
                "expression": r.expression,
                "severity": r.severity,
                "message": r.message,
                "message_en": r.message_en,
            }
            for r in rules
        ],
    }


@router.get(
    "/forms/{code}/periods",
    response=list[PeriodOut],
    summary="A form's periods of a year, with cut-off and deadline",
)
def forms_periods(
    request: HttpRequest,
    code: str,
    year: int = Query(..., ge=MIN_YEAR, le=MAX_YEAR, description="the years tiendo reports: 2000–2100"),
):
    dataset = dataset_get(user=request.user, code=code)
    result = []
    for period in periods_of_year(dataset.period_type, year):
        first, last = cutoff_window(period)
        result.append(
            {
                "id": period.identifier,
                "label": period_label(period),
                "start": period.start,
                "end": period.end,
                "cutoff_start": first,
                "cutoff_end": last,
                "deadline": deadline(period, days=dataset.deadline_days, working_days=dataset.working_days),
            }
        )
    return result


@router.get(
    "/submissions",
    response=list[SubmissionOut],
    auth=SIGNED_IN,
    summary="Submissions the user may see",
    openapi_extra=raises(404),  # ?form= a form the user may not see
)
@paginate(Pages)
def submissions_list(
    request: HttpRequest, form: str | None = None, period: str | None = None, status: str | None = None
):
    dataset = dataset_get(user=request.user, code=form) if form else None
    return [
        _submission(s)
        for s in submission_list(user=request.user, dataset=dataset, period=period, status=status)
    ]


@router.post(
    "/submissions",
    response={200: SubmissionOut, 201: SubmissionOut},
    auth=WRITE,
    summary="Open (create) the unit's submission",
    openapi_extra=raises(404),  # the form or the unit
)
def submissions_open(request: HttpRequest, body: SubmissionOpenIn):
    dataset = dataset_get(user=request.user, code=body.form)
    unit = unit_get(user=request.user, code=body.unit)
    existed = Submission.objects.filter(dataset=dataset, unit=unit, period=body.period).exists()
    submission = submission_open(actor=request.user, dataset=dataset, unit=unit, period=body.period)
    return Status(200 if existed else 201, _submission(submission))


@router.get(
    "/submissions/{submission_id}",
    response=SubmissionDetailOut,
    auth=SIGNED_IN,
    summary="A submission with values, checks and trail",
)
def submissions_get(request: HttpRequest, submission_id: int):
    return _detail(submission_get(user=request.user, submission_id=submission_id))


@router.put(
    "/submissions/{submission_id}/values",
    response=SubmissionDetailOut,
    auth=WRITE,
    summary="Save values (a draft)",
    openapi_extra=raises(409),  # another version
)
def submissions_save(request: HttpRequest, submission_id: int, body: ValuesIn):
    submission = submission_get(user=request.user, submission_id=submission_id)
    result = submission_save(
        actor=request.user,
        submission=submission,
        values=body.values,
        comments=body.comments,
        version=body.version,
    )
    return _detail(result.submission)


def _step_operation(step: Step) -> None:
    """The API operation that takes one step of the workflow table (POST …/{step name})."""

    def take(request: HttpRequest, submission_id: int, body: VersionIn) -> dict:
        submission = submission_get(user=request.user, submission_id=submission_id)
        changed = submission_transition(
            actor=request.user,
            submission=submission,
            step=step.name,
            version=body.version,
            reason=getattr(body, "reason", ""),
        )
        return _submission(changed)

    take.__annotations__["body"] = ReasonIn if step.needs_reason else VersionIn
    router.post(
        f"/submissions/{{submission_id}}/{step.name}",
        response=SubmissionOut,
        auth=WRITE,
        summary=step.summary,
        operation_id=f"tiendo_reporting_api_submissions_{step.name}",
        url_name=f"submissions_{step.name}",
        openapi_extra=raises(409),  # another version
    )(take)


for _step in STEPS.values():
    _step_operation(_step)
