"""The dossier feed's pre-aggregate and the data values derived from it.

Each dossier carries `flags`: the bits of what it counts towards (online, fully online, resolved
on time…), worked out once when it is stored. `DossierCount` holds, per unit and month, one count
per derived element; every import adds what a changed dossier brings to its new cell and takes
away what it brought to the cell it left, so a change to one dossier touches only its cells. The
ten derived data elements (HS_*) are those counts per month, summed to quarter, six months and
year when read (counts add up; rates are formed later as ratios of these sums, never as means of
ratios): the formulas and the drill-down read them from here (`feed_totals`, `feed_unit_sums`), so
a change is visible the moment its import commits and nothing else has to be rewritten.

Why flags: counting is then integer bit tests on one small column, the same rule in Python and
SQL, instead of ten conditions over text and timestamps for two million rows.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from enum import IntFlag

from django.db import connection
from django.utils import timezone

from tiendo.analytics.models import Dossier, DossierCount
from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.models import DataElement
from tiendo.reporting.periods import parse_period


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
_ONLINE, _FULL_ONLINE, _ONLINE_VNEID = int(Flag.ONLINE), int(Flag.FULL_ONLINE), int(Flag.ONLINE_VNEID)
_RESOLVED, _RESOLVED_ON_TIME = int(Flag.RESOLVED), int(Flag.RESOLVED_ON_TIME)
_RESOLVED_ELIGIBLE, _RESULT_ELECTRONIC = int(Flag.RESOLVED_ELIGIBLE), int(Flag.RESULT_ELECTRONIC)
_RATED, _SATISFIED, _SIMULATED = int(Flag.RATED), int(Flag.SATISFIED), int(Flag.SIMULATED)


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
    # plain ints (IntFlag's operators cost half of this function, and it runs for every dossier)
    online = channel in ONLINE_CHANNELS
    resolved = status == "resolved" and resolved_at is not None
    flags = 0
    if online:
        flags |= _ONLINE
        if vneid:
            flags |= _ONLINE_VNEID
        if rating is not None:
            flags |= _RATED | (_SATISFIED if rating >= 4 else 0)
    if channel == "toan_trinh":
        flags |= _FULL_ONLINE
    if resolved:
        flags |= _RESOLVED
        if due_at is None or resolved_at <= due_at:  # type: ignore[operator]
            flags |= _RESOLVED_ON_TIME
        if result_eligible:
            flags |= _RESOLVED_ELIGIBLE | (_RESULT_ELECTRONIC if result_electronic else 0)
    if simulated:
        flags |= _SIMULATED
    return flags


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


def count_expressions(*, flags: str, weight: str = "1") -> list[str]:
    """The columns of COUNTED as SQL sums over rows with `flags` (each row weighing `weight`)."""
    return [
        "count(*)"
        if bit is None and weight == "1"
        else f"sum({weight})"
        if bit is None
        else f"sum(CASE WHEN ({flags} & {int(bit)}) <> 0 THEN {weight} ELSE 0 END)"
        for bit in COUNTED_FLAGS
    ]


def counts_sql(*, flags: str, weight: str = "1") -> str:
    return ", ".join(count_expressions(flags=flags, weight=weight))


def counts_upsert_sql(select: str) -> str:
    """INSERT the (unit_id, month, counts…, updated_at) rows of `select`, adding them to the cells there."""
    columns = ", ".join(COUNTED)
    adds = ", ".join(f"{c} = {COUNT_TABLE}.{c} + excluded.{c}" for c in COUNTED)
    return (
        f"INSERT INTO {COUNT_TABLE} (unit_id, month, {columns}, updated_at) {select} "
        f"ON CONFLICT (unit_id, month) DO UPDATE SET {adds}, updated_at = excluded.updated_at"
    )


def counts_apply(deltas: dict[tuple[int, int], list[int]]) -> set[tuple[int, int]]:
    """Add (unit, month) → the counts' differences; return the cells that changed."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    changed = [(unit, month, *counts, now) for (unit, month), counts in deltas.items() if any(counts)]
    if not changed:
        return set()
    marks = ", ".join(["%s"] * (3 + len(COUNTED)))
    with connection.cursor() as cursor:
        cursor.executemany(counts_upsert_sql(f"VALUES ({marks})"), changed)
        cursor.execute(f"DELETE FROM {COUNT_TABLE} WHERE received = 0")
    return {(row[0], row[1]) for row in changed}


def counts_rebuild(*, year: int) -> int:
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
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        rows = [(*row, now) for row in cursor.fetchall()]
        cursor.execute(f"DELETE FROM {COUNT_TABLE} WHERE month BETWEEN %s AND %s", [first, last])
        marks = "(" + ", ".join(["%s"] * (3 + len(COUNTED))) + ")"
        for start in range(0, len(rows), 500):  # a few statements, not one per cell
            chunk = rows[start : start + 500]
            cursor.execute(
                f"INSERT INTO {COUNT_TABLE} (unit_id, month, {', '.join(COUNTED)}, updated_at) VALUES "
                + ", ".join([marks] * len(chunk)),
                [value for row in chunk for value in row],
            )
    return len(rows)


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


def months_of(period: str) -> list[int]:
    """The YYYYMM months a DHIS2 period is made of (monthly, quarterly, six-monthly, yearly; else none)."""
    try:
        parsed = parse_period(period)
    except ApplicationError:
        return []
    if parsed.period_type not in {"monthly", "quarterly", "sixmonthly", "yearly"}:
        return []
    year = parsed.start.year
    return [year * 100 + m for m in range(parsed.start.month, parsed.end.month + 1)]


def feed_column(code: str) -> str | None:
    """The DossierCount column behind a derived element's code (None for any other element)."""
    return code.removeprefix("HS_").lower() if code in DERIVED else None


def feed_columns(indicators) -> dict[int, str]:
    """The indicators' formula elements counted from the dossier feed → their DossierCount columns."""
    return {
        element.pk: column
        for indicator in indicators
        for element in (indicator.numerator, indicator.denominator)
        if element is not None and (column := feed_column(element.code))
    }


@dataclass
class FeedTotal:
    """One element over the province in one period, read from the counts."""

    total: int
    units: int
    dossiers: int
    simulated: int
    updated_at: datetime | None

    @property
    def detail(self) -> str:
        return f"tính từ {self.dossiers} hồ sơ, luồng dossiers / from {self.dossiers} dossiers, feed dossiers"


def feed_totals(*, columns: dict[int, str], province: OrgUnit) -> dict[tuple[int, str], FeedTotal]:
    """(element id, period) → its total over the province's units, for every period with dossiers.

    `columns` maps element ids to their DossierCount column (`feed_column`). One query: 12 rows per
    unit and year, summed here to months, quarters, halves and years.
    """
    if not columns:
        return {}
    names = sorted(set(columns.values()))
    rows = DossierCount.objects.filter(unit__path__startswith=province.path).values_list(
        "unit_id", "month", "updated_at", "received", "simulated", *names
    )
    sums: dict[tuple[str, str], int] = defaultdict(int)
    units: dict[str, set[int]] = defaultdict(set)
    received: dict[str, int] = defaultdict(int)
    simulated: dict[str, int] = defaultdict(int)
    latest: dict[str, datetime] = {}
    for unit_id, month, updated_at, dossiers, simulated_dossiers, *counts in rows:
        for period in periods_of_month(*divmod(month, 100)):
            units[period].add(unit_id)
            received[period] += dossiers
            simulated[period] += simulated_dossiers
            if period not in latest or updated_at > latest[period]:
                latest[period] = updated_at
            for name, count in zip(names, counts, strict=True):
                sums[(name, period)] += count
    return {
        (element_id, period): FeedTotal(
            total=sums[(column, period)],
            units=len(units[period]),
            dossiers=received[period],
            simulated=simulated[period],
            updated_at=latest.get(period),
        )
        for element_id, column in columns.items()
        for period in units
    }


def feed_unit_sums(*, columns: dict[int, str], province: OrgUnit, period: str) -> dict[tuple[int, int], int]:
    """(unit id, element id) → the unit's count in the period (the drill-down). One query."""
    months = months_of(period)
    if not columns or not months:
        return {}
    names = sorted(set(columns.values()))
    result: dict[tuple[int, int], int] = defaultdict(int)
    for unit_id, *counts in DossierCount.objects.filter(
        unit__path__startswith=province.path, month__in=months
    ).values_list("unit_id", *names):
        by_name = dict(zip(names, counts, strict=True))
        for element_id, column in columns.items():
            result[(unit_id, element_id)] += by_name[column]
    return dict(result)


def feed_periods(*, province: OrgUnit, year: int) -> set[str]:
    """The periods of a year in which the province's units have dossiers."""
    months = (
        DossierCount.objects.filter(
            unit__path__startswith=province.path, month__gte=year * 100 + 1, month__lte=year * 100 + 12
        )
        .values_list("month", flat=True)
        .distinct()
    )
    return {period for month in months for period in periods_of_month(*divmod(month, 100))}


def feed_units(*, province: OrgUnit) -> list[int]:
    """The units of the province with dossiers."""
    return list(
        DossierCount.objects.filter(unit__path__startswith=province.path)
        .values_list("unit_id", flat=True)
        .distinct()
    )


def feed_value(*, code: str, unit: OrgUnit, period: str) -> int | None:
    """One unit's count of a derived element in a period (None without dossiers)."""
    column = feed_column(code)
    months = months_of(period)
    if column is None or not months:
        return None
    rows = DossierCount.objects.filter(unit=unit, month__in=months).values_list(column, flat=True)
    found = list(rows)
    return sum(found) if found else None
