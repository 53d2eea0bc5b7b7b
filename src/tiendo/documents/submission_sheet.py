"""An approved report (submission) as a document: the form's values as sent and approved, with its
trail — the sheet the office can seal with its certificate (documents.services.submission_seal)."""

from __future__ import annotations

from django.utils import translation
from docx.enum.text import WD_ALIGN_PARAGRAPH

from tiendo.core.formatting import measured
from tiendo.documents.docx_writer import (
    add_cell_text,
    add_paragraph,
    add_table_with_header,
    header_block,
    new_document,
    saved,
    set_widths,
    title,
)
from tiendo.documents.report import ISSUER, province_name
from tiendo.reporting.models import Submission
from tiendo.reporting.periods import parse_period, period_label
from tiendo.reporting.selectors import current_values, form_layout

SMALL = 12


def render_submission_docx(submission: Submission) -> bytes:
    dataset, unit = submission.dataset, submission.unit
    province = province_name(unit)
    # a commune's People's Committee issues in its own name; an agency under the province's
    parent = "" if unit.kind == unit.Kind.COMMUNE else None
    with translation.override("vi"):
        label = period_label(parse_period(submission.period))
    document = new_document()
    decided = submission.decided_at or submission.updated_at
    commune = unit.kind == unit.Kind.COMMUNE
    header_block(
        document,
        province=province,
        symbol="BC-UBND" if commune else f"BC-{unit.code}",
        year=decided.year,
        issuer=f"UBND {unit.name}" if commune else unit.name,
        parent=parent,
    )
    title(document, "BÁO CÁO", [dataset.title, f"{dataset.symbol} — kỳ báo cáo: {label}"])
    receiver = dataset.reviewer_unit.name if dataset.reviewer_unit else ISSUER
    add_paragraph(
        document, f"Đơn vị báo cáo: {unit.name}. Đơn vị nhận báo cáo: {receiver}.", size=SMALL, after=6
    )
    elements, _rules = form_layout(dataset)
    values = current_values(submission)
    table, widths = add_table_with_header(
        document, ["TT", "Chỉ tiêu", "Giá trị", "Ghi chú"], [12, 98, 30, 25]
    )
    for number, item in enumerate(elements, start=1):
        stored = values.get(item.element.code)
        if stored is None:
            shown = ""
        elif stored.value is not None and item.element.value_type == item.element.ValueType.BOOLEAN:
            shown = "Có" if stored.value else "Không"
        elif stored.value is not None:
            shown = measured(stored.value, item.element.measure)
        else:
            shown = stored.text_value
        cells = table.add_row().cells
        add_cell_text(cells[0], str(number), size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_cell_text(cells[1], item.element.name, size=SMALL)
        add_cell_text(cells[2], shown, size=SMALL, align=WD_ALIGN_PARAGRAPH.CENTER)
        add_cell_text(cells[3], stored.comment if stored is not None else "", size=SMALL)
    set_widths(table, widths)
    trail = []
    if submission.submitted_at:
        who = submission.submitted_by.get_username() if submission.submitted_by else ""
        trail.append(f"Gửi lúc {submission.submitted_at.astimezone():%H:%M ngày %d/%m/%Y} ({who})")
    if submission.status == Submission.Status.APPROVED and submission.decided_at:
        who = submission.decided_by.get_username() if submission.decided_by else ""
        trail.append(f"duyệt lúc {submission.decided_at.astimezone():%H:%M ngày %d/%m/%Y} ({who})")
    add_paragraph(
        document,
        "; ".join(trail)
        + f". Trạng thái: {submission.get_status_display()}; phiên bản {submission.version}.",
        size=SMALL,
        italic=True,
        before=6,
    )
    return saved(document)
