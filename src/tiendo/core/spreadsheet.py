"""Spreadsheets in and out, safely: every XLSX writer puts cells through `put`, every XLSX reader
opens the file through `open_workbook`.

Writing: openpyxl turns any string that starts with "=" into a formula, so a comment typed as
`=HYPERLINK(…)` or `=cmd|' /C calc'!A0` would reach the reader's Excel as a live formula. `put`
stores user text as text (data type "s", quote prefix so Excel keeps it text when edited), always,
and drops the control characters XML cannot carry instead of failing the whole export.

Reading: a 190 KB XLSX can hold millions of cells (a zip expands ~1,000×) or an XML entity bomb.
`open_workbook` checks the upload's size, the zip's member count, total expanded size and ratio
before openpyxl reads a byte of XML, refuses a DOCTYPE in any XML part, and opens read-only (rows are
streamed, so only the rows the caller asks for are parsed).
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from tiendo.core.exceptions import ApplicationError

# what reading a broken workbook can raise (defusedxml's refusals are ValueErrors; a malformed XML part a
# ParseError, i.e. a SyntaxError); openpyxl parses lazily in read-only mode, so rows raise them too
UNREADABLE = (
    zipfile.BadZipFile,
    zlib.error,
    OSError,
    EOFError,
    KeyError,
    ValueError,
    TypeError,
    IndexError,
    AttributeError,
    SyntaxError,
    NotImplementedError,
)

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")  # what Excel (or a CSV reader) may evaluate


def safe_text(value: str) -> str:
    """The text without the control characters an XLSX cannot hold (shown as U+FFFD)."""
    return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)


def put(cell: Any, value: object) -> Any:
    """Set a cell's value; text is always stored as text, never as a formula. Returns the cell."""
    if isinstance(value, str):
        text = safe_text(value)
        cell.value = text
        if text.startswith(FORMULA_TRIGGERS):
            cell.data_type = "s"  # openpyxl made it a formula ("f") on the line above
            cell.quotePrefix = True  # and Excel keeps it text if someone edits the cell
        return cell
    cell.value = value
    return cell


def put_at(sheet: Any, *, row: int, column: int, value: object) -> Any:
    """`sheet.cell(row, column, value)` through `put`."""
    return put(sheet.cell(row=row, column=column), value)


def append_row(sheet: Any, values: Iterable[object]) -> int:
    """`sheet.append(values)` through `put`; returns the row written."""
    cells = list(values)
    sheet.append([safe_text(value) if isinstance(value, str) else value for value in cells])
    row: int = sheet.max_row
    for column, value in enumerate(cells, start=1):
        put_at(sheet, row=row, column=column, value=value)
    return row


@dataclass(frozen=True)
class WorkbookLimits:
    """What an uploaded workbook may be. The defaults fit a form of a few hundred rows many times."""

    max_bytes: int = 5 * 1024 * 1024  # the upload itself
    max_members: int = 200  # files inside the zip (a workbook of a few sheets has ~15)
    max_expanded: int = 50 * 1024 * 1024  # all members expanded
    max_ratio: int = 100  # expanded ÷ compressed per member (XML compresses ~10–20×; bombs ~1000×)


LIMITS = WorkbookLimits()
DOCTYPE = re.compile(rb"<!DOCTYPE|<!ENTITY", re.IGNORECASE)
CHUNK = 64 * 1024


def _refuse(message: str, field: str) -> ApplicationError:
    return ApplicationError(message, code="file_refused", field=field)


def check_workbook_archive(content: bytes, *, limits: WorkbookLimits = LIMITS, field: str = "file") -> None:
    """Refuse, before any XML is parsed, a file too big, not a zip, or a zip that expands too far."""
    if len(content) > limits.max_bytes:
        raise _refuse(
            _("Tệp quá lớn (%(size)s KB, tối đa %(limit)s KB)")
            % {"size": len(content) // 1024, "limit": limits.max_bytes // 1024},
            field,
        )
    try:
        archive = zipfile.ZipFile(BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error):
        raise _refuse(_("Tệp không phải XLSX hợp lệ (%(error)s)") % {"error": "zip"}, field) from None
    if len(members) > limits.max_members:
        raise _refuse(
            _("Tệp XLSX có quá nhiều phần (%(count)s, tối đa %(max)s)")
            % {"count": len(members), "max": limits.max_members},
            field,
        )
    expanded = sum(member.file_size for member in members)
    if expanded > limits.max_expanded:
        raise _refuse(
            _("Tệp XLSX khi giải nén quá lớn (%(size)s MB, tối đa %(max)s MB)")
            % {"size": expanded // (1024 * 1024), "max": limits.max_expanded // (1024 * 1024)},
            field,
        )
    for member in members:
        if member.file_size > 1024 * 1024 and member.file_size > limits.max_ratio * max(
            member.compress_size, 1
        ):
            raise _refuse(
                _("Tệp XLSX nén bất thường (%(part)s: tỉ lệ nén trên %(max)s lần)")
                % {"part": member.filename, "max": limits.max_ratio},
                field,
            )
    _refuse_doctype(archive, members, field)


def _refuse_doctype(archive: zipfile.ZipFile, members: list[zipfile.ZipInfo], field: str) -> None:
    """No XML part may declare a DOCTYPE or an entity (Excel never writes one). Each part is read
    through once, in chunks: their total is bounded above."""
    for member in members:
        try:
            found = _declares_doctype(archive, member)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError, zlib.error):
            raise _refuse(
                _("Tệp không phải XLSX hợp lệ (%(error)s)") % {"error": member.filename}, field
            ) from None
        if found:
            raise _refuse(
                _("Tệp XLSX có khai báo DOCTYPE/ENTITY trong %(part)s: không được phép")
                % {"part": member.filename},
                field,
            )


def _declares_doctype(archive: zipfile.ZipFile, member: zipfile.ZipInfo) -> bool:
    tail = b""
    with archive.open(member) as part:
        while chunk := part.read(CHUNK):
            if DOCTYPE.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False
