"""Reading and checking the feed's lines: every bad line named with its reason, nothing half-read.

`parse_rows` takes the header then the records, split into cells (a `csv.reader` over a file, or
the API's records through `schema.record_rows`), and yields the checked values of each good line;
after the last line it raises `DossierFileError` naming every bad one. Messages are in the active
language (the operator's for the CLI, the request's for the API).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import NoReturn
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.translation import gettext as _

from tiendo.analytics.feed.flags import dossier_flags
from tiendo.analytics.feed.schema import (
    CHANNELS,
    COLUMNS,
    FLAGS,
    LEVELS,
    MAX_REPORTED,
    OPTIONAL,
    RATINGS,
    STATUSES,
    DossierFileError,
    DossierValues,
)
from tiendo.analytics.models import TIMES_BEFORE, TIMES_FROM

FLAG_COLUMNS = ("vneid", "result_eligible", "result_electronic")
DECODE_CHUNK = 1024 * 1024
WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def check_utf8(path: Path, name: str) -> None:
    """Refuse, before anything is read as CSV, a file that is not UTF-8 (a UTF-8 BOM is accepted):
    UTF-16/32 (a BOM, or NUL bytes) or bytes that are no UTF-8 (Latin-1, Windows-1258 …), naming the
    line and byte where it fails and the encoding expected. One pass over the file, in chunks."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, offset = 1, 0
    with path.open("rb") as handle:
        first = handle.read(DECODE_CHUNK)
        if first.startswith(WIDE_BOMS) or first[:4096].count(b"\x00") * 4 >= len(first[:4096]) > 0:
            message = _("tệp mã hóa UTF-16 (hoặc UTF-32); cần UTF-8 — lưu lại tệp dạng CSV UTF-8")
            raise DossierFileError([f"{name}:1: {message}"], 1)
        chunk = first
        while chunk:
            pending = decoder.getstate()[0]
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                seen = (pending + chunk)[: exc.start]
                _not_utf8(
                    name, line + seen.count(b"\n"), offset - len(pending) + exc.start, exc.object[exc.start]
                )
            line += chunk.count(b"\n")
            offset += len(chunk)
            chunk = handle.read(DECODE_CHUNK)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError as exc:
            _not_utf8(name, line, offset - len(exc.object) + exc.start, exc.object[exc.start])


def _not_utf8(name: str, line: int, offset: int, byte: int) -> NoReturn:
    message = _(
        "không phải UTF-8 (byte 0x%(byte)02X ở byte thứ %(offset)s của tệp); cần tệp CSV mã hóa UTF-8 "
        "— tệp có thể là Windows-1258 hoặc Latin-1"
    ) % {"byte": byte, "offset": offset + 1}
    raise DossierFileError([f"{name}:{line}: {message}"], 1)


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def month_of(moment: datetime, tz: ZoneInfo) -> int:
    """YYYYMM of a moment in local time: the cell a dossier counts in."""
    local = moment.astimezone(tz)
    return local.year * 100 + local.month


def parse_time(text: str, tz: ZoneInfo) -> datetime | None:
    """ISO 8601 (a date alone is midnight; without an offset, local time); empty is None."""
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


@dataclass
class _Report:
    """The bad lines: the first MAX_REPORTED named, all counted."""

    errors: list[str] = field(default_factory=list)
    total: int = 0

    def add(self, message: str) -> None:
        self.total += 1
        if len(self.errors) < MAX_REPORTED:
            self.errors.append(message)


@dataclass
class _Checker:
    """Checks one line after another: the columns' places, the known units, the ids seen so far."""

    index: dict[str, int]
    width: int
    units: dict[str, int]
    tz: ZoneInfo
    seen: set[str] = field(default_factory=set)

    def check(self, row: list[str]) -> DossierValues:
        """The stored values of one line, or ValueError with the first rule it breaks."""
        cells = self._cells(row)
        ix = self.index
        dossier_id = self._dossier_id(cells[ix["dossier_id"]])
        unit_id = self._unit(cells[ix["unit_code"]])
        level, channel, status = cells[ix["level"]], cells[ix["channel"]], cells[ix["status"]]
        _check_choices(level, channel, status)
        received, due, resolved = self._times(cells)
        vneid, eligible, electronic = (_flag(column, cells[ix[column]]) for column in FLAG_COLUMNS)
        rating = _rating(cells[ix["rating"]])
        simulated = FLAGS.get(cells[ix["simulated"]].lower(), False) if "simulated" in ix else False
        procedure = cells[ix["procedure_code"]]
        if not procedure:
            raise ValueError(_("%(field)s: bắt buộc") % {"field": "procedure_code"})
        counted = dossier_flags(
            channel=channel,
            vneid=vneid,
            status=status,
            due_at=due,
            resolved_at=resolved,
            result_eligible=eligible,
            result_electronic=electronic,
            rating=rating,
            simulated=simulated,
        )
        return (
            dossier_id,
            procedure[:40],
            level,
            unit_id,
            received,
            due,
            resolved,
            channel,
            vneid,
            eligible,
            electronic,
            rating,
            status,
            simulated,
            month_of(received, self.tz),
            counted,
        )

    def _cells(self, row: list[str]) -> list[str]:
        if len(row) < self.width:
            raise ValueError(
                _("cần %(expected)s cột, có %(got)s") % {"expected": self.width, "got": len(row)}
            )
        cells = [cell.strip() for cell in row]
        if any("\x00" in cell for cell in cells):
            raise ValueError(_("ký tự NUL không hợp lệ"))
        return cells

    def _dossier_id(self, dossier_id: str) -> str:
        if not dossier_id or len(dossier_id) > 64:
            raise ValueError(
                _("%(field)s: bắt buộc, tối đa %(max)s ký tự") % {"field": "dossier_id", "max": 64}
            )
        if dossier_id in self.seen:
            raise ValueError(_("dossier_id %(id)s: lặp lại trong tệp") % {"id": dossier_id})
        self.seen.add(dossier_id)
        return dossier_id

    def _unit(self, code: str) -> int:
        unit_id = self.units.get(code)
        if unit_id is None:
            raise ValueError(_("unit_code: đơn vị không xác định: %(code)s") % {"code": code})
        return unit_id

    def _times(self, cells: list[str]) -> tuple[datetime, datetime | None, datetime | None]:
        ix, tz = self.index, self.tz
        try:
            received = parse_time(cells[ix["received_at"]], tz)
            due = parse_time(cells[ix["due_at"]], tz)
            resolved = parse_time(cells[ix["resolved_at"]], tz)
        except ValueError as exc:
            raise ValueError(_("thời gian không hợp lệ (ISO 8601): %(error)s") % {"error": exc}) from None
        if received is None:
            raise ValueError(_("%(field)s: bắt buộc") % {"field": "received_at"})
        _check_window(received=received, due_at=due, resolved_at=resolved)
        if resolved is not None and resolved < received:
            raise ValueError(_("resolved_at: trước received_at"))
        return received, due, resolved


def _check_window(*, received: datetime, **others: datetime | None) -> None:
    """Every time of the line in 2000-01-01 – 2100-12-31, Vietnamese time (the table checks it too)."""
    for column, moment in (("received_at", received), *others.items()):
        if moment is not None and not (TIMES_FROM <= moment < TIMES_BEFORE):
            raise ValueError(
                _("%(field)s: %(value)s ngoài khoảng cho phép, từ 01/01/2000 đến 31/12/2100 (giờ Việt Nam)")
                % {"field": column, "value": moment.isoformat()}
            )


def _check_choices(level: str, channel: str, status: str) -> None:
    if level not in LEVELS:
        raise ValueError(_("level: phải là tinh hoặc xa, không phải %(value)s") % {"value": repr(level)})
    for column, value, allowed in (("channel", channel, CHANNELS), ("status", status, STATUSES)):
        if value not in allowed:
            raise ValueError(
                _("%(field)s: phải là một trong %(allowed)s, không phải %(value)s")
                % {"field": column, "allowed": ", ".join(sorted(allowed)), "value": repr(value)}
            )


def _flag(column: str, text: str) -> bool:
    raw = text.lower()
    if raw not in FLAGS:
        raise ValueError(
            _("%(field)s: phải là 0 hoặc 1, không phải %(value)s") % {"field": column, "value": repr(raw)}
        )
    return FLAGS[raw]


def _rating(text: str) -> int | None:
    if not text:
        return None
    if text not in RATINGS:
        raise ValueError(_("rating: từ 1 đến 5 hoặc để trống, không phải %(value)s") % {"value": repr(text)})
    return int(text)


def _header_index(header: list[str] | None, name: str) -> tuple[dict[str, int], int]:
    """The place of each column the header names, and how many cells a line needs."""
    if header is None:
        raise DossierFileError([name + ": " + _("tệp rỗng")], 1)
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        message = _("thiếu cột: %(columns)s") % {"columns": ", ".join(missing)}
        raise DossierFileError([f"{name}:1: {message}"], 1)
    columns = COLUMNS + [c for c in OPTIONAL if c in header]
    return {column: header.index(column) for column in columns}, len(header)


def parse_rows(
    rows: Iterable[list[str]],
    *,
    units: dict[str, int],
    name: str,
    where: Callable[[int], str] | None = None,
) -> Iterator[tuple[int, DossierValues]]:
    """Yield (line, values tuple) for good rows; raise DossierFileError listing bad ones after the last row.

    `rows` is the header then the records, split into cells (csv.reader, or records of the API);
    `where(line)` names a row in messages (default `file:line`). The values follow DOSSIER_FIELDS.
    """
    reader = iter(rows)
    index, width = _header_index(next(reader, None), name)
    checker = _Checker(index=index, width=width, units=units, tz=local_tz())
    report = _Report()
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            values = checker.check(row)
        except ValueError as exc:
            report.add(f"{where(line) if where else f'{name}:{line}'}: {exc}")
            continue
        yield line, values
    if report.total:
        raise DossierFileError(report.errors, report.total)
