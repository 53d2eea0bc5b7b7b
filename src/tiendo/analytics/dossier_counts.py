"""The dossier feed's pre-aggregate and the data values derived from it.

Each dossier carries `flags`: the bits of what it counts towards (online, fully online, resolved
on time…), worked out once when it is stored. `DossierCount` holds, per unit and month, one count
per derived element; every import adds what a changed dossier brings to its new cell and takes
away what it brought to the cell it left, so a change to one dossier touches only its cells. The
ten derived data elements (HS_*) are those counts per month, summed to quarter, six months and
year (counts add up; rates are formed later as ratios of these sums, never as means of ratios).

Why flags: counting is then integer bit tests on one small column, the same rule in Python and
SQL, instead of ten conditions over text and timestamps for two million rows.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from enum import IntFlag

from django.db import connection, transaction
from django.utils import timezone

from tiendo.analytics.models import Dossier, DossierCount
from tiendo.reporting.models import DataElement, DataValue


class Flag(IntFlag):
    ONLINE = 1
    FULL_ONLINE = 2
    ONLINE_VNEID = 4
    RESOLVED = 8
    RESOLVED_ON_TIME = 16
    RESOLVED_ELIGIBLE = 32
    RESULT_ELECTRONIC = 64
    RATED = 128
    SATISFIED = 256
    SIMULATED = 512


# element code → (name, name_en, the flag a dossier needs to count; None: every dossier counts)
# (the order is the order of DossierCount's columns, COUNTED)
DERIVED: dict[str, tuple[str, str, Flag | None]] = {
    "HS_RECEIVED": ("Số hồ sơ thủ tục hành chính tiếp nhận trong kỳ", "Dossiers received", None),
    "HS_ONLINE": (
        "Số hồ sơ thủ tục hành chính nộp trực tuyến trong kỳ",
        "Dossiers submitted online",
        Flag.ONLINE,
    ),
    "HS_FULL_ONLINE": (
        "Số hồ sơ thủ tục hành chính được xử lý trực tuyến toàn trình",
        "Dossiers processed fully online",
        Flag.FULL_ONLINE,
    ),
    "HS_ONLINE_VNEID": (
        "Số hồ sơ nộp trực tuyến có người nộp được xác thực qua VNeID",
        "Online dossiers authenticated with VNeID",
        Flag.ONLINE_VNEID,
    ),
    "HS_RESOLVED": ("Số hồ sơ đã giải quyết", "Dossiers resolved", Flag.RESOLVED),
    "HS_RESOLVED_ON_TIME": (
        "Số hồ sơ giải quyết đúng hạn",
        "Dossiers resolved on time",
        Flag.RESOLVED_ON_TIME,
    ),
    "HS_RESOLVED_ELIGIBLE": (
        "Số hồ sơ đã giải quyết có kết quả đủ điều kiện cấp kết quả điện tử",
        "Resolved dossiers eligible for an electronic result",
        Flag.RESOLVED_ELIGIBLE,
    ),
    "HS_RESULT_ELECTRONIC": (
        "Số hồ sơ được cấp kết quả giải quyết điện tử",
        "Dossiers with an electronic result",
        Flag.RESULT_ELECTRONIC,
    ),
    "HS_RATED": ("Số hồ sơ dịch vụ công trực tuyến được đánh giá", "Online dossiers rated", Flag.RATED),
    "HS_SATISFIED": (
        "Số hồ sơ dịch vụ công trực tuyến được đánh giá hài lòng",
        "Online dossiers rated satisfied",
        Flag.SATISFIED,
    ),
}
ONLINE_CHANNELS = ("mot_phan", "toan_trinh")


def dossier_flags(
    *,
    channel: str,
    vneid: bool,
    status: str,
    due_at: datetime | None,
    resolved_at: datetime | None,
    result_eligible: bool,
    result_electronic: bool,
    rating: int | None,
    simulated: bool,
) -> int:
    """The bits of what one dossier counts towards. `flags_sql` is the same rule in SQL (tested equal)."""
    online = channel in ONLINE_CHANNELS
    resolved = status == "resolved" and resolved_at is not None
    flags = Flag(0)
    if online:
        flags |= Flag.ONLINE
    if channel == "toan_trinh":
        flags |= Flag.FULL_ONLINE
    if online and vneid:
        flags |= Flag.ONLINE_VNEID
    if resolved:
        flags |= Flag.RESOLVED
        if due_at is None or resolved_at <= due_at:  # type: ignore[operator]
            flags |= Flag.RESOLVED_ON_TIME
        if result_eligible:
            flags |= Flag.RESOLVED_ELIGIBLE
            if result_electronic:
                flags |= Flag.RESULT_ELECTRONIC
    if online and rating is not None:
        flags |= Flag.RATED
        if rating >= 4:
            flags |= Flag.SATISFIED
    if simulated:
        flags |= Flag.SIMULATED
    return int(flags)


def flags_sql(column: dict[str, str]) -> str:
    """`dossier_flags` as one SQL expression over the given column expressions (SQLite and PostgreSQL).

    `column` maps channel, vneid, status, due_at, resolved_at, result_eligible, result_electronic,
    rating and simulated to SQL expressions of the right types (booleans, timestamps, integers).
    """
    c = column
    online = f"{c['channel']} IN ('mot_phan', 'toan_trinh')"
    resolved = f"({c['status']} = 'resolved' AND {c['resolved_at']} IS NOT NULL)"
    parts = [
        (online, Flag.ONLINE),
        (f"{c['channel']} = 'toan_trinh'", Flag.FULL_ONLINE),
        (f"{online} AND {c['vneid']}", Flag.ONLINE_VNEID),
        (resolved, Flag.RESOLVED),
        (
            f"{resolved} AND ({c['due_at']} IS NULL OR {c['resolved_at']} <= {c['due_at']})",
            Flag.RESOLVED_ON_TIME,
        ),
        (f"{resolved} AND {c['result_eligible']}", Flag.RESOLVED_ELIGIBLE),
        (f"{resolved} AND {c['result_eligible']} AND {c['result_electronic']}", Flag.RESULT_ELECTRONIC),
        (f"{online} AND {c['rating']} IS NOT NULL", Flag.RATED),
        (f"{online} AND {c['rating']} >= 4", Flag.SATISFIED),
        (f"{c['simulated']}", Flag.SIMULATED),
    ]
    return (
        "("
        + " + ".join(f"CASE WHEN {condition} THEN {int(bit)} ELSE 0 END" for condition, bit in parts)
        + ")"
    )


COUNT_TABLE = DossierCount._meta.db_table
# DossierCount's columns, in the order of DERIVED, then the simulated dossiers
COUNTED = [code.removeprefix("HS_").lower() for code in DERIVED] + ["simulated"]
COUNTED_FLAGS: list[Flag | None] = [flag for _, _, flag in DERIVED.values()] + [Flag.SIMULATED]


def counted_of(flags: int) -> list[int]:
    """What one dossier adds to each column of its cell."""
    return [1 if bit is None or flags & bit else 0 for bit in COUNTED_FLAGS]


def counts_sql(*, flags: str, weight: str = "1") -> str:
    """The columns of COUNTED as SQL sums over rows with `flags` (each row weighing `weight`)."""
    return ", ".join(
        f"sum({weight})"
        if bit is None
        else f"sum(CASE WHEN ({flags} & {int(bit)}) <> 0 THEN {weight} ELSE 0 END)"
        for bit in COUNTED_FLAGS
    )


def counts_upsert_sql(select: str) -> str:
    """INSERT the (unit_id, month, counts…) rows of `select`, adding them to the cells already there."""
    columns = ", ".join(COUNTED)
    adds = ", ".join(f"{c} = {COUNT_TABLE}.{c} + excluded.{c}" for c in COUNTED)
    return (
        f"INSERT INTO {COUNT_TABLE} (unit_id, month, {columns}) {select} "
        f"ON CONFLICT (unit_id, month) DO UPDATE SET {adds}"
    )


def counts_apply(deltas: dict[tuple[int, int], list[int]]) -> set[tuple[int, int]]:
    """Add (unit, month) → the counts' differences; return the cells that changed."""
    changed = [(unit, month, *counts) for (unit, month), counts in deltas.items() if any(counts)]
    if not changed:
        return set()
    marks = ", ".join(["%s"] * (2 + len(COUNTED)))
    with connection.cursor() as cursor:
        cursor.executemany(counts_upsert_sql(f"VALUES ({marks})"), changed)
        cursor.execute(f"DELETE FROM {COUNT_TABLE} WHERE received = 0")
    return {(row[0], row[1]) for row in changed}


def counts_rebuild(*, year: int) -> None:
    """Count a year again from the dossiers themselves (the full recompute).

    The GROUP BY runs as a plain SELECT (PostgreSQL runs it in parallel; an INSERT … SELECT would
    not), and its 12 rows per unit are written back.
    """
    first, last = year * 100 + 1, year * 100 + 12
    dossier_table = Dossier._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, received_month, {counts_sql(flags='flags')} FROM {dossier_table} "
            f"WHERE received_month BETWEEN %s AND %s GROUP BY unit_id, received_month",
            [first, last],
        )
        rows = cursor.fetchall()
        cursor.execute(f"DELETE FROM {COUNT_TABLE} WHERE month BETWEEN %s AND %s", [first, last])
        marks = "(" + ", ".join(["%s"] * (2 + len(COUNTED))) + ")"
        for start in range(0, len(rows), 500):  # a few statements, not one per cell
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {COUNT_TABLE} (unit_id, month, {', '.join(COUNTED)}) VALUES "
                + ", ".join([marks] * len(chunk)),
                [value for row in chunk for value in row],
            )


def ensure_elements() -> dict[str, DataElement]:
    elements = {e.code: e for e in DataElement.objects.filter(code__in=DERIVED)}
    for code, (name, name_en, _flag) in DERIVED.items():
        if code not in elements:
            elements[code] = DataElement.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                value_type=DataElement.ValueType.INTEGER,
                measure="hồ sơ",
                aggregation=DataElement.Aggregation.SUM,
            )
    return elements


def periods_of_month(year: int, month: int) -> list[str]:
    return [
        f"{year}{month:02d}",
        f"{year}Q{(month - 1) // 3 + 1}",
        f"{year}S{1 if month <= 6 else 2}",
        str(year),
    ]


def _monthly_counts(*, units: set[int] | None, years: set[int]) -> list[tuple]:
    """(unit, month, the counts of COUNTED…) of the given units (all when None) and years."""
    ranges = " OR ".join(f"month BETWEEN {y * 100 + 1} AND {y * 100 + 12}" for y in sorted(years))
    where = f"({ranges})"
    params: list[int] = []
    if units is not None:
        where += f" AND unit_id IN ({', '.join(['%s'] * len(units))})"
        params = sorted(units)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT unit_id, month, {', '.join(COUNTED)} FROM {COUNT_TABLE} WHERE {where}", params
        )
        return cursor.fetchall()


@transaction.atomic
def values_derive(*, cells: set[tuple[int, int]] | None = None, year: int | None = None) -> int:
    """Write the HS_* values of the periods the given (unit, month) cells belong to, or of a whole year.

    Values are compared in the database and written only where they changed; a cell left without
    dossiers loses its values. A value of the same key entered by a person or a report (any source
    but the feed) is never overwritten. Returns the number of values computed.
    """
    if cells is not None and not cells:
        return 0
    elements = ensure_elements()
    codes = list(DERIVED)
    if cells is not None:
        years = {month // 100 for _, month in cells}
        units: set[int] | None = {unit for unit, _ in cells}
        scope = {(unit, period) for unit, month in cells for period in periods_of_month(*divmod(month, 100))}
    else:
        assert year is not None
        years, units, scope = {year}, None, None
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0] * len(COUNTED))
    for unit_id, month, *counts in _monthly_counts(units=units, years=years):
        for period in periods_of_month(*divmod(month, 100)):
            if scope is not None and (unit_id, period) not in scope:
                continue
            cell = totals[(unit_id, period)]
            for i, count in enumerate(counts):
                cell[i] += int(count)
    now = timezone.now()
    rows = []
    for (unit_id, period), counts in totals.items():
        received, simulated = counts[0], counts[-1] > 0
        detail = (
            f"Tính từ {received} hồ sơ, luồng dossiers / computed from {received} dossiers, feed dossiers"
        )
        for code, count in zip(codes, counts[:-1], strict=True):
            rows.append((elements[code].pk, unit_id, period, count, detail, simulated, now))
    _write_values(rows, element_ids=[e.pk for e in elements.values()], scope=scope, year=year)
    return len(rows)


def _write_values(
    rows: list[tuple], *, element_ids: list[int], scope: set[tuple[int, str]] | None, year: int | None
) -> None:
    """Stage the values in a temporary table, then one INSERT … ON CONFLICT and one DELETE of the stale."""
    table = DataValue._meta.db_table
    postgres = connection.vendor == "postgresql"
    differs = "IS DISTINCT FROM" if postgres else "IS NOT"
    temp = "" if postgres else "temp."
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS feed_values")
        cursor.execute("DROP TABLE IF EXISTS feed_scope")
        cursor.execute(
            "CREATE TEMP TABLE feed_values (data_element_id bigint, unit_id bigint, period varchar(12), "
            "value numeric, source_detail varchar(500), is_simulated boolean, stored_at timestamp)"
        )
        cursor.execute("CREATE TEMP TABLE feed_scope (unit_id bigint, period varchar(12))")
        if postgres:
            with cursor.cursor.copy("COPY feed_values FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            if scope is not None:
                with cursor.cursor.copy("COPY feed_scope FROM STDIN") as copy:
                    for cell in scope:
                        copy.write_row(cell)
        else:
            cursor.executemany(f"INSERT INTO {temp}feed_values VALUES (%s, %s, %s, %s, %s, %s, %s)", rows)
            if scope is not None:
                cursor.executemany(f"INSERT INTO {temp}feed_scope VALUES (%s, %s)", list(scope))
        # indexed so that the DELETE below probes, not a loop over every pair
        cursor.execute("CREATE INDEX feed_values_key ON feed_values (unit_id, period, data_element_id)")
        cursor.execute("CREATE INDEX feed_scope_key ON feed_scope (unit_id, period)")
        cursor.execute(
            f"INSERT INTO {table} (data_element_id, unit_id, period, value, text_value, source, source_detail, "
            f"comment, is_simulated, stored_by_label, stored_at) SELECT data_element_id, unit_id, period, value, '', "
            f"'feed', source_detail, '', is_simulated, 'tiendo (dossiers)', stored_at FROM feed_values WHERE true "
            f"ON CONFLICT (data_element_id, unit_id, period) DO UPDATE SET value = excluded.value, "
            f"source_detail = excluded.source_detail, is_simulated = excluded.is_simulated, stored_at = excluded.stored_at "
            f"WHERE {table}.source = 'feed' AND ({table}.value {differs} excluded.value "
            f"OR {table}.is_simulated {differs} excluded.is_simulated "
            f"OR {table}.source_detail {differs} excluded.source_detail)"
        )
        # the stale: feed values of the scope that no dossier supports any more
        if scope is not None:
            within = f"EXISTS (SELECT 1 FROM feed_scope s WHERE s.unit_id = {table}.unit_id AND s.period = {table}.period)"
            params: list = []
        else:
            assert year is not None
            periods = sorted({p for m in range(1, 13) for p in periods_of_month(year, m)})
            within = f"{table}.period IN ({', '.join(['%s'] * len(periods))})"
            params = periods
        cursor.execute(
            f"DELETE FROM {table} WHERE source = 'feed' AND data_element_id IN ({', '.join(['%s'] * len(element_ids))}) "
            f"AND {within} AND NOT EXISTS (SELECT 1 FROM feed_values f WHERE f.data_element_id = {table}.data_element_id "
            f"AND f.unit_id = {table}.unit_id AND f.period = {table}.period)",
            [*element_ids, *params],
        )
        cursor.execute("DROP TABLE feed_values")
        cursor.execute("DROP TABLE feed_scope")
