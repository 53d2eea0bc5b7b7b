"""The feed's pre-aggregate: DossierCount kept by every import, and the full recount.

`DossierCount` holds, per unit and month, one count per derived element; every import adds what a
changed dossier brings to its new cell and takes away what it brought to the cell it left, so a
change to one dossier touches only its cells. The ten derived data elements (HS_*) are those counts
per month, summed to quarter, six months and year when read (counts add up; rates are formed later
as ratios of these sums, never as means of ratios): the formulas and the drill-down read them
through `tiendo.analytics.feed.selectors`, so a change is visible the moment its import commits.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connection
from django.utils import timezone

from tiendo.analytics.feed.flags import DERIVED, Flag
from tiendo.analytics.models import Dossier, DossierCount
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement

COUNT_TABLE = DossierCount._meta.db_table
# DossierCount's columns, in the order of DERIVED, then the simulated dossiers
COUNTED = [code.removeprefix("HS_").lower() for code in DERIVED] + ["simulated"]
COUNTED_FLAGS: list[Flag | None] = [flag for _name, _name_en, flag in DERIVED.values()] + [Flag.SIMULATED]


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
    changed = {cell: counts for cell, counts in deltas.items() if any(counts)}
    if not changed:
        return set()
    marks = ", ".join(["%s"] * (3 + len(COUNTED)))
    with connection.cursor() as cursor:
        cursor.executemany(
            counts_upsert_sql(f"VALUES ({marks})"),
            [(unit, month, *counts, now) for (unit, month), counts in changed.items()],
        )
        cursor.execute(f"DELETE FROM {COUNT_TABLE} WHERE received = 0")
    return set(changed)


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
    """The HS_* data elements the formulas name (the shipped forms declare them too)."""
    elements = {e.code: e for e in DataElement.objects.filter(code__in=DERIVED)}
    for code, (name, name_en, _flag) in DERIVED.items():
        if code not in elements:
            elements[code] = DataElement.objects.create(
                code=code,
                name=name,
                name_en=name_en,
                value_type=DataElement.ValueType.INTEGER,
                measure="hồ sơ",  # data: the unit the element is counted in
                aggregation=DataElement.Aggregation.SUM,
            )
    return elements


def feed_column(code: str) -> str | None:
    """The DossierCount column behind a derived element's code (None for any other element)."""
    return code.removeprefix("HS_").lower() if code in DERIVED else None


def feed_columns(indicators: Iterable[Indicator]) -> dict[int, str]:
    """The indicators' formula elements counted from the dossier feed → their DossierCount columns."""
    return {
        element.pk: column
        for indicator in indicators
        for element in (indicator.numerator, indicator.denominator)
        if element is not None and (column := feed_column(element.code))
    }
