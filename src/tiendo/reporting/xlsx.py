"""The Excel round trip of a form: download pre-filled, fill offline, upload all-or-nothing.

The workbook carries, on a protected sheet "tiendo", the form, unit, period and the version of the
submission it was made from; an upload for another report, or from an outdated copy, is refused.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from io import BytesIO
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils.exceptions import InvalidFileException

from tiendo.core.exceptions import ApplicationError
from tiendo.core.spreadsheet import (
    UNREADABLE,
    WorkbookLimits,
    append_row,
    check_workbook_archive,
    put,
    put_at,
)
from tiendo.reporting.models import DataElement, Submission
from tiendo.reporting.periods import parse_period, period_label
from tiendo.reporting.selectors import current_values, form_layout, previous_values
from tiendo.reporting.validation import VIETNAMESE, parse_value

SHEET = "Biểu mẫu"
LIMITS = WorkbookLimits(max_bytes=5 * 1024 * 1024, max_expanded=20 * 1024 * 1024)
MAX_UPLOAD_BYTES = LIMITS.max_bytes
MAX_ROWS = 2000  # a form has tens of rows; a sheet "used" to row 1,048,576 is not read past its form
META_ROWS = 20  # the hidden sheet has four
MAX_COMMENT = 2000  # characters of a comment kept
READ_SECONDS = 10  # a form of a few hundred rows reads in well under a second
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
    put(sheet["A1"], dataset.symbol).font = Font(bold=True)
    put(sheet["A2"], dataset.title).font = Font(bold=True, size=13)
    put(sheet["A3"], gettext("Đơn vị báo cáo: %(unit)s") % {"unit": f"{unit.name} ({unit.code})"})
    period = f"{period_label(parse_period(submission.period))} ({submission.period})"
    put(sheet["A4"], gettext("Kỳ báo cáo: %(period)s") % {"period": period})
    put(sheet["A5"], gettext("Nhập vào cột E (và ghi chú ở cột F); không sửa cột A."))
    for index, title in enumerate(COLUMNS, start=1):
        cell = put_at(sheet, row=FIRST_ROW - 1, column=index, value=str(title))
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    row = FIRST_ROW
    current_section = None
    for form_element in form_elements:
        if form_element.section_id != current_section:
            current_section = form_element.section_id
            put_at(sheet, row=row, column=2, value=form_element.section.title).font = Font(
                bold=True, italic=True
            )
            row += 1
        element = form_element.element
        value = stored.get(element.code)
        put_at(sheet, row=row, column=1, value=element.code)
        put_at(
            sheet, row=row, column=2, value=element.name + (" *" if form_element.required else "")
        ).alignment = Alignment(wrap_text=True)
        put_at(sheet, row=row, column=3, value=_hint(element))
        before = previous.get(element.code)
        put_at(sheet, row=row, column=4, value=float(before) if before is not None else None)
        cell = put_at(
            sheet,
            row=row,
            column=5,
            value=_cell_value(value.value, value.text_value, element) if value else None,
        )
        cell.protection = Protection(locked=False)
        cell.fill = PatternFill("solid", fgColor="FFF2CC")
        comment = put_at(sheet, row=row, column=6, value=value.comment if value else None)
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
        append_row(meta, [key, setting])
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
    """The workbook's computed values and its formulas, both read-only (rows are streamed, only those
    asked for are parsed); refused unless it is a tiendo form workbook within the size bounds."""
    check_workbook_archive(content, limits=LIMITS, field="file")
    try:
        book = load_workbook(BytesIO(content), read_only=True, data_only=True)
        formulas = load_workbook(BytesIO(content), read_only=True, data_only=False)
    except (InvalidFileException, *UNREADABLE) as exc:
        raise _unreadable(exc) from None
    if META not in book.sheetnames or SHEET not in book.sheetnames:
        raise ApplicationError(
            gettext("Tệp không phải biểu mẫu tải từ tiendo (thiếu trang “tiendo”)"), field="file"
        )
    return book, formulas


def _meta(book: Any, submission: Submission) -> dict[str, Any]:
    """The hidden sheet's form, unit, period and version; refused when it names another report."""
    rows = book[META].iter_rows(max_row=META_ROWS, max_col=2, values_only=True)
    meta = {str(row[0]): row[1] for row in rows if row and row[0]}
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

    elements: dict[str, DataElement]
    values: dict[str, Any]
    comments: dict[str, str]
    problems: list[str]
    seen: dict[str, int]

    def read_row(self, row: int, cells: tuple[Any, ...], written: Any) -> None:
        """`cells` are the row's columns A–F (computed values); `written` is E as typed (a formula)."""
        code = cells[0]
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
        raw = cells[4]
        cell = f"{SHEET}!{VALUE_COLUMN}{row}"
        if raw is None and isinstance(written, str) and written.startswith("="):
            self.problems.append(
                gettext(
                    "%(cell)s: công thức %(formula)s chưa có kết quả (mở và lưu tệp bằng Excel/LibreOffice)"
                )
                % {"cell": cell, "formula": written[:200]}
            )
            return
        try:
            parse_value(raw, element, style=VIETNAMESE)
        except ApplicationError as exc:
            self.problems.append(f"{cell}: {exc.message}")
            return
        self.values[code] = "" if raw is None else raw
        comment = cells[5]
        self.comments[code] = "" if comment is None else str(comment)[:MAX_COMMENT]


def _rows(sheet: Any, last: int, *, columns: int) -> Iterator[tuple[Any, ...]]:
    """Rows FIRST_ROW..last, each padded to `columns` cells; openpyxl stops parsing after `last`."""
    for cells in sheet.iter_rows(min_row=FIRST_ROW, max_row=last, max_col=columns, values_only=True):
        yield tuple(cells) + (None,) * (columns - len(cells))


def _unreadable(exc: BaseException) -> ApplicationError:
    return ApplicationError(
        gettext("Tệp không phải XLSX hợp lệ (%(error)s)") % {"error": exc.__class__.__name__}, field="file"
    )


def _read_rows(book: Any, formulas: Any, reading: _Reading, *, last: int) -> None:
    """Rows FIRST_ROW..last of the values and of the formulas side by side, within READ_SECONDS."""
    deadline = time.monotonic() + READ_SECONDS
    values = _rows(book[SHEET], last, columns=6)
    typed = _rows(formulas[SHEET], last, columns=5)
    for row, (cells, written) in enumerate(zip(values, typed, strict=False), start=FIRST_ROW):
        reading.read_row(row, cells, written[4])
        if time.monotonic() > deadline:
            raise ApplicationError(
                gettext("Đọc tệp quá lâu (quá %(seconds)s giây), không nhập gì") % {"seconds": READ_SECONDS},
                field="file",
            )


def read_upload(submission: Submission, content: bytes) -> UploadedValues:
    """Read a filled workbook. Every unreadable cell is reported (sheet, cell, rule); nothing is partial.

    Only the form's own rows are read (its elements and section titles, with room for blank lines),
    within READ_SECONDS."""
    form_elements, _rules = form_layout(submission.dataset)
    reading = _Reading({fe.element.code: fe.element for fe in form_elements}, {}, {}, [], {})
    book, formulas = _open(content)
    try:
        meta = _meta(book, submission)
        _read_rows(book, formulas, reading, last=FIRST_ROW + min(MAX_ROWS, 2 * len(form_elements) + 50))
    except UNREADABLE as exc:  # read-only workbooks parse lazily: a broken part shows up here
        raise _unreadable(exc) from None
    finally:
        book.close()
        formulas.close()
    if reading.problems:
        raise ApplicationError("\n".join(reading.problems), field="file")
    try:
        version = int(meta.get("version"))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ApplicationError(gettext("Thiếu phiên bản trong tệp"), field="file") from None
    return UploadedValues(reading.values, reading.comments, version)
