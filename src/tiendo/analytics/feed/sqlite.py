"""The SQLite path of the dossier import (and of any database but PostgreSQL): checked rows upserted
in batches, the counts moved by what each batch changed.

Rows come checked from `csv.parse_rows`. Each batch reads the cells its stored dossiers count in
(taken away), adds the cells of the rows sent (brought in), and upserts with `ON CONFLICT … WHERE`
some field differs, so an unchanged dossier is not written and its two moves cancel out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from tiendo.analytics.feed.counts import COUNTED, counted_of, counts_apply
from tiendo.analytics.feed.schema import (
    DOSSIER_FIELDS,
    FLAGS_AT,
    MONTH_AT,
    TIMES,
    UNIT_AT,
    DossierValues,
    ImportResult,
)
from tiendo.analytics.models import Dossier

BATCH = 5000
PARAMETERS = 900  # SQLite's limit on parameters, with room


def _upsert_sql() -> str:
    table = Dossier._meta.db_table
    columns = ", ".join(DOSSIER_FIELDS + ["feed", "loaded_at"])
    marks = ", ".join(["%s"] * (len(DOSSIER_FIELDS) + 2))
    updates = ", ".join(f"{c} = excluded.{c}" for c in DOSSIER_FIELDS[1:] + ["feed", "loaded_at"])
    distinct = " OR ".join(f"{table}.{c} IS NOT excluded.{c}" for c in DOSSIER_FIELDS[1:])
    return (
        f"INSERT INTO {table} ({columns}) VALUES ({marks}) "
        f"ON CONFLICT (dossier_id) DO UPDATE SET {updates} WHERE {distinct}"
    )


class _Batches:
    """The rows of one import, written BATCH at a time; the counts' differences summed over all."""

    def __init__(self, result: ImportResult, feed: str) -> None:
        self.result = result
        self.feed = feed
        self.sql = _upsert_sql()
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.deltas: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * len(COUNTED))

    def move(self, unit_id: int, month: int, flags: int, sign: int) -> None:
        cell = self.deltas[(unit_id, month)]
        for i, n in enumerate(counted_of(flags)):
            cell[i] += sign * n

    def flush(self, batch: list[DossierValues]) -> None:
        ids = [row[0] for row in batch]
        existing = set()
        for start in range(0, len(ids), PARAMETERS):
            for dossier_id, unit_id, month, flags in Dossier.objects.filter(
                dossier_id__in=ids[start : start + PARAMETERS]
            ).values_list("dossier_id", "unit_id", "received_month", "flags"):
                existing.add(dossier_id)
                # what it brought to its cell (brought back below if unchanged)
                self.move(unit_id, month, flags, -1)
        for row in batch:
            self.move(row[UNIT_AT], row[MONTH_AT], row[FLAGS_AT], +1)
        with connection.cursor() as cursor:
            before = connection.connection.total_changes
            cursor.executemany(self.sql, [(*_stored(row), self.feed, self.now) for row in batch])
            changed = connection.connection.total_changes - before
        created = sum(1 for row in batch if row[0] not in existing)
        self.result.created += created
        self.result.updated += changed - created
        self.result.unchanged += len(batch) - changed


def import_sqlite(parsed: Iterable[tuple[int, DossierValues]], result: ImportResult, *, feed: str) -> None:
    """Upsert the checked rows in batches and move the counts; fills `result`."""
    batches = _Batches(result, feed)
    batch: list[DossierValues] = []
    for _line, values in parsed:
        batch.append(values)
        result.rows += 1
        if len(batch) >= BATCH:
            batches.flush(batch)
            batch.clear()
    if batch:
        batches.flush(batch)
    result.cells = counts_apply(dict(batches.deltas))


def _stored(row: DossierValues) -> tuple[Any, ...]:
    """Times as Django stores them on SQLite (UTC text), so that SQL comparisons and ORM filters agree."""
    adapt = connection.ops.adapt_datetimefield_value
    values = list(row)
    for i in TIMES:
        values[i] = adapt(values[i])
    return tuple(values)
