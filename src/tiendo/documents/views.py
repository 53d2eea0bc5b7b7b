from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_post_parameters

from tiendo.core.exceptions import ApplicationError
from tiendo.core.http import not_found_on_error
from tiendo.documents.docx_writer import render_docx
from tiendo.documents.models import ReportTemplate
from tiendo.documents.narrative import render_narrative
from tiendo.documents.pdf import docx_to_pdf
from tiendo.documents.report import evaluation_report
from tiendo.documents.selectors import (
    narrative_body,
    report_template_versions,
    signing_certificates,
    trust_roots,
)
from tiendo.documents.services import (
    report_seal,
    report_template_restore,
    report_template_save,
    signing_certificate_upload,
    submission_seal,
)
from tiendo.documents.signing import MAX_PDF_BYTES, MAX_PKCS12_BYTES, file_too_large, verify_pdf_bytes
from tiendo.documents.submission_sheet import render_submission_docx
from tiendo.documents.unit_report import render_unit_docx, unit_report
from tiendo.documents.xlsx_writer import render_xlsx
from tiendo.orgunits.selectors import unit_get, user_is_office_admin
from tiendo.plans.models import Plan
from tiendo.plans.selectors import plan_get
from tiendo.reporting.selectors import submission_for_reading

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _download(build: Callable[[], bytes], fmt: str, filename: str) -> HttpResponse:
    """The file to download, or the reason there is none in plain text (no LibreOffice: 503; a saved
    narrative this plan cannot fill: 400; sealing without the right: 403)."""
    try:
        content = build()
    except ApplicationError as exc:
        return HttpResponse(
            str(exc.message), status=exc.status_code, content_type="text/plain; charset=utf-8"
        )
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@not_found_on_error
def plan_report(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The plan's evaluation report to download: DOCX (Nghị định 30/2020), PDF or its tables as XLSX."""
    plan = plan_get(user=request.user, code=code)
    report = evaluation_report(user=request.user, plan=plan)

    def build() -> bytes:
        if fmt == "xlsx":
            return render_xlsx(report)
        body = narrative_body(user=request.user, kind=ReportTemplate.Kind.EVALUATION_REPORT)
        docx = render_docx(report, narrative=render_narrative(body, report))
        if fmt == "docx":
            return docx
        if request.GET.get("signed") == "1":  # sealed with the office's certificate (office only)
            return report_seal(actor=request.user, report=report, docx=docx)
        return docx_to_pdf(docx)

    return _download(build, fmt, f"bao-cao-{plan.code}.{fmt}")


@login_required
def report_template(request: HttpRequest, kind: str) -> HttpResponse:
    """The office edits a report's narrative: check it against real figures, save a version, restore one."""
    if kind not in ReportTemplate.Kind.values or not user_is_office_admin(request.user):
        raise Http404
    body = (
        request.POST.get("body", "")
        if request.method == "POST"
        else narrative_body(user=request.user, kind=kind)
    )
    preview, error = None, None
    if request.method == "POST":
        try:
            if "restore" in request.POST:
                restore = request.POST["restore"]
                version = (
                    report_template_versions(user=request.user, kind=kind).filter(pk=int(restore)).first()
                    if restore.isdigit()
                    else None
                )
                if version is None:
                    raise Http404
                saved = report_template_restore(actor=request.user, template=version)
                messages.success(
                    request, _("Đã khôi phục thành bản %(version)s") % {"version": saved.version}
                )
                return redirect("report-template", kind=kind)
            if "save" in request.POST:
                saved = report_template_save(
                    actor=request.user, kind=kind, body=body, note=request.POST.get("note", "")
                )
                messages.success(request, _("Đã lưu bản %(version)s") % {"version": saved.version})
                return redirect("report-template", kind=kind)
            plan = _plan_to_preview(request.POST.get("plan"))
            if plan is not None:
                preview = render_narrative(body, evaluation_report(user=request.user, plan=plan))
        except ApplicationError as exc:
            error = str(exc.message)  # the text stays in the box: nothing typed is lost
    context = {
        "kind": kind,
        "kind_label": ReportTemplate.Kind(kind).label,
        "body": body,
        "preview": preview,
        "error": error,
        "versions": report_template_versions(user=request.user, kind=kind)[:50],
        "plans": Plan.objects.order_by("-year", "code"),
        "preview_plan": _plan_to_preview(request.POST.get("plan")),
    }
    return render(request, "documents/report_template.html", context, status=400 if error else 200)


def _plan_to_preview(code: str | None) -> Plan | None:
    """The chosen plan, else the latest one whose year has ended (the report being written)."""
    plans = Plan.objects.order_by("-year", "code")
    chosen = plans.filter(code=code).first() if code else None
    return chosen or plans.filter(year__lt=timezone.localdate().year).first() or plans.first()


def verify(request: HttpRequest) -> HttpResponse:
    """Anyone checks a signed PDF: signer, time, intact or altered, expired, trusted authority."""
    checks, error = None, None
    if request.method == "POST" and _too_large(request, MAX_PDF_BYTES):
        error = file_too_large(MAX_PDF_BYTES)
    elif request.method == "POST":
        upload = request.FILES.get("pdf")
        if upload is None:
            error = _("Chọn một tệp PDF")
        elif (upload.size or 0) > MAX_PDF_BYTES:
            error = file_too_large(MAX_PDF_BYTES)
        else:
            try:
                checks = verify_pdf_bytes(upload.read(), trust_roots=trust_roots())
                if not checks:
                    error = _("Tệp PDF không có chữ ký số")
            except ApplicationError as exc:
                error = str(exc.message)
    status = 400 if error else 200
    return render(request, "documents/verify.html", {"checks": checks, "error": error}, status=status)


@sensitive_post_parameters("passphrase")
@login_required
def certificates(request: HttpRequest) -> HttpResponse:
    """The office uploads the organisation's PKCS#12 certificate (kept encrypted)."""
    if not user_is_office_admin(request.user):
        raise Http404
    error = None
    if request.method == "POST" and _too_large(request, MAX_PKCS12_BYTES):
        error = _("Tệp quá lớn cho một chứng thư PKCS#12")
    elif request.method == "POST":
        upload = request.FILES.get("pkcs12")
        try:
            if upload is None:
                raise ApplicationError(_("Chọn tệp .p12 hoặc .pfx"), field="pkcs12")
            saved = signing_certificate_upload(
                actor=request.user,
                name=request.POST.get("name", ""),
                content=upload.read(),
                passphrase=request.POST.get("passphrase", ""),
            )
            messages.success(request, _("Đã nạp chứng thư: %(subject)s") % {"subject": saved.subject})
            return redirect("certificates")
        except ApplicationError as exc:
            error = str(exc.message)
    context = {"certificates": signing_certificates(user=request.user), "error": error}
    return render(request, "documents/certificates.html", context, status=400 if error else 200)


@not_found_on_error
def unit_report_download(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """One page on a commune or agency: indicators, verdicts, ranks, tasks, overdue reports."""
    unit = unit_get(user=request.user, code=code)
    docx = render_unit_docx(unit_report(user=request.user, unit=unit))
    return _download(
        lambda: docx if fmt == "docx" else docx_to_pdf(docx), fmt, f"bao-cao-don-vi-{unit.code}.{fmt}"
    )


@not_found_on_error
def submission_pdf(request: HttpRequest, dataset_code: str, unit_code: str, period: str) -> HttpResponse:
    """An approved report as PDF; `?sealed=1` (the CĐS office) seals it with the office's certificate."""
    submission = submission_for_reading(
        user=request.user, dataset_code=dataset_code, unit_code=unit_code, period=period
    )
    if submission.status != submission.Status.APPROVED:  # a sheet under the Quốc hiệu: approved figures only
        raise Http404
    sealed = request.GET.get("sealed") == "1"

    def build() -> bytes:
        if sealed:
            return submission_seal(actor=request.user, submission=submission)
        return docx_to_pdf(render_submission_docx(submission))

    return _download(build, "pdf", f"{dataset_code}-{unit_code}-{period}{'-da-ky' if sealed else ''}.pdf")


def _too_large(request: HttpRequest, limit: int) -> bool:
    """Refuse by the announced size, before Django streams the whole body to disk."""
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0) > limit + 64 * 1024
    except ValueError:
        return True
