"""The report's tables as XLSX: one sheet per appendix, bold frozen header row, percentages as
numbers (Excel shows `44,91%` under a Vietnamese locale: the format code is always `0.00%`)."""

from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from tiendo.core.spreadsheet import append_row
from tiendo.documents.report import EvaluationReport

BOLD = Font(name="Times New Roman", bold=True)
NORMAL = Font(name="Times New Roman")
WRAP = Alignment(wrap_text=True, vertical="top")


def render_xlsx(report: EvaluationReport) -> bytes:
    workbook = Workbook()
    results = workbook.active
    results.title = "Phụ lục I"
    header = [
        "Nhóm",
        "TT",
        "Chỉ tiêu",
        "Cơ quan chủ trì",
        f"Kết quả thực hiện năm {report.year}",
        "Giá trị",
        "Mục tiêu",
        "Đánh giá",
    ]
    rows = []
    for group in report.results:
        for row in group.rows:
            number = row.value / 100 if row.value is not None and row.measure == "%" else row.value
            rows.append(
                [group.code, row.number, row.name, row.lead, row.result, number, row.target, row.verdict]
            )
    _sheet(results, header, rows, widths=[7, 5, 60, 30, 30, 12, 14, 14])
    for index, row in enumerate(report.result_rows, start=2):
        if row.value is not None and row.measure == "%":
            results.cell(row=index, column=6).number_format = "0.00%"
    if report.next_plan is not None:
        targets = workbook.create_sheet("Phụ lục II")
        year = report.next_plan.year
        header = ["Nhóm", "TT", "Chỉ tiêu", f"Mục tiêu năm {year}", "Cơ quan chủ trì/Đánh giá"]
        rows = [
            [group.code, row.number, row.name, row.target, row.lead]
            for group in report.targets
            for row in group.rows
        ]
        _sheet(targets, header, rows, widths=[7, 5, 70, 16, 40])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet(sheet, header: list[str], rows: list[list], *, widths: list[int]) -> None:
    append_row(sheet, header)
    for cell in sheet[1]:
        cell.font = BOLD
        cell.alignment = Alignment(wrap_text=True, vertical="center", horizontal="center")
    for row in rows:
        append_row(sheet, row)  # text that looks like a formula stays text
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.font = NORMAL
            cell.alignment = WRAP
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = width
    sheet.freeze_panes = "A2"
