from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from tiendo.documents.docx_writer import render_docx
from tiendo.documents.pdf import ConverterMissingError, docx_to_pdf
from tiendo.documents.report import evaluation_report
from tiendo.documents.xlsx_writer import render_xlsx
from tiendo.plans.selectors import plan_get
from tiendo.web.errors import not_found_on_error

CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


@not_found_on_error
def plan_report(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The plan's evaluation report to download: DOCX (Nghị định 30/2020), PDF or its tables as XLSX."""
    plan = plan_get(user=request.user, code=code)
    report = evaluation_report(user=request.user, plan=plan)
    try:
        if fmt == "xlsx":
            content = render_xlsx(report)
        else:
            content = render_docx(report)
            if fmt == "pdf":
                content = docx_to_pdf(content)
    except ConverterMissingError as exc:
        return HttpResponse(str(exc.message), status=503, content_type="text/plain; charset=utf-8")
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="bao-cao-{plan.code}.{fmt}"'
    return response
