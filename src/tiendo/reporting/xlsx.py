"""The Excel round trip of a form: download pre-filled, fill offline, upload all-or-nothing.

The workbook carries, on a protected sheet "tiendo", the form, unit, period and the version of the
submission it was made from; an upload for another report, or from an outdated copy, is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any
from zipfile import BadZipFile

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.exceptions import InvalidFileException

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import DataElement, Submission
from tiendo.reporting.periods import parse_period, period_label
from tiendo.reporting.services import current_values, form_layout, previous_values
from tiendo.reporting.validation import VIETNAMESE, parse_value

SHEET = "Biểu mẫu"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000  # a form has tens of rows; a sheet "used" to row 1,048,576 is not read cell by cell
META = "tiendo"
FIRST_ROW = 7
COLUMNS = [
    "Mã chỉ số / Code",
    "Chỉ số / Data element",
    "Đơn vị tính / Unit",
    "Kỳ trước / Previous",
    "Giá trị / Value",
    "Ghi chú / Comment",
]
VALUE_COLUMN = "E"
COMMENT_COLUMN = "F"


def workbook_for(submission: Submission) -> bytes:
    dataset, unit = submission.dataset, submission.unit
    form_elements, _rules = form_layout(dataset)
    stored = current_values(submission)
    previous = previous_values(submission)
    book = Workbook()
    sheet = book.active
    sheet.title = SHEET
    sheet["A1"] = dataset.symbol
    sheet["A1"].font = Font(bold=True)
    sheet["A2"] = dataset.title
    sheet["A2"].font = Font(bold=True, size=13)
    sheet["A3"] = f"Đơn vị báo cáo / Reporting unit: {unit.name} ({unit.code})"
    sheet["A4"] = (
        f"Kỳ báo cáo / Period: {period_label(parse_period(submission.period))} ({submission.period})"
    )
    sheet["A5"] = (
        "Nhập vào cột E (và ghi chú ở cột F); không sửa cột A. / Fill column E (comments in F); do not change column A."
    )
    for index, title in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=FIRST_ROW - 1, column=index, value=title)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    row = FIRST_ROW
    current_section = None
    for form_element in form_elements:
        if form_element.section_id != current_section:
            current_section = form_element.section_id
            sheet.cell(row=row, column=2, value=form_element.section.title).font = Font(
                bold=True, italic=True
            )
            row += 1
        element = form_element.element
        value = stored.get(element.code)
        sheet.cell(row=row, column=1, value=element.code)
        sheet.cell(
            row=row, column=2, value=element.name + (" *" if form_element.required else "")
        ).alignment = Alignment(wrap_text=True)
        sheet.cell(row=row, column=3, value=_hint(element))
        before = previous.get(element.code)
        sheet.cell(row=row, column=4, value=float(before) if before is not None else None)
        cell = sheet.cell(
            row=row, column=5, value=_cell_value(value.value, value.text_value, element) if value else None
        )
        cell.protection = Protection(locked=False)
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
        comment = sheet.cell(row=row, column=6, value=value.comment if value else None)
        comment.protection = Protection(locked=False)
        row += 1
    for column, width in zip("ABCDEF", (18, 70, 14, 12, 14, 40), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = f"A{FIRST_ROW}"
    meta = book.create_sheet(META)
    for key, value in (
        ("dataset", dataset.code),
        ("unit", unit.code),
        ("period", submission.period),
        ("version", submission.version),
    ):
        meta.append([key, value])
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    output = BytesIO()
    book.save(output)
    return output.getvalue()


def _hint(element: DataElement) -> str:
    if element.value_type == DataElement.ValueType.BOOLEAN:
        return "có / không"
    if element.value_type == DataElement.ValueType.PERCENTAGE:
        return "%"
    return element.measure


def _cell_value(value: Decimal | None, text: str, element: DataElement) -> Any:
    if element.value_type == DataElement.ValueType.BOOLEAN and value is not None:
        return "có" if value else "không"
    if value is not None:
        return int(value) if value == value.to_integral_value() else float(value)
    return text or None


@dataclass
class UploadedValues:
    values: dict[str, Any]
    comments: dict[str, str]
    version: int


def read_upload(submission: Submission, content: bytes) -> UploadedValues:
    """Read a filled workbook. Every unreadable cell is reported (sheet, cell, rule); nothing is partial."""
    try:
        book = load_workbook(BytesIO(content), data_only=True)
        formulas = load_workbook(BytesIO(content), data_only=False)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ApplicationError(
            f"Tệp không phải XLSX hợp lệ / not a valid XLSX file ({exc.__class__.__name__})", field="file"
        ) from None
    if META not in book.sheetnames or SHEET not in book.sheetnames:
        raise ApplicationError(
            "Tệp không phải biểu mẫu tải từ tiendo (thiếu trang “tiendo”) / not a tiendo form workbook",
            field="file",
        )
    meta = {str(row[0]): row[1] for row in book[META].iter_rows(values_only=True) if row and row[0]}
    expected = {"dataset": submission.dataset.code, "unit": submission.unit.code, "period": submission.period}
    wrong = [
        f"{key}: {meta.get(key)} ≠ {value}" for key, value in expected.items() if str(meta.get(key)) != value
    ]
    if wrong:
        raise ApplicationError(
            "Tệp thuộc báo cáo khác / the workbook belongs to another report: " + "; ".join(wrong),
            field="file",
        )
    sheet = book[SHEET]
    formula_sheet = formulas[SHEET]
    form_elements, _rules = form_layout(submission.dataset)
    elements = {fe.element.code: fe.element for fe in form_elements}
    values: dict[str, Any] = {}
    comments: dict[str, str] = {}
    problems: list[str] = []
    seen: dict[str, int] = {}
    for row in range(FIRST_ROW, min(sheet.max_row, FIRST_ROW + MAX_ROWS) + 1):
        code = sheet[f"A{row}"].value
        if code is None:
            continue
        code = str(code).strip()
        element = elements.get(code)
        if element is None:
            problems.append(f"{SHEET}!A{row}: mã {code} không có trong biểu / code {code} is not in the form")
            continue
        if code in seen:
            problems.append(
                f"{SHEET}!A{row}: mã {code} lặp lại (đã có ở dòng {seen[code]}) / code {code} repeats row {seen[code]}"
            )
            continue
        seen[code] = row
        raw = sheet[f"{VALUE_COLUMN}{row}"].value
        written = formula_sheet[f"{VALUE_COLUMN}{row}"].value
        if raw is None and isinstance(written, str) and written.startswith("="):
            problems.append(
                f"{SHEET}!{VALUE_COLUMN}{row}: công thức {written} chưa có kết quả (mở và lưu tệp bằng Excel/LibreOffice) / "
                f"formula {written} has no computed value (open and save the file in a spreadsheet program)"
            )
            continue
        try:
            parse_value(raw, element, style=VIETNAMESE)
        except ApplicationError as exc:
            problems.append(f"{SHEET}!{VALUE_COLUMN}{row}: {exc.message}")
            continue
        values[code] = "" if raw is None else raw
        comment = sheet[f"{COMMENT_COLUMN}{row}"].value
        comments[code] = "" if comment is None else str(comment)
    if problems:
        raise ApplicationError("\n".join(problems), field="file")
    try:
        version = int(meta.get("version"))
    except (TypeError, ValueError):
        raise ApplicationError(
            "Thiếu phiên bản trong tệp / the workbook has no version", field="file"
        ) from None
    return UploadedValues(values, comments, version)
