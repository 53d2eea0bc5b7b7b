"""Tables in and out: an agency's CSV or XLSX read into typed rows, a Table Schema inferred from the
first version and every later version checked against it, every bad cell named; rows written back
as CSV, XLSX and JSON.

Types are Frictionless Table Schema's: integer, number, date, string. A number is written as a
machine writes it (`1293000`, `44.91`) or with a Vietnamese decimal comma and no thousands mark
(`44,91`); `1.293.000` is text (is it 1293000 or 1.293?). A date is `2026-12-31` or `31/12/2026`.
An empty cell is missing (Frictionless `missingValues: [""]`), allowed in any column.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError

MAX_ERRORS_LISTED = 100
MAX_COLUMNS = 200
MAX_NAME = 100
INTEGER = re.compile(r"^[+-]?\d{1,18}$")
NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)([eE][+-]?\d+)?$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
VN_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
TYPES = ("integer", "number", "date", "string")


@dataclass(frozen=True)
class CellError:
    row: int  # the row in the file, the header being row 1
    column: str
    value: str
    rule: str

    def message(self) -> str:
        return _("Dòng %(row)s, cột “%(column)s”: “%(value)s” — %(rule)s") % {
            "row": self.row,
            "column": self.column,
            "value": self.value[:60],
            "rule": self.rule,
        }


class TableRefusedError(ApplicationError):
    """The file as a whole, or some of its cells, break a rule: nothing was stored."""

    status_code = 400
    code = "table_refused"

    def __init__(self, message: str, errors: list[CellError] | None = None, total: int = 0) -> None:
        super().__init__(message)
        self.errors = errors or []
        self.total = total or len(self.errors)


@dataclass
class Table:
    names: list[str]
    cells: list[list[Any]]  # as read: str from CSV, str/int/float/datetime from XLSX, None when empty
    rows: list[dict[str, Any]] = field(default_factory=list)  # typed, after check()


# ------------------------------------------------------------------------------------------- read


def read_table(*, filename: str, content: bytes) -> Table:
    """The header and the cells of a .csv (UTF-8, comma, semicolon or tab) or .xlsx file."""
    lower = filename.lower()
    if lower.endswith(".xlsx"):
        names, cells = _read_xlsx(content)
    elif lower.endswith(".csv") or lower.endswith(".txt"):
        names, cells = _read_csv(content)
    else:
        raise TableRefusedError(_("Tệp phải là .csv hoặc .xlsx (tệp đã gửi: %(name)s).") % {"name": filename})
    _check_header(names)
    cells = [row for row in cells if any(_text(cell) for cell in row)]  # blank lines are not rows
    if not cells:
        raise TableRefusedError(_("Tệp không có dòng số liệu nào dưới dòng tiêu đề."))
    for index, row in enumerate(cells):
        if len(row) > len(names) and any(_text(cell) for cell in row[len(names) :]):
            raise TableRefusedError(
                _("Dòng %(row)s có %(n)s ô, nhiều hơn %(m)s cột của dòng tiêu đề.")
                % {"row": index + 2, "n": len(row), "m": len(names)}
            )
        row[:] = (list(row) + [None] * len(names))[: len(names)]
    return Table(names=names, cells=cells)


def _read_csv(content: bytes) -> tuple[list[str], list[list[Any]]]:
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TableRefusedError(
            _("Tệp CSV phải mã hóa UTF-8 (byte không hợp lệ ở vị trí %(at)s).") % {"at": exc.start}
        ) from exc
    sample = text[:20000]
    try:
        dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    rows = list(csv.reader(io.StringIO(text), dialect))
    if not rows:
        raise TableRefusedError(_("Tệp trống."))
    return [name.strip() for name in rows[0]], [
        [cell if cell != "" else None for cell in row] for row in rows[1:]
    ]


def _read_xlsx(content: bytes) -> tuple[list[str], list[list[Any]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
        raise TableRefusedError(_("Không đọc được tệp XLSX: %(why)s") % {"why": type(exc).__name__}) from exc
    sheet = book.worksheets[0]
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    book.close()
    if not rows:
        raise TableRefusedError(_("Tệp trống."))
    return [_text(name) for name in rows[0]], rows[1:]


def _check_header(names: list[str]) -> None:
    while names and not names[-1]:
        names.pop()
    if not names:
        raise TableRefusedError(_("Dòng đầu của tệp phải là tên các cột."))
    if len(names) > MAX_COLUMNS:
        raise TableRefusedError(
            _("Tệp có %(n)s cột; tối đa %(max)s.") % {"n": len(names), "max": MAX_COLUMNS}
        )
    seen: set[str] = set()
    for index, name in enumerate(names, start=1):
        if not name:
            raise TableRefusedError(_("Cột thứ %(i)s không có tên ở dòng tiêu đề.") % {"i": index})
        if len(name) > MAX_NAME:
            raise TableRefusedError(
                _("Tên cột thứ %(i)s dài hơn %(max)s ký tự.") % {"i": index, "max": MAX_NAME}
            )
        if name in seen:
            raise TableRefusedError(_("Tên cột “%(name)s” lặp lại ở dòng tiêu đề.") % {"name": name})
        seen.add(name)


def _text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.date().isoformat() if cell.time() == datetime.min.time() else cell.isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


# ------------------------------------------------------------------------------------------- types


def _integer(cell: Any) -> int:
    if isinstance(cell, bool):
        raise ValueError
    if isinstance(cell, int):
        return cell
    if isinstance(cell, float) and cell.is_integer():
        return int(cell)
    text = _text(cell)
    if INTEGER.match(text):
        return int(text)
    raise ValueError


def _number(cell: Any) -> int | float:
    if isinstance(cell, (int, float)) and not isinstance(cell, bool):
        return cell
    text = _text(cell)
    if NUMBER.match(text):
        number = float(text.replace(",", "."))
        if math.isfinite(number):
            return int(text) if INTEGER.match(text) else number
    raise ValueError


def _date(cell: Any) -> str:
    if isinstance(cell, datetime):
        return cell.date().isoformat()
    if isinstance(cell, date):
        return cell.isoformat()
    text = _text(cell)
    if ISO_DATE.match(text):
        return date.fromisoformat(text).isoformat()
    match = VN_DATE.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day).isoformat()
    raise ValueError


CONVERTERS = {"integer": _integer, "number": _number, "date": _date, "string": _text}


def convert(cell: Any, kind: str) -> Any:
    """The cell as JSON would carry it in a column of this type; ValueError when it cannot be."""
    if cell is None or (isinstance(cell, str) and not cell.strip()):
        return None
    return CONVERTERS[kind](cell)


RULES = {
    "integer": lambda: _("phải là số nguyên"),
    "number": lambda: _(
        "phải là số (dấu thập phân là dấu chấm hoặc dấu phẩy, không có dấu phân cách hàng nghìn)"
    ),
    "date": lambda: _("phải là ngày dạng 2026-12-31 hoặc 31/12/2026"),
    "string": lambda: _("phải là văn bản"),
}


def infer_schema(table: Table) -> dict[str, Any]:
    """The narrowest type every non-empty cell of each column fits: integer, number, date, string."""
    fields = []
    for index, name in enumerate(table.names):
        column = [row[index] for row in table.cells if _text(row[index])]
        kind = "string"
        for candidate in ("integer", "number", "date"):
            if column and all(_fits(cell, candidate) for cell in column):
                kind = candidate
                break
        fields.append({"name": name, "type": kind})
    return {"fields": fields, "missingValues": [""]}


def _fits(cell: Any, kind: str) -> bool:
    try:
        convert(cell, kind)
    except ValueError:
        return False
    return True


def check(table: Table, schema: dict[str, Any]) -> list[dict[str, Any]]:
    """Typed rows, or TableRefusedError naming every bad cell (the first MAX_ERRORS_LISTED)."""
    fields = schema["fields"]
    expected = [f["name"] for f in fields]
    if table.names != expected:
        missing = [name for name in expected if name not in table.names]
        extra = [name for name in table.names if name not in expected]
        raise TableRefusedError(
            _(
                "Các cột phải giống phiên bản trước, đúng thứ tự: %(expected)s. Thiếu: %(missing)s; thừa: %(extra)s."
            )
            % {
                "expected": ", ".join(expected),
                "missing": ", ".join(missing) or "—",
                "extra": ", ".join(extra) or "—",
            }
        )
    rows: list[dict[str, Any]] = []
    errors: list[CellError] = []
    total = 0
    for number, cells in enumerate(table.cells, start=2):
        row: dict[str, Any] = {}
        for spec, cell in zip(fields, cells, strict=True):
            try:
                row[spec["name"]] = convert(cell, spec["type"])
            except ValueError:
                total += 1
                if len(errors) < MAX_ERRORS_LISTED:
                    errors.append(CellError(number, spec["name"], _text(cell), str(RULES[spec["type"]]())))
        rows.append(row)
    if total:
        raise TableRefusedError(
            _("%(n)s ô không đúng kiểu của cột; không có gì được lưu.") % {"n": total}, errors, total
        )
    table.rows = rows
    return rows


# ------------------------------------------------------------------------------------------- write


def csv_lines(names: list[str], rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The rows as CSV (UTF-8, comma, header first), one line at a time: what downloads stream."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([csv_cell(row.get(name)) for name in names])
        yield buffer.getvalue()


def plain_number(value: Decimal | None) -> int | float | None:
    """A stored decimal as a file or JSON writes it: 12 for 12.000000, 52.19 for 52.190000."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def csv_cell(value: Any) -> Any:
    """A value as the CSV writes it. A float without an exponent (1e20 → 100000000000000000000,
    1.5e-07 → 0.00000015): PostgreSQL's jsonb gives numbers back that way, and the file and its hash
    must not depend on the database the rows went through."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(value)
        if "e" in text or "E" in text:
            plain = format(Decimal(text), "f")
            return plain.rstrip("0").rstrip(".") if "." in plain else plain
        return text
    return value


def rows_hash(names: list[str], rows: Iterable[dict[str, Any]]) -> str:
    digest = hashlib.sha256()
    for line in csv_lines(names, rows):
        digest.update(line.encode())
    return digest.hexdigest()


def xlsx_bytes(names: list[str], rows: Iterable[dict[str, Any]], *, title: str) -> bytes:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=re.sub(r"[\[\]:*?/\\]", " ", title)[:31] or "data")
    sheet.append(names)
    for row in rows:
        sheet.append([row.get(name) for name in names])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def json_bytes(names: list[str], rows: Iterable[dict[str, Any]]) -> bytes:
    return json.dumps([{name: row.get(name) for name in names} for row in rows], ensure_ascii=False).encode()
