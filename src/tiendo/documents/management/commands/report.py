import time
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from tiendo.core.commands import TranslatedHelpCommand
from tiendo.core.exceptions import ApplicationError
from tiendo.documents.docx_writer import render_docx
from tiendo.documents.models import ReportTemplate
from tiendo.documents.narrative import render_narrative
from tiendo.documents.pdf import docx_to_pdf
from tiendo.documents.report import evaluation_report
from tiendo.documents.selectors import narrative_body
from tiendo.documents.services import pdf_sign
from tiendo.documents.xlsx_writer import render_xlsx
from tiendo.plans.selectors import plan_get


class Command(TranslatedHelpCommand):
    help = "Write a plan's evaluation report (Nghị định 30/2020 layout): DOCX, PDF (LibreOffice), or its tables as XLSX."

    def add_arguments(self, parser):
        parser.add_argument("plan", help="the plan's code, e.g. quang-ngai-2025")
        parser.add_argument("--year", type=int, default=None)
        parser.add_argument("--format", choices=["docx", "pdf", "xlsx"], default="docx")
        parser.add_argument("--out", type=Path, required=True)
        parser.add_argument("--signer-title", default="GIÁM ĐỐC")
        parser.add_argument("--signer-name", default="")
        parser.add_argument("--sign", action="store_true", help="seal the PDF with the office's certificate")

    def handle(self, *args, plan: str, year, format: str, out: Path, signer_title, signer_name, **options):
        if options["sign"] and format != "pdf":
            raise CommandError(_("--sign chỉ dùng với --format pdf"))
        started = time.perf_counter()
        try:
            report = evaluation_report(
                user=AnonymousUser(), plan=plan_get(user=AnonymousUser(), code=plan), year=year
            )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        try:
            if format == "xlsx":
                content = render_xlsx(report)
            else:
                body = narrative_body(user=AnonymousUser(), kind=ReportTemplate.Kind.EVALUATION_REPORT)
                content = render_docx(
                    report,
                    signer_title=signer_title,
                    signer_name=signer_name,
                    narrative=render_narrative(body, report),
                )
                if format == "pdf":
                    content = docx_to_pdf(content)
                    if options["sign"]:
                        content = pdf_sign(
                            actor=None,
                            actor_label="tiendo report --sign",
                            pdf=content,
                            reason=f"Báo cáo {report.plan.code}",
                            location=report.province,
                        )
        except ApplicationError as exc:
            raise CommandError(str(exc)) from None
        out.write_bytes(content)
        counts = {"count": len(report.result_rows), "dat": report.dat, "chua_dat": report.chua_dat}
        text = _("%(count)s chỉ tiêu (%(dat)s Đạt, %(chua_dat)s Chưa đạt)") % counts
        if report.next_plan:
            targets = {"count": len(report.target_rows), "year": report.next_plan.year}
            text += _(", %(count)s mục tiêu %(year)s") % targets
        size = {"bytes": f"{len(content):,}", "seconds": f"{time.perf_counter() - started:.2f}"}
        self.stdout.write(f"{out}: {text}; " + _("%(bytes)s bytes trong %(seconds)s giây") % size)
