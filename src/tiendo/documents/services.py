from __future__ import annotations

import hashlib
from datetime import datetime

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.documents.models import ReportTemplate, SigningCertificate
from tiendo.documents.narrative import TemplateInvalidError, compile_narrative, render_narrative
from tiendo.documents.report import EvaluationReport, evaluation_report
from tiendo.documents.selectors import signing_certificate_active
from tiendo.documents.signing import decrypt, fernet, read_pkcs12, sign_pdf_bytes
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.models import Plan
from tiendo.reporting.models import Submission


def _check_against_every_plan(body: str) -> None:
    """Render the text with every plan's figures (a report can be made for any of them): an unknown
    placeholder fails here, naming the plan, never in a report someone downloads."""
    compile_narrative(body)
    for plan in Plan.objects.order_by("-year", "code"):
        try:
            render_narrative(body, evaluation_report(user=AnonymousUser(), plan=plan))
        except TemplateInvalidError as exc:
            raise TemplateInvalidError(f"{plan.code}: {exc.message}") from None


@transaction.atomic
def report_template_save(*, actor: Actor, kind: str, body: str, note: str = "") -> ReportTemplate:
    """Keep a new version of a report's narrative (the CĐS office only), after checking it."""
    if not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS sửa mẫu báo cáo"), field="body")
    kind = ReportTemplate.Kind(kind).value
    _check_against_every_plan(body)
    # the kind's versions locked (PostgreSQL refuses FOR UPDATE with an aggregate); two first
    # versions at once meet the unique (kind, version) constraint instead
    versions = ReportTemplate.objects.select_for_update().filter(kind=kind).values_list("version", flat=True)
    version = max(versions, default=0) + 1
    template = ReportTemplate.objects.create(
        kind=kind,
        version=version,
        body=body,
        note=note[:300],
        created_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        action="reporttemplate.save",
        obj=template,
        changes={"kind": kind, "version": version, "note": template.note},
    )
    return template


def report_template_restore(*, actor: Actor, template: ReportTemplate) -> ReportTemplate:
    """An older version becomes the newest again (a new version: the history stays whole)."""
    return report_template_save(
        actor=actor,
        kind=template.kind,
        body=template.body,
        note=_("khôi phục bản %(version)s") % {"version": template.version},
    )


def _office_only(actor: Actor, message: str) -> None:
    """`message` says what only the office does ("Chỉ Văn phòng CĐS được …"), already translated."""
    if not user_is_office_admin(actor):
        raise PermissionDeniedError(message, field="pkcs12")


def _short_date(value: datetime) -> str:
    return date_format(value, "SHORT_DATE_FORMAT")


@transaction.atomic
def signing_certificate_upload(
    *, actor: Actor, name: str, content: bytes, passphrase: str
) -> SigningCertificate:
    """Keep the organisation's PKCS#12 certificate (encrypted); it becomes the one that signs."""
    _office_only(actor, _("Chỉ Văn phòng CĐS được nạp chứng thư số"))
    facts = read_pkcs12(content, passphrase)
    if facts.not_before > timezone.now():
        raise ApplicationError(
            _("Chứng thư chưa có hiệu lực (từ %(date)s)") % {"date": _short_date(facts.not_before)},
            field="pkcs12",
        )
    if facts.not_after <= timezone.now():
        raise ApplicationError(
            _("Chứng thư đã hết hạn ngày %(date)s") % {"date": _short_date(facts.not_after)},
            field="pkcs12",
        )
    SigningCertificate.objects.filter(active=True).update(active=False)
    box = fernet()
    certificate = SigningCertificate.objects.create(
        name=name[:200] or facts.subject[:200],
        subject=facts.subject[:500],
        issuer=facts.issuer[:500],
        serial=facts.serial[:100],
        fingerprint_sha256=facts.fingerprint_sha256,
        not_before=facts.not_before,
        not_after=facts.not_after,
        pkcs12_encrypted=box.encrypt(content),
        passphrase_encrypted=box.encrypt(passphrase.encode()),
        chain_pem=facts.chain_pem,
        uploaded_by=actor if isinstance(actor, User) else None,
    )
    audit_record(
        actor=actor,
        action="signingcertificate.upload",
        obj=certificate,
        changes={"subject": facts.subject, "fingerprint_sha256": facts.fingerprint_sha256},
    )
    return certificate


@transaction.atomic
def pdf_sign(
    *, actor: Actor | None, pdf: bytes, reason: str, location: str = "", actor_label: str = ""
) -> bytes:
    """Seal a PDF with the active certificate; the audit row keeps the result's hash.

    `actor` None is the server's operator (the `tiendo report --sign` command); a person must be
    of the CĐS office.
    """
    if actor is not None:
        _office_only(actor, _("Chỉ Văn phòng CĐS được ký số tài liệu"))
    certificate = signing_certificate_active()
    if certificate is None:
        raise ApplicationError(_("Chưa nạp chứng thư số của cơ quan"), field="pkcs12")
    if certificate.not_after <= timezone.now():
        raise ApplicationError(
            _("Chứng thư đã hết hạn ngày %(date)s") % {"date": _short_date(certificate.not_after)},
            field="pkcs12",
        )
    signed = sign_pdf_bytes(
        pdf,
        pkcs12_content=decrypt(bytes(certificate.pkcs12_encrypted)),
        passphrase=decrypt(bytes(certificate.passphrase_encrypted)).decode(),
        reason=reason,
        location=location,
    )
    audit_record(
        actor=actor,
        actor_label=actor_label,
        action="pdf.sign",
        obj=certificate,
        changes={
            "reason": reason,
            "sha256": hashlib.sha256(signed).hexdigest(),
            "bytes": len(signed),
            "profile": "PAdES B-T" if settings.TIENDO_TSA_URL else "PAdES B-B",
            "tsa": settings.TIENDO_TSA_URL,
        },
    )
    return signed


def report_seal(*, actor: Actor, report: EvaluationReport, docx: bytes) -> bytes:
    """The plan's report as a PDF sealed with the office's certificate (the office only)."""
    _office_only(actor, _("Chỉ Văn phòng CĐS được ký số tài liệu"))  # before LibreOffice runs
    from tiendo.documents.pdf import docx_to_pdf

    return pdf_sign(
        actor=actor, pdf=docx_to_pdf(docx), reason=f"Báo cáo {report.plan.code}", location=report.province
    )


def submission_seal(*, actor: Actor, submission: Submission) -> bytes:
    """The approved report as a PDF sealed with the office's certificate (the office only)."""
    _office_only(actor, _("Chỉ Văn phòng CĐS được ký số tài liệu"))  # before LibreOffice runs
    if submission.status != Submission.Status.APPROVED:
        raise ApplicationError(_("Chỉ báo cáo đã duyệt mới được ký số"), field="status")
    from tiendo.documents.pdf import docx_to_pdf
    from tiendo.documents.submission_sheet import render_submission_docx

    pdf = docx_to_pdf(render_submission_docx(submission))
    return pdf_sign(
        actor=actor,
        pdf=pdf,
        # the signature's reason is the PDF's own text, Vietnamese like the sheet it seals
        reason=f"{submission.dataset.symbol} — {submission.unit.name} — {submission.period} (đã duyệt)",
        location=submission.unit.name,
    )
