"""Reporting pages: my reports, the entry grid with its workflow, Excel round trip, completeness."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.http import not_found_on_error
from tiendo.orgunits.selectors import unit_get, user_is_office_admin
from tiendo.reporting import permissions, xlsx
from tiendo.reporting.models import FourEyesException, Submission
from tiendo.reporting.periods import parse_period, period_containing, period_label, periods_of_year
from tiendo.reporting.selectors import (
    assignments_for_user,
    completeness,
    current_values,
    dataset_get,
    dataset_list,
    due_date,
    form_layout,
    notifications_unread,
    overdue_list,
    previous_values,
    submission_validate,
    submissions_to_review,
)
from tiendo.reporting.services import (
    ConflictError,
    SubmissionInvalidError,
    four_eyes_exception_grant,
    four_eyes_exception_revoke,
    notifications_mark_read,
    submission_open,
    submission_save,
    submission_transition,
)
from tiendo.reporting.validation import VIETNAMESE, parse_inputs, typed_number_style
from tiendo.reporting.workflow import STEPS, step_get


@login_required
def my_reports(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    year = int(request.GET["year"]) if request.GET.get("year", "").isdigit() else today.year
    to_review = submissions_to_review(user=request.user)
    return render(
        request,
        "reporting/my_reports.html",
        {
            "assignments": assignments_for_user(user=request.user, year=year, today=today),
            "to_review": to_review,
            "year": year,
            "is_office": user_is_office_admin(request.user),
            "notifications": notifications_unread(user=request.user)[:20],
        },
    )


@login_required
@require_POST
def notifications_read(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(actor=request.user)
    return redirect("my-reports")


def _submission(request: HttpRequest, dataset_code: str, unit_code: str, period: str) -> Submission:
    dataset = dataset_get(user=request.user, code=dataset_code)
    unit = unit_get(user=request.user, code=unit_code)
    existing = (
        Submission.objects.filter(dataset=dataset, unit=unit, period=period)
        .select_related("dataset", "unit")
        .first()
    )
    if existing is not None:
        if not permissions.can_read(request.user, dataset, unit):
            raise NotFoundError()
        return existing
    try:
        return submission_open(actor=request.user, dataset=dataset, unit=unit, period=period)
    except PermissionDeniedError:
        raise NotFoundError() from None


def _grid(submission: Submission, *, typed: dict | None = None, comments: dict | None = None):
    form_elements, rules = form_layout(submission.dataset)
    stored = current_values(submission)
    previous = previous_values(submission)
    rows, section = [], None
    for form_element in form_elements:
        code = form_element.element.code
        value = stored.get(code)
        rows.append(
            {
                "section": form_element.section if form_element.section_id != section else None,
                "fe": form_element,
                "element": form_element.element,
                "stored": value,
                "typed": (typed or {}).get(code),
                "comment": (comments or {}).get(code, value.comment if value else ""),
                "previous": previous.get(code),
            }
        )
        section = form_element.section_id
    return rows, rules


@login_required
@not_found_on_error
def submission_page(request: HttpRequest, dataset_code: str, unit_code: str, period: str) -> HttpResponse:
    try:
        submission = _submission(request, dataset_code, unit_code, period)
    except ApplicationError as exc:
        if isinstance(exc, NotFoundError):
            raise
        messages.error(request, str(exc.message))
        return redirect("my-reports")
    return _render_submission(request, submission)


def _render_submission(
    request, submission, *, violations=None, typed=None, comments=None, unsaved=None, status=200
):
    rows, _rules = _grid(submission, typed=typed, comments=comments)
    missing_required = 0
    if violations is None:  # opening the page: no wall of "required" for values not typed yet
        violations = submission_validate(submission=submission)
        missing_required = sum(1 for v in violations if v.kind == "required")
        violations = [v for v in violations if v.kind != "required"]
    marked = {v.element for v in violations if v.element}
    parsed = parse_period(submission.period)
    context = {
        "submission": submission,
        "dataset": submission.dataset,
        "unit": submission.unit,
        "period_label": period_label(parsed),
        "due": due_date(submission.dataset, submission.period),
        "rows": rows,
        "violations": violations,
        "marked": marked,
        "missing_required": missing_required,
        "unsaved": {code: value for code, value in (unsaved or {}).items() if value not in ("", None)},
        "events": submission.events.select_related("actor").order_by("-at", "-id"),
        "can_edit": STEPS["submit"].possible(request.user, submission),
        "can_review": STEPS["return"].possible(request.user, submission),
        "can_approve": STEPS["approve"].possible(request.user, submission),
        "is_office": user_is_office_admin(request.user),
        "can_reopen": STEPS["reopen"].possible(request.user, submission),
    }
    return render(request, "reporting/submission.html", context, status=status)


def _typed(request: HttpRequest) -> tuple[dict, dict]:
    values = {key[2:]: value for key, value in request.POST.items() if key.startswith("v_")}
    comments = {key[2:]: value for key, value in request.POST.items() if key.startswith("c_")}
    return values, comments


def _take_action(request: HttpRequest, submission: Submission, values: dict, comments: dict) -> None:
    """Save what is typed (on save and submit), then take the workflow step the button names."""
    action = request.POST.get("action", "")
    version = _version(request)
    step = None if action == "save" else step_get(action)
    if (step is None or step.name == "submit") and (values or comments):
        result = submission_save(
            actor=request.user,
            submission=submission,
            values=values,
            comments=comments,
            version=version,
            number_style=typed_number_style(),
        )
        submission, version = result.submission, result.submission.version
    if step is not None:
        submission_transition(
            actor=request.user,
            submission=submission,
            step=step.name,
            version=version,
            reason=request.POST.get("reason", ""),
        )
    messages.success(request, str(step.done) if step is not None else gettext("Đã lưu nháp"))


@login_required
@require_POST
@not_found_on_error
def submission_action(request: HttpRequest, dataset_code: str, unit_code: str, period: str) -> HttpResponse:
    submission = _submission(request, dataset_code, unit_code, period)
    values, comments = _typed(request)
    try:
        _take_action(request, submission, values, comments)
    except SubmissionInvalidError as exc:
        submission.refresh_from_db()
        messages.error(request, gettext("Chưa gửi được: sửa các lỗi dưới đây"))
        return _render_submission(request, submission, violations=exc.violations, status=422)
    except ConflictError as exc:
        messages.error(request, str(exc.message))
        submission.refresh_from_db()
        # the grid shows what is stored now; what this person typed is listed beside it, to re-enter
        return _render_submission(request, submission, unsaved=values, status=409)
    except (ApplicationError, PermissionDeniedError) as exc:
        messages.error(request, str(exc.message))
        submission.refresh_from_db()
        return _render_submission(
            request, submission, typed=values, comments=comments, status=exc.status_code
        )
    return redirect("submission", dataset_code, unit_code, period)


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST["version"])
    except (KeyError, ValueError):
        raise ApplicationError(gettext("Thiếu phiên bản của báo cáo"), field="version") from None


@login_required
@require_POST
@not_found_on_error
def submission_check(request: HttpRequest, dataset_code: str, unit_code: str, period: str) -> HttpResponse:
    """Inline validation (htmx): check what is typed, without saving it."""
    submission = _submission(request, dataset_code, unit_code, period)
    values, comments = _typed(request)
    try:
        numbers, texts = parse_inputs(submission.dataset, values, style=typed_number_style())
    except ApplicationError as exc:
        return render(
            request,
            "reporting/_violations.html",
            {"problems": str(exc.message).split("\n"), "violations": []},
        )
    violations = submission_validate(submission=submission, values=numbers, texts=texts)
    return render(request, "reporting/_violations.html", {"violations": violations, "problems": []})


def _import_workbook(request: HttpRequest, submission: Submission) -> None:
    """Store an uploaded workbook's values, all or nothing; say what happened as messages."""
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, gettext("Chọn tệp XLSX để tải lên"))
        return
    size = upload.size or 0
    if size > xlsx.MAX_UPLOAD_BYTES:
        sizes = {"size": size // 1024, "limit": xlsx.MAX_UPLOAD_BYTES // 1024}
        messages.error(request, gettext("Tệp quá lớn (%(size)s KB, tối đa %(limit)s KB)") % sizes)
        return
    try:
        data = xlsx.read_upload(submission, upload.read())
        result = submission_save(
            actor=request.user,
            submission=submission,
            values=data.values,
            comments=data.comments,
            version=data.version,
            number_style=VIETNAMESE,  # text cells of the (Vietnamese) workbook; number cells are exact
        )
    except ConflictError:
        messages.error(
            request,
            gettext(
                "Tệp được tải về trước lần sửa gần nhất; tải lại biểu mẫu và nhập lại — không có gì bị ghi đè"
            ),
        )
        return
    except (ApplicationError, PermissionDeniedError) as exc:
        problems = str(exc.message).split("\n")
        messages.error(
            request,
            gettext("Không nhập được tệp, không có gì thay đổi (%(count)s lỗi)") % {"count": len(problems)},
        )
        for problem in problems:
            messages.error(request, problem)
        return
    messages.success(request, gettext("Đã nhập %(count)s giá trị từ tệp") % {"count": len(result.changes)})


@login_required
@not_found_on_error
def submission_xlsx(request: HttpRequest, dataset_code: str, unit_code: str, period: str) -> HttpResponse:
    submission = _submission(request, dataset_code, unit_code, period)
    if request.method == "POST":
        _import_workbook(request, submission)
        return redirect("submission", dataset_code, unit_code, period)
    content = xlsx.workbook_for(submission)
    response = HttpResponse(
        content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{dataset_code}_{unit_code}_{period}.xlsx"'
    return response


def form_index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reporting/form_list.html",
        {"datasets": dataset_list(user=request.user).prefetch_related("units")},
    )


@not_found_on_error
def form_detail(request: HttpRequest, code: str) -> HttpResponse:
    dataset = dataset_get(user=request.user, code=code)
    today = timezone.localdate()
    periods = [p for p in periods_of_year(dataset.period_type, today.year) if p.start <= today]
    period = request.GET.get("period") or (
        periods[-1].identifier if periods else period_containing(dataset.period_type, today).identifier
    )
    try:
        parse_period(period)
    except ApplicationError:
        raise Http404 from None
    form_elements, rules = form_layout(dataset)
    report = (
        completeness(user=request.user, dataset=dataset, period=period)
        if request.user.is_authenticated
        else None
    )
    return render(
        request,
        "reporting/form_detail.html",
        {
            "dataset": dataset,
            "form_elements": form_elements,
            "rules": rules,
            "periods": [(p.identifier, period_label(p)) for p in periods],
            "period": period,
            "report": report,
            "today": today,
            "four_eyes_exceptions": dataset.four_eyes_exceptions.select_related("unit", "granted_by"),
            "is_office": user_is_office_admin(request.user),
        },
    )


@login_required
@require_POST
@not_found_on_error
def form_four_eyes(request: HttpRequest, code: str) -> HttpResponse:
    """The office grants (a name, a unit code or none for every unit) or withdraws an exception."""
    dataset = dataset_get(user=request.user, code=code)
    revoke = request.POST.get("revoke", "")
    try:
        if revoke:
            exception = FourEyesException.objects.filter(
                dataset=dataset, pk=int(revoke) if revoke.isdigit() else 0
            ).first()
            if exception is None:
                raise NotFoundError(field="revoke")
            four_eyes_exception_revoke(actor=request.user, exception=exception)
        else:
            unit_code = request.POST.get("unit", "").strip()
            unit = unit_get(user=request.user, code=unit_code) if unit_code else None
            four_eyes_exception_grant(
                actor=request.user, dataset=dataset, unit=unit, name=request.POST.get("name", "")
            )
        messages.success(request, gettext("Đã lưu ngoại lệ quy tắc bốn mắt"))
    except ApplicationError as exc:  # not the office, no name, a unit unknown or not assigned
        messages.error(request, str(exc.message))
    return redirect("form-detail", dataset.code)


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    rows = overdue_list(user=request.user, today=timezone.localdate())
    page = Paginator(rows, 100).get_page(request.GET.get("page"))
    return render(request, "reporting/overdue.html", {"page": page, "total": len(rows)})
