"""The PostgreSQL path of the dossier import: the file goes to the server as it is.

Python streams the file into `COPY … (FORMAT csv)` in large chunks (no work per line); one statement
then converts every row, upserts the dossiers and moves the counts per (unit, month, flags). The
checks are the table's own: NOT NULL, CHECK constraints, the unit join, casts. Any row that breaks
one aborts the statement, nothing stays, and the caller falls back to the line-by-line check, which
names every bad line with its reason (the same messages as on SQLite). A good file pays for no
check twice; a bad file's speed no longer matters, the completeness of its report does.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TextIO

import psycopg
from django.conf import settings
from django.db import DataError, IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.analytics.feed.counts import COUNT_TABLE, count_expressions, counts_sql, counts_upsert_sql
from tiendo.analytics.feed.flags import flags_sql
from tiendo.analytics.feed.schema import (
    COLUMNS,
    DOSSIER_FIELDS,
    DossierFileError,
    DossierValues,
    ImportResult,
)
from tiendo.analytics.models import Dossier

CHUNK = 1 << 20  # characters per COPY write
SMALL_BATCH = 200_000  # new rows from which the dossier table is analysed after the import
ANALYZED_FROM = 1_000  # staged rows from which the staged table is analysed before it is joined
STRIPPED = ("dossier_id", "procedure_code", "level", "unit_code", "channel", "status")


class _CopyAborted(Exception):
    """Ends a COPY with a short message: psycopg sends the message of the exception that ends it,
    and a report of hundreds of bad lines left the connection broken for the next request (issue
    10, found by the API fuzz run); the report itself is raised once the COPY is over."""

    def __init__(self, refused: DossierFileError) -> None:
        super().__init__("refused")
        self.refused = refused


class FallBack(Exception):
    """The fast path cannot say which line is wrong; validate line by line instead."""


def _time(column: str) -> str:
    """Text → timestamptz, only for text that begins like ISO 8601 (YYYY-MM-DD…).

    PostgreSQL would also read `03/04/2026` — as 4 March, where a Vietnamese clerk means 3 April —
    so anything else is made to fail the cast (the caller then names the line). Text without an
    offset is read in the session time zone, set to local for the statement.
    """
    return (
        f"CASE WHEN coalesce({column}, '') = '' THEN NULL "
        f"WHEN {column} LIKE '____-__-__%%' THEN {column}::timestamptz "
        f"ELSE ('not ISO 8601: ' || {column})::timestamptz END"
    )


def _flag(column: str) -> str:
    """0/1/true/false/empty → boolean; anything else NULL, which the NOT NULL column refuses."""
    return (
        f"CASE coalesce({column}, '') WHEN '1' THEN true WHEN '0' THEN false WHEN '' THEN false "
        f"ELSE CASE lower({column}) WHEN 'true' THEN true WHEN 'false' THEN false END END"
    )


def _rating(column: str) -> str:
    """1–5 exactly as the line-by-line check reads it (not `04` or `+4`); anything else fails the cast."""
    return (
        f"CASE coalesce({column}, '') WHEN '' THEN NULL WHEN '1' THEN 1 WHEN '2' THEN 2 WHEN '3' THEN 3 "
        f"WHEN '4' THEN 4 WHEN '5' THEN 5 ELSE ('rating ' || {column})::smallint END"
    )


def _raw_columns(handle: TextIO, name: str) -> tuple[dict[str, str], int]:
    """The header's columns → their SQL expressions over the raw table `r` (text columns c0, c1…),
    and how many there are."""
    header_line = handle.readline()
    if not header_line:
        raise DossierFileError([name + ": " + _("tệp rỗng")], 1)
    header = [h.strip().lstrip("\ufeff") for h in header_line.rstrip("\r\n").split(",")]
    if any(c not in header for c in COLUMNS):
        raise FallBack("missing columns")  # the line-by-line check words it
    c = {h: f"r.c{i}" for i, h in enumerate(header)}
    for column in STRIPPED:
        c[column] = f"btrim({c[column]})"  # as the line-by-line check strips cells: " D1" is D1 on both paths
    return c, len(header)


def _converted(c: dict[str, str]) -> str:
    """The raw rows as the dossiers' fields, with `{where}` left for a condition on the id."""
    simulated = _flag(c["simulated"]) if "simulated" in c else "false"
    converted = f"""
        SELECT {c["dossier_id"]} AS dossier_id, left({c["procedure_code"]}, 40) AS procedure_code,
               {c["level"]} AS level, u.id AS unit_id,
               {_time(c["received_at"])} AS received_at, {_time(c["due_at"])} AS due_at,
               {_time(c["resolved_at"])} AS resolved_at, {c["channel"]} AS channel,
               {_flag(c["vneid"])} AS vneid, {_flag(c["result_eligible"])} AS result_eligible,
               {_flag(c["result_electronic"])} AS result_electronic,
               {_rating(c["rating"])} AS rating, {c["status"]} AS status,
               {simulated} AS is_simulated
        FROM dossier_raw r LEFT JOIN orgunits_orgunit u ON u.code = {c["unit_code"]}
        WHERE {{where}}
        OFFSET 0
    """  # OFFSET 0: each cast is computed once per row, not once per use above
    return f"""
        SELECT s.*, (date_part('year', s.received_at) * 100 + date_part('month', s.received_at))::int
               AS received_month, {_flags_of("s")} AS flags, %s::varchar AS feed, now() AS loaded_at
        FROM ({converted}) s
    """


def _copy_raw(cursor: Any, handle: TextIO, width: int) -> int:
    """The rest of the file into a temporary table of text columns; returns its rows."""
    raw_columns = ", ".join(f"c{i} text" for i in range(width))
    cursor.execute("DROP TABLE IF EXISTS dossier_raw")
    cursor.execute(f"CREATE TEMP TABLE dossier_raw ({raw_columns}) ON COMMIT DROP")
    with cursor.cursor.copy("COPY dossier_raw FROM STDIN (FORMAT csv)") as copy:
        while chunk := handle.read(CHUNK):
            copy.write(chunk)
    rows: int = cursor.cursor.rowcount
    _analyze(cursor, "dossier_raw", rows)
    return rows


def _analyze(cursor: Any, table: str, rows: int) -> None:
    """True row counts for the planner before the staged table is joined with the dossiers. Never
    analysed, a temporary table is guessed from its pages, and a wrong guess under a LIMIT once made a
    nested loop of 10¹² steps of a million rows sent again (issue 10). Tens of milliseconds."""
    if rows >= ANALYZED_FROM:
        cursor.execute(f"ANALYZE {table}")


def repeated_ids_sql(dossier_id: str) -> str:
    """An id sent twice: among new dossiers the primary key would refuse it, among stored ones the
    UPDATE would silently take either row. One hash (or sort) of the staged ids, whatever their number,
    and no join with the dossier table: linear in the batch (it was a join under a LIMIT, which the
    planner ran as a nested loop over both tables)."""
    return f"SELECT 1 FROM dossier_raw r GROUP BY {dossier_id} HAVING count(*) > 1 LIMIT 1"


def _refuse_repeated_ids(cursor: Any, dossier_id: str) -> None:
    cursor.execute(repeated_ids_sql(dossier_id))
    if cursor.fetchone():
        raise FallBack("a dossier is sent twice")


def import_postgresql(handle: TextIO, result: ImportResult, *, feed: str) -> None:
    """Fill `result` (rows, created, updated, unchanged, cells) or raise DossierFileError / FallBack."""
    c, width = _raw_columns(handle, getattr(handle, "name", "dossiers.csv"))
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint: a failure leaves nothing
            rows = _copy_raw(cursor, handle, width)
            # times without an offset are local; no JIT (half a second of compiling per statement run
            # once); room for the counts' hash
            cursor.execute("SET LOCAL TIME ZONE %s", [settings.TIME_ZONE])
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '256MB'")
            _refuse_repeated_ids(cursor, c["dossier_id"])
            _upsert(cursor, _converted(c), c["dossier_id"], [feed], result, rows=rows)
            if result.created > SMALL_BATCH:
                # a bulk load: the planner's row estimates are stale until the table is analysed, and
                # a stale "600,000 rows" turns the next batch's key lookups into a full scan
                cursor.execute(f"ANALYZE {Dossier._meta.db_table}")
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # what Django expects of its connection
            cursor.execute("DROP TABLE dossier_raw")
    except (DataError, IntegrityError, psycopg.DataError, psycopg.IntegrityError) as exc:
        # a row broke a cast, a constraint or the CSV format (COPY's own errors come from psycopg
        # unwrapped); anything else — a lost connection, a timeout — is not the file's fault and is raised
        raise FallBack(str(exc)) from None


def import_staged(parsed: Iterable[tuple[int, DossierValues]], result: ImportResult, *, feed: str) -> None:
    """Rows already checked in Python: COPY them into a typed table, then the same upsert."""
    table = Dossier._meta.db_table
    columns = ", ".join(DOSSIER_FIELDS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS dossier_staging")
        cursor.execute(
            f"CREATE TEMP TABLE dossier_staging ON COMMIT DROP AS "
            f"SELECT {columns}, feed, loaded_at FROM {table} WITH NO DATA"
        )
        try:
            with cursor.cursor.copy(f"COPY dossier_staging ({columns}, feed, loaded_at) FROM STDIN") as copy:
                now = timezone.now()
                rows = 0
                try:
                    for _line, values in parsed:
                        copy.write_row((*values, feed, now))
                        rows += 1
                except DossierFileError as exc:
                    raise _CopyAborted(exc) from None
        except _CopyAborted as aborted:
            raise aborted.refused from None
        _analyze(cursor, "dossier_staging", rows)
        _upsert(cursor, STAGED_SOURCE, "r.dossier_id", [], result, rows=rows)
        cursor.execute("DROP TABLE dossier_staging")


def _flags_of(alias: str) -> str:
    return flags_sql(
        {
            "channel": f"{alias}.channel",
            "vneid": f"{alias}.vneid",
            "status": f"{alias}.status",
            "due_at": f"{alias}.due_at",
            "resolved_at": f"{alias}.resolved_at",
            "result_eligible": f"{alias}.result_eligible",
            "result_electronic": f"{alias}.result_electronic",
            "rating": f"{alias}.rating",
            "simulated": f"{alias}.is_simulated",
        }
    )


def update_sql(source: str, id_column: str) -> str:
    """Update the stored dossiers that changed and move their counts; answers (updated, cells)."""
    table = Dossier._meta.db_table
    fields = DOSSIER_FIELDS + ["feed", "loaded_at"]
    sets = ", ".join(f"{col} = s.{col}" for col in fields[1:])
    distinct = " OR ".join(f"d.{col} IS DISTINCT FROM s.{col}" for col in DOSSIER_FIELDS[1:])
    return f"""
        WITH up AS (
            UPDATE {table} d SET {sets} FROM ({source.replace("{where}", _stored(id_column))}) s, {table} o
            WHERE d.dossier_id = s.dossier_id AND o.dossier_id = s.dossier_id AND ({distinct})
            RETURNING o.unit_id AS old_unit, o.received_month AS old_month, o.flags AS old_flags,
                      d.unit_id, d.received_month, d.flags
        ),
        delta AS (
            SELECT unit_id, received_month, {counts_sql(flags="flags", weight="n")} FROM (
                SELECT unit_id, received_month, flags, 1 AS n FROM up
                UNION ALL SELECT old_unit, old_month, old_flags, -1 FROM up
            ) moves GROUP BY unit_id, received_month
            HAVING {" OR ".join(f"{e} <> 0" for e in count_expressions(flags="flags", weight="n"))}
        ),
        {_COUNTED}
        SELECT (SELECT count(*) FROM up), (SELECT array_agg(DISTINCT ARRAY[unit_id, month]) FROM counted)
        """


def insert_sql(source: str, id_column: str) -> str:
    """Insert the new dossiers and add their counts; answers (created, cells)."""
    table = Dossier._meta.db_table
    columns = ", ".join(DOSSIER_FIELDS + ["feed", "loaded_at"])
    return f"""
        WITH fresh AS (
            INSERT INTO {table} ({columns})
            SELECT {columns} FROM ({source.replace("{where}", "NOT " + _stored(id_column))}) s
            RETURNING unit_id, received_month, flags
        ),
        delta AS (SELECT unit_id, received_month, {counts_sql(flags="flags")} FROM fresh GROUP BY 1, 2),
        {_COUNTED}
        SELECT (SELECT count(*) FROM fresh), (SELECT array_agg(DISTINCT ARRAY[unit_id, month]) FROM counted)
        """


_COUNTED = f"counted AS ({counts_upsert_sql('SELECT *, now() FROM delta')} RETURNING unit_id, month)"
STAGED_SOURCE = "SELECT * FROM dossier_staging r WHERE {where}"  # import_staged's rows, for update/insert_sql


def _stored(id_column: str) -> str:
    return f"EXISTS (SELECT 1 FROM {Dossier._meta.db_table} x WHERE x.dossier_id = {id_column})"


def _upsert(
    cursor: Any, source: str, id_column: str, params: list[str], result: ImportResult, *, rows: int
) -> None:
    """Two statements: update the stored dossiers that changed, then insert the new ones.

    `source` selects the converted rows with `{where}` left for a condition on the dossier id
    (`id_column`). Each statement moves the counts by what it wrote: all parts of one statement
    see the table as it was before it, so the self-join `o` reads the cell an updated dossier
    leaves while `d` receives its new one. New dossiers go in with a plain INSERT (no ON CONFLICT:
    about half the cost on two million rows); an id repeated among them breaks the primary key.
    """
    cursor.execute(update_sql(source, id_column), params)
    updated, moved = cursor.fetchone()
    cursor.execute(insert_sql(source, id_column), params)
    created, added = cursor.fetchone()
    cursor.execute(f"DELETE FROM {COUNT_TABLE} WHERE received = 0")
    result.rows, result.created, result.updated = rows, created, updated
    result.unchanged = rows - created - updated
    result.cells = {(unit_id, month) for unit_id, month in [*(moved or []), *(added or [])]}
