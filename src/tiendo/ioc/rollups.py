"""5-minute, hourly and daily rollups of every series, kept current as readings arrive.

Only readings the ingest actually stored reach here (a duplicate is never counted twice), inside the
ingest's transaction (a rollup never counts a reading that was rolled back). One upsert per batch
and grain: the batch is summed per (series, bucket) in Python, then
`INSERT … ON CONFLICT (series, grain, bucket) DO UPDATE` adds count and total and widens min and max.
Buckets are UTC for 5 minutes and hours; a day is the province's calendar day (TIME_ZONE), stored
as the instant it begins, since "days with good air in a month" are the province's days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.utils import timezone

from tiendo.ioc.models import Rollup

if TYPE_CHECKING:
    from tiendo.ioc.ingest import StoredReading

UPSERT_CHUNK = 500  # rows per statement: 7 parameters each


def bucket_of(ts: datetime, grain: str) -> datetime:
    """The first instant of the bucket `ts` falls in (aware, UTC)."""
    moment = ts.astimezone(UTC)
    if grain == Rollup.Grain.FIVE_MINUTES:
        return moment.replace(minute=moment.minute - moment.minute % 5, second=0, microsecond=0)
    if grain == Rollup.Grain.HOUR:
        return moment.replace(minute=0, second=0, microsecond=0)
    local = timezone.localtime(ts)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return midnight.astimezone(UTC)


def bucket_end(bucket: datetime, grain: str) -> datetime:
    if grain == Rollup.Grain.FIVE_MINUTES:
        return bucket + timedelta(minutes=5)
    if grain == Rollup.Grain.HOUR:
        return bucket + timedelta(hours=1)
    return bucket_of(bucket + timedelta(hours=36), Rollup.Grain.DAY)  # the next local midnight


@dataclass
class _Sum:
    count: int
    total: float
    minimum: float
    maximum: float

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        self.minimum = min(self.minimum, value)
        self.maximum = max(self.maximum, value)


SLOT_SECONDS = 900  # every time zone's offset is a multiple of 15 minutes: a slot is in one local day


def _sums(stored: list[StoredReading], grain: str) -> dict[tuple[int, datetime], _Sum]:
    sums: dict[tuple[int, datetime], _Sum] = {}
    days: dict[int, datetime] = {}  # the local day of each 15-minute slot, computed once a batch
    for reading in stored:
        if grain == Rollup.Grain.DAY:
            slot = int(reading.ts.timestamp()) // SLOT_SECONDS
            bucket = days.get(slot)
            if bucket is None:
                bucket = days[slot] = bucket_of(reading.ts, grain)
        else:
            bucket = bucket_of(reading.ts, grain)
        key = (reading.series_id, bucket)
        current = sums.get(key)
        if current is None:
            sums[key] = _Sum(1, reading.value, reading.value, reading.value)
        else:
            current.add(reading.value)
    return sums


def _upsert(grain: str, sums: dict[tuple[int, datetime], _Sum]) -> None:
    adapt = connection.ops.adapt_datetimefield_value
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    # in key order: two consumers of a shared subscription upsert the same rows in the same order,
    # so one waits for the other instead of both deadlocking
    items = sorted(sums.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), UPSERT_CHUNK):
            chunk = items[start : start + UPSERT_CHUNK]
            params: list[Any]
            if connection.vendor == "postgresql":  # arrays: cheaper for the driver than 7 × n placeholders
                rows = (
                    "SELECT s, %s, b, c, t, mi, ma FROM unnest(%s::bigint[], %s::timestamptz[], "
                    "%s::integer[], %s::double precision[], %s::double precision[], %s::double precision[]) "
                    "AS u(s, b, c, t, mi, ma)"
                )
                params = [
                    grain,
                    [series_id for (series_id, _bucket), _s in chunk],
                    [bucket for (_series_id, bucket), _s in chunk],
                    [s.count for _key, s in chunk],
                    [s.total for _key, s in chunk],
                    [s.minimum for _key, s in chunk],
                    [s.maximum for _key, s in chunk],
                ]
            else:
                rows = "VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
                params = []
                for (series_id, bucket), s in chunk:
                    params += [series_id, grain, adapt(bucket), s.count, s.total, s.minimum, s.maximum]
            cursor.execute(
                "INSERT INTO ioc_rollup (series_id, grain, bucket, count, total, minimum, maximum) "
                + rows
                + " ON CONFLICT (series_id, grain, bucket) DO UPDATE SET "
                "count = ioc_rollup.count + excluded.count, total = ioc_rollup.total + excluded.total, "
                f"minimum = {least}(ioc_rollup.minimum, excluded.minimum), "
                f"maximum = {greatest}(ioc_rollup.maximum, excluded.maximum)",
                params,
            )


def rollups_apply(*, stored: list[StoredReading]) -> None:
    if not stored:
        return
    for grain in Rollup.Grain.values:
        _upsert(grain, _sums(stored, grain))
