"""Monthly partitions of the raw readings on PostgreSQL, and the retention of raw readings.

A month's partition is `ioc_reading_pYYYYMM`, holding [first day 00:00 UTC, next month 00:00 UTC).
Readings of a month with no partition land in `ioc_reading_default`; creating the month moves them
out in the same transaction, so no reading is ever refused or lost for want of a partition. Raw
readings older than the retention are dropped a whole partition at a time where the partition lies
entirely before the cut, and by DELETE in the partition the cut falls in; rollups are kept for ever.
On SQLite there are no partitions: retention is one DELETE.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db import connection as default_connection
from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

MONTHS_AHEAD = 3  # partitions kept ready for the months to come
MONTHS_BEHIND = 1


def _month_start(day: date) -> datetime:
    return datetime(day.year, day.month, 1, tzinfo=UTC)


def _next_month(start: datetime) -> datetime:
    return datetime(start.year + start.month // 12, start.month % 12 + 1, 1, tzinfo=UTC)


def _add_months(start: datetime, months: int) -> datetime:
    index = start.year * 12 + start.month - 1 + months
    return datetime(index // 12, index % 12 + 1, 1, tzinfo=UTC)


def partition_name(start: datetime) -> str:
    return f"ioc_reading_p{start:%Y%m}"


def partitions_existing(*, connection: BaseDatabaseWrapper = default_connection) -> dict[str, datetime]:
    """The month partitions there are (name → first instant of the month)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'ioc_reading' "
            "AND c.relname LIKE 'ioc_reading_p%%'"
        )
        names = [row[0] for row in cursor.fetchall()]
    return {name: datetime.strptime(name[-6:], "%Y%m").replace(tzinfo=UTC) for name in names}


def month_create(start: datetime, *, connection: BaseDatabaseWrapper = default_connection) -> int:
    """Create one month's partition, moving its rows out of the default partition; returns how many."""
    name, end = partition_name(start), _next_month(start)
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("LOCK TABLE ioc_reading_default IN ACCESS EXCLUSIVE MODE")
        cursor.execute(f"CREATE TABLE {name} (LIKE ioc_reading INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
        cursor.execute(
            f"WITH moved AS (DELETE FROM ioc_reading_default WHERE ts >= %s AND ts < %s "
            f"RETURNING series_id, ts, value) INSERT INTO {name} SELECT * FROM moved",
            [start, end],
        )
        moved = cursor.rowcount
        cursor.execute(
            f"ALTER TABLE ioc_reading ATTACH PARTITION {name} FOR VALUES FROM (%s) TO (%s)", [start, end]
        )
    return moved


def months_ensure(
    *, connection: BaseDatabaseWrapper = default_connection, today: date | None = None
) -> list[str]:
    """Partitions from MONTHS_BEHIND before this month to MONTHS_AHEAD after it; returns those made."""
    if connection.vendor != "postgresql":
        return []
    this_month = _month_start(today or datetime.now(UTC).date())
    existing = partitions_existing(connection=connection)
    made = []
    for offset in range(-MONTHS_BEHIND, MONTHS_AHEAD + 1):
        start = _add_months(this_month, offset)
        if partition_name(start) not in existing:
            month_create(start, connection=connection)
            made.append(partition_name(start))
    return made


@dataclass(frozen=True)
class RetentionReport:
    cut: datetime
    partitions_dropped: list[str]
    rows_deleted: int
    partitions_made: list[str]


def raw_retention_apply(*, days: int, now: datetime | None = None) -> RetentionReport:
    """Drop raw readings older than `days` days (rollups stay); make the coming months' partitions."""
    if days < 1:
        raise ValueError("days must be at least 1")
    now = now or datetime.now(UTC)
    cut = now - timedelta(days=days)
    connection = default_connection
    dropped: list[str] = []
    made: list[str] = []
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            for name, start in sorted(partitions_existing().items(), key=lambda item: item[1]):
                if _next_month(start) <= cut:
                    cursor.execute(f"ALTER TABLE ioc_reading DETACH PARTITION {name}")
                    cursor.execute(f"DROP TABLE {name}")
                    dropped.append(name)
        cursor.execute(
            "DELETE FROM ioc_reading WHERE ts < %s", [connection.ops.adapt_datetimefield_value(cut)]
        )
        deleted = cursor.rowcount
    if connection.vendor == "postgresql":
        made = months_ensure(today=now.date())
    return RetentionReport(cut=cut, partitions_dropped=dropped, rows_deleted=deleted, partitions_made=made)
