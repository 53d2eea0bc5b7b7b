"""The public-service dossier feed: CSV import (streaming, all-or-nothing, upsert on dossier_id), the
same for batches of the API, and the counts per unit and month it keeps (docs/dossier-feed-format.md).

CSV columns (header row required, UTF-8):
  dossier_id, procedure_code, level (tinh|xa), unit_code, received_at, due_at, resolved_at,
  channel (truc_tiep|mot_phan|toan_trinh), vneid, result_eligible, result_electronic (0|1),
  rating (1–5 or empty), status (received|processing|resolved|cancelled), simulated (0|1, optional)
Times are ISO 8601 (`2025-03-14T08:30:00+07:00`; without an offset, Asia/Ho_Chi_Minh; a date alone
is midnight). Months are calendar months of `received_at` in local time (a record feed is not a
Nghị định 09 report; its cells are the months the dossiers arrived in).
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import User
from django.db import connection, transaction
from django.utils import timezone

from tiendo.analytics.dossier_counts import (
    COUNTED,
    DERIVED,
    counted_of,
    counts_apply,
    counts_rebuild,
    dossier_flags,
    ensure_elements,
)
from tiendo.analytics.models import Dossier
from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin

__all__ = ["DERIVED", "DossierFileError", "ImportResult", "dossiers_derive", "dossiers_import"]

COLUMNS = [
    "dossier_id",
    "procedure_code",
    "level",
    "unit_code",
    "received_at",
    "due_at",
    "resolved_at",
    "channel",
    "vneid",
    "result_eligible",
    "result_electronic",
    "rating",
    "status",
]
OPTIONAL = ["simulated"]
MAX_REPORTED = 200
BATCH = 5000
LEVELS = {"tinh", "xa"}
CHANNELS = {"truc_tiep", "mot_phan", "toan_trinh"}
STATUSES = {"received", "processing", "resolved", "cancelled"}
FLAGS = {"0": False, "1": True, "": False, "false": False, "true": True}


@dataclass
class ImportResult:
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    cells: set[tuple[int, int]] = field(default_factory=set)  # (unit_id, YYYYMM) whose counts changed
    seconds: float = 0.0


class DossierFileError(ApplicationError):
    code = "invalid_file"
    status_code = 422

    def __init__(self, errors: list[str], total: int) -> None:
        self.errors = errors
        self.total = total
        more = (
            f"\n… và {total - len(errors)} lỗi khác / and {total - len(errors)} more"
            if total > len(errors)
            else ""
        )
        super().__init__("\n".join(errors) + more)


def _local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _month(moment: datetime, tz: ZoneInfo) -> int:
    local = moment.astimezone(tz)
    return local.year * 100 + local.month


def _parse_time(text: str, tz: ZoneInfo) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value if value.tzinfo else value.replace(tzinfo=tz)


def parse_rows(rows: Iterable[list[str]], *, units: dict[str, int], name: str, where=None):
    """Yield (line, values tuple) for good rows; raise DossierFileError listing bad ones after the last row.

    `rows` is the header then the records, split into cells (csv.reader, or records of the API);
    `where(line)` names a row in messages (default `file:line`). The values follow DOSSIER_FIELDS.
    """
    tz = _local_tz()
    where = where or (lambda line: f"{name}:{line}")
    reader = iter(rows)
    header = next(reader, None)
    if header is None:
        raise DossierFileError([f"{name}: tệp rỗng / empty file"], 1)
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise DossierFileError([f"{name}:1: thiếu cột / missing columns: {', '.join(missing)}"], 1)
    index = {column: header.index(column) for column in COLUMNS + [c for c in OPTIONAL if c in header]}
    errors: list[str] = []
    total_errors = 0
    seen: set[str] = set()
    for line, row in enumerate(reader, start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        try:
            if len(row) < len(header):
                raise ValueError(
                    f"cần {len(header)} cột, có {len(row)} / expected {len(header)} columns, got {len(row)}"
                )
            cells = [cell.strip() for cell in row]
            if any("\x00" in cell for cell in cells):
                raise ValueError("ký tự NUL không hợp lệ / a NUL character is not allowed")

            def get(column: str, cells: list[str] = cells) -> str:
                return cells[index[column]]

            dossier_id = get("dossier_id")
            if not dossier_id or len(dossier_id) > 64:
                raise ValueError("dossier_id: bắt buộc, tối đa 64 ký tự / required, at most 64 characters")
            if dossier_id in seen:
                raise ValueError(f"dossier_id {dossier_id}: lặp lại trong tệp / repeated in the file")
            seen.add(dossier_id)
            unit_id = units.get(get("unit_code"))
            if unit_id is None:
                raise ValueError(f"unit_code: đơn vị không xác định / unknown unit: {get('unit_code')}")
            level, channel, status = get("level"), get("channel"), get("status")
            if level not in LEVELS:
                raise ValueError(f"level: phải là tinh hoặc xa / must be tinh or xa, not {level!r}")
            if channel not in CHANNELS:
                raise ValueError(
                    f"channel: phải là một trong / must be one of {', '.join(sorted(CHANNELS))}, not {channel!r}"
                )
            if status not in STATUSES:
                raise ValueError(
                    f"status: phải là một trong / must be one of {', '.join(sorted(STATUSES))}, not {status!r}"
                )
            try:
                received = _parse_time(get("received_at"), tz)
                due = _parse_time(get("due_at"), tz)
                resolved = _parse_time(get("resolved_at"), tz)
            except ValueError as exc:
                raise ValueError(
                    f"thời gian không hợp lệ (ISO 8601) / invalid time (ISO 8601): {exc}"
                ) from None
            if received is None:
                raise ValueError("received_at: bắt buộc / required")
            if resolved is not None and resolved < received:
                raise ValueError("resolved_at: trước received_at / before received_at")
            flags = []
            for column in ("vneid", "result_eligible", "result_electronic"):
                raw = get(column).lower()
                if raw not in FLAGS:
                    raise ValueError(f"{column}: phải là 0 hoặc 1 / must be 0 or 1, not {raw!r}")
                flags.append(FLAGS[raw])
            rating_text = get("rating")
            rating = None
            if rating_text:
                if rating_text not in {"1", "2", "3", "4", "5"}:
                    raise ValueError(
                        f"rating: từ 1 đến 5 hoặc để trống / 1 to 5 or empty, not {rating_text!r}"
                    )
                rating = int(rating_text)
            simulated = (
                FLAGS.get(row[index["simulated"]].strip().lower(), False) if "simulated" in index else False
            )
            procedure = get("procedure_code")
            if not procedure:
                raise ValueError("procedure_code: bắt buộc / required")
        except ValueError as exc:
            total_errors += 1
            if len(errors) < MAX_REPORTED:
                errors.append(f"{where(line)}: {exc}")
            continue
        counted = dossier_flags(
            channel=channel,
            vneid=flags[0],
            status=status,
            due_at=due,
            resolved_at=resolved,
            result_eligible=flags[1],
            result_electronic=flags[2],
            rating=rating,
            simulated=simulated,
        )
        yield (
            line,
            (
                dossier_id,
                procedure[:40],
                level,
                unit_id,
                received,
                due,
                resolved,
                channel,
                *flags,
                rating,
                status,
                simulated,
                _month(received, tz),
                counted,
            ),
        )
    if total_errors:
        raise DossierFileError(errors, total_errors)


DOSSIER_FIELDS = [
    "dossier_id",
    "procedure_code",
    "level",
    "unit_id",
    "received_at",
    "due_at",
    "resolved_at",
    "channel",
    "vneid",
    "result_eligible",
    "result_electronic",
    "rating",
    "status",
    "is_simulated",
    "received_month",
    "flags",
]
# a stored dossier counts in (unit, month, flags): what the pre-aggregate follows
UNIT_AT, MONTH_AT, FLAGS_AT = (
    DOSSIER_FIELDS.index("unit_id"),
    DOSSIER_FIELDS.index("received_month"),
    DOSSIER_FIELDS.index("flags"),
)
IMPORT_LOCK = 7_211_051  # PostgreSQL advisory lock: one dossier import at a time keeps the counts exact


@transaction.atomic
def dossiers_import(
    *,
    path: Path | None = None,
    text: str | None = None,
    records: list[dict] | None = None,
    feed: str = "dossiers",
    actor_label: str = "tiendo import-dossiers",
    actor: User | None = None,
) -> ImportResult:
    """Import a CSV (a file or its text) or a batch of records completely or not at all.

    Upsert on dossier_id: a dossier sent again is compared and changed only where a field differs,
    so re-sending never double-counts. The counts per (unit, month) move by the difference — nothing
    else is written: the derived values are read from the counts.
    """
    if actor is not None and not user_is_office_admin(actor):
        raise PermissionDeniedError(
            "Chỉ Văn phòng CĐS được nạp hồ sơ / only the CĐS office loads dossiers", field="dossiers"
        )
    started = time.perf_counter()
    name = path.name if path is not None else ("request" if records is not None else "dossiers.csv")
    result = ImportResult()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
            # the tables live in memory or on SSD: a lookup by primary key costs about what a page
            # read in order does, so a batch of 10,000 probes 10,000 keys instead of scanning millions
            cursor.execute("SET LOCAL random_page_cost = 1.1")

    def open_file():
        return path.open(encoding="utf-8", newline="") if path is not None else io.StringIO(text or "")

    fast = False
    if connection.vendor == "postgresql" and records is None:
        from tiendo.analytics.dossiers_pg import FallBack, import_postgresql

        try:
            with transaction.atomic(), open_file() as handle:
                import_postgresql(handle, result, feed=feed)
            fast = True
        except FallBack:  # something only the line-by-line check can pin to a line
            result = ImportResult()
    if not fast:
        units = dict(OrgUnit.objects.values_list("code", "pk"))
        if records is not None:
            parsed = parse_rows(
                _record_rows(records), units=units, name=name, where=lambda line: f"dossiers[{line - 2}]"
            )
            _import_rows(parsed, result, feed=feed)
        else:
            with open_file() as handle:
                _import_rows(parse_rows(csv.reader(handle), units=units, name=name), result, feed=feed)
    ensure_elements()  # the HS_* elements the formulas name (the shipped forms declare them too)
    result.seconds = time.perf_counter() - started
    province = OrgUnit.objects.filter(kind=OrgUnit.Kind.PROVINCE).first()
    if province is not None:
        audit_record(
            actor=actor,
            actor_label=actor_label,
            action="dossiers.import",
            obj=province,
            changes={
                "file": name,
                "feed": feed,
                "rows": result.rows,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
            },
        )
    return result


def _record_rows(records: list[dict]) -> Iterable[list[str]]:
    """Records of the API as CSV cells: the same checks and messages as a file."""
    header = COLUMNS + OPTIONAL
    yield header
    for record in records:
        cells = []
        for column in header:
            raw = record.get(column)
            if raw is None:
                cells.append("")
            elif isinstance(raw, bool):
                cells.append("1" if raw else "0")
            else:
                cells.append(str(raw))
        yield cells


@transaction.atomic
def dossiers_derive(*, year: int) -> int:
    """The full recompute of a year: count its dossiers again, cell by cell. Returns the cells.

    Takes the import lock: an import committing between the recount's reading and its writing
    would otherwise lose its changes to the counts.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [IMPORT_LOCK])
    ensure_elements()
    return counts_rebuild(year=year)


def _import_rows(parsed, result: ImportResult, *, feed: str) -> None:
    """Rows checked in Python: PostgreSQL stages them with COPY, other databases upsert in batches."""
    if connection.vendor == "postgresql":
        from tiendo.analytics.dossiers_pg import import_staged

        import_staged(parsed, result, feed=feed)
        return
    table = Dossier._meta.db_table
    columns = ", ".join(DOSSIER_FIELDS + ["feed", "loaded_at"])
    marks = ", ".join(["%s"] * (len(DOSSIER_FIELDS) + 2))
    updates = ", ".join(f"{c} = excluded.{c}" for c in DOSSIER_FIELDS[1:] + ["feed", "loaded_at"])
    distinct = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in DOSSIER_FIELDS[1:])
    sql = f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT (dossier_id) DO UPDATE SET {updates} WHERE {distinct}"
    batch: list[tuple] = []
    deltas: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * len(COUNTED))

    def move(unit_id: int, month: int, flags: int, sign: int) -> None:
        cell = deltas[(unit_id, month)]
        for i, n in enumerate(counted_of(flags)):
            cell[i] += sign * n

    now = connection.ops.adapt_datetimefield_value(timezone.now())

    def flush() -> None:
        ids = [row[0] for row in batch]
        existing = set()
        for start in range(0, len(ids), 900):  # SQLite's limit on parameters
            for dossier_id, unit_id, month, flags in Dossier.objects.filter(
                dossier_id__in=ids[start : start + 900]
            ).values_list("dossier_id", "unit_id", "received_month", "flags"):
                existing.add(dossier_id)
                move(
                    unit_id, month, flags, -1
                )  # what it brought to its cell (brought back below if unchanged)
        for row in batch:
            move(row[UNIT_AT], row[MONTH_AT], row[FLAGS_AT], +1)
        with connection.cursor() as cursor:
            before = connection.connection.total_changes
            cursor.executemany(sql, [(*_stored(row), feed, now) for row in batch])
            changed = connection.connection.total_changes - before
        created = sum(1 for row in batch if row[0] not in existing)
        result.created += created
        result.updated += changed - created
        result.unchanged += len(batch) - changed
        batch.clear()

    for _line, values in parsed:
        batch.append(values)
        result.rows += 1
        if len(batch) >= BATCH:
            flush()
    if batch:
        flush()
    result.cells = counts_apply(dict(deltas))


TIMES = [DOSSIER_FIELDS.index(c) for c in ("received_at", "due_at", "resolved_at")]


def _stored(row: tuple) -> tuple:
    """Times as Django stores them on SQLite (UTC text), so that SQL comparisons and ORM filters agree."""
    adapt = connection.ops.adapt_datetimefield_value
    values = list(row)
    for i in TIMES:
        values[i] = adapt(values[i])
    return tuple(values)
