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

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.exceptions import InvalidFileException

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.models import DataElement, Submission
from tiendo.reporting.periods import parse_period, period_label
from tiendo.reporting.selectors import current_values, form_layout, previous_values
from tiendo.reporting.validation import VIETNAMESE, parse_value

SHEET = "Biểu mẫu"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000  # a form has tens of rows; a sheet "used" to row 1,048,576 is not read cell by cell
META = "tiendo"
FIRST_ROW = 7
COLUMNS = [
    _("Mã chỉ số"),
    _("Chỉ số"),
    _("Đơn vị tính"),
    _("Kỳ trước"),
    _("Giá trị"),
    _("Ghi chú"),
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
    sheet["A3"] = gettext("Đơn vị báo cáo: %(unit)s") % {"unit": f"{unit.name} ({unit.code})"}
    sheet["A4"] = gettext("Kỳ báo cáo: %(period)s") % {
        "period": f"{period_label(parse_period(submission.period))} ({submission.period})"
    }
    sheet["A5"] = gettext("Nhập vào cột E (và ghi chú ở cột F); không sửa cột A.")
    for index, title in enumerate(COLUMNS, start=1):
        cell = sheet.cell(row=FIRST_ROW - 1, column=index, value=str(title))
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
    for key, setting in (
        ("dataset", dataset.code),
        ("unit", unit.code),
        ("period", submission.period),
        ("version", submission.version),
    ):
        meta.append([key, setting])
    meta.sheet_state = "hidden"
    meta.protection.sheet = True
    output = BytesIO()
    book.save(output)
    return output.getvalue()


def _hint(element: DataElement) -> str:
    if element.value_type == DataElement.ValueType.BOOLEAN:
        return gettext("có / không")
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


def _open(content: bytes) -> tuple[Any, Any]:
    """The workbook's computed values and its formulas; refused unless it is a tiendo form workbook."""
    try:
        book = load_workbook(BytesIO(content), data_only=True)
        formulas = load_workbook(BytesIO(content), data_only=False)
    except (InvalidFileException, BadZipFile, OSError, KeyError, ValueError) as exc:
        raise ApplicationError(
            gettext("Tệp không phải XLSX hợp lệ (%(error)s)") % {"error": exc.__class__.__name__},
            field="file",
        ) from None
    if META not in book.sheetnames or SHEET not in book.sheetnames:
        raise ApplicationError(
            gettext("Tệp không phải biểu mẫu tải từ tiendo (thiếu trang “tiendo”)"), field="file"
        )
    return book, formulas


def _meta(book: Any, submission: Submission) -> dict[str, Any]:
    """The hidden sheet's form, unit, period and version; refused when it names another report."""
    meta = {str(row[0]): row[1] for row in book[META].iter_rows(values_only=True) if row and row[0]}
    expected = {"dataset": submission.dataset.code, "unit": submission.unit.code, "period": submission.period}
    wrong = [
        f"{key}: {meta.get(key)} ≠ {value}" for key, value in expected.items() if str(meta.get(key)) != value
    ]
    if wrong:
        raise ApplicationError(
            gettext("Tệp thuộc báo cáo khác: %(differences)s") % {"differences": "; ".join(wrong)},
            field="file",
        )
    return meta


@dataclass
class _Reading:
    """The value sheet read row by row: what was read, and every problem met."""

    sheet: Any
    formula_sheet: Any
    elements: dict[str, DataElement]
    values: dict[str, Any]
    comments: dict[str, str]
    problems: list[str]
    seen: dict[str, int]

    def read_row(self, row: int) -> None:
        code = self.sheet[f"A{row}"].value
        if code is None:
            return
        code = str(code).strip()
        element = self.elements.get(code)
        where = {"cell": f"{SHEET}!A{row}", "code": code}
        if element is None:
            self.problems.append(gettext("%(cell)s: mã %(code)s không có trong biểu") % where)
            return
        if code in self.seen:
            self.problems.append(
                gettext("%(cell)s: mã %(code)s lặp lại (đã có ở dòng %(first)s)")
                % {**where, "first": self.seen[code]}
            )
            return
        self.seen[code] = row
        raw = self.sheet[f"{VALUE_COLUMN}{row}"].value
        cell = f"{SHEET}!{VALUE_COLUMN}{row}"
        written = self.formula_sheet[f"{VALUE_COLUMN}{row}"].value
        if raw is None and isinstance(written, str) and written.startswith("="):
            self.problems.append(
                gettext(
                    "%(cell)s: công thức %(formula)s chưa có kết quả (mở và lưu tệp bằng Excel/LibreOffice)"
                )
                % {"cell": cell, "formula": written}
            )
            return
        try:
            parse_value(raw, element, style=VIETNAMESE)
        except ApplicationError as exc:
            self.problems.append(f"{cell}: {exc.message}")
            return
        self.values[code] = "" if raw is None else raw
        comment = self.sheet[f"{COMMENT_COLUMN}{row}"].value
        self.comments[code] = "" if comment is None else str(comment)


def read_upload(submission: Submission, content: bytes) -> UploadedValues:
    """Read a filled workbook. Every unreadable cell is reported (sheet, cell, rule); nothing is partial."""
    book, formulas = _open(content)
    meta = _meta(book, submission)
    form_elements, _rules = form_layout(submission.dataset)
    sheet = book[SHEET]
    reading = _Reading(
        sheet, formulas[SHEET], {fe.element.code: fe.element for fe in form_elements}, {}, {}, [], {}
    )
    for row in range(FIRST_ROW, min(sheet.max_row, FIRST_ROW + MAX_ROWS) + 1):
        reading.read_row(row)
    if reading.problems:
        raise ApplicationError("\n".join(reading.problems), field="file")
    try:
        version = int(meta.get("version"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApplicationError(gettext("Thiếu phiên bản trong tệp"), field="file") from None
    return UploadedValues(reading.values, reading.comments, version)
