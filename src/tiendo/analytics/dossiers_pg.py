"""The PostgreSQL path of the dossier import: the server parses and checks the file.

Python only streams the lines into `COPY … (FORMAT csv)` with their line numbers; validation is
one SQL query that names every bad line with its reason; conversion and the upsert are
INSERT … SELECT … ON CONFLICT. Anything the SQL checks cannot pin to a line (a date such as
2026-02-30 that matches the pattern but does not exist) makes the caller fall back to the
line-by-line Python validator, so the user still gets "file:line: reason".
"""

from __future__ import annotations

from typing import TextIO

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from tiendo.analytics.dossiers import COLUMNS as REQUIRED
from tiendo.analytics.dossiers import DOSSIER_FIELDS
from tiendo.analytics.models import Dossier


class FallBack(Exception):
    """The fast path cannot say which line is wrong; validate line by line instead."""


def _time(column: str) -> str:
    """Text → timestamptz; text without an offset is read in the session time zone, set to local below."""
    return f"NULLIF(r.{column}, '')::timestamptz"


def _month(column: str) -> str:
    """YYYYMM of the time in the local zone (the session zone is local during the conversion)."""
    return f"to_char(NULLIF(r.{column}, '')::timestamptz, 'YYYYMM')::int"


def import_postgresql(handle: TextIO, result, *, name: str, feed: str, max_reported: int) -> None:
    """Fill `result` (rows, created, updated, unchanged, cells) or raise DossierFileError / FallBack."""
    from tiendo.analytics.dossiers import DossierFileError

    header_line = handle.readline()
    header = [h.strip().lstrip("\ufeff") for h in header_line.rstrip("\r\n").split(",")]
    if not header_line:
        raise DossierFileError([f"{name}: tệp rỗng / empty file"], 1)
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DossierFileError([f"{name}:1: thiếu cột / missing columns: {', '.join(missing)}"], 1)
    raw_columns = [f"c{i}" for i in range(len(header))]
    column_of = {h: f"c{i}" for i, h in enumerate(header)}
    table = Dossier._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS dossier_raw")
        cursor.execute(
            f"CREATE TEMP TABLE dossier_raw (line bigint, {', '.join(f'{c} text' for c in raw_columns)}) ON COMMIT DROP"
        )
        with cursor.cursor.copy(
            f"COPY dossier_raw (line, {', '.join(raw_columns)}) FROM STDIN (FORMAT csv)"
        ) as copy:
            buffer: list[str] = []
            for number, line in enumerate(handle, start=2):
                if line.strip():
                    buffer.append(f"{number},{line}" if line.endswith("\n") else f"{number},{line}\n")
                    if len(buffer) >= 20000:
                        copy.write("".join(buffer))
                        buffer.clear()
            if buffer:
                copy.write("".join(buffer))
        # times are not pattern-checked here: a value that does not cast makes the caller fall back to
        # the line-by-line check, which names the line; valid files pay nothing for it
        checks = [
            (
                "coalesce(r.{dossier_id}, '') = '' OR length(r.{dossier_id}) > 64",
                "dossier_id: bắt buộc, tối đa 64 ký tự / required, at most 64 characters",
            ),
            (
                "u.id IS NULL",
                "unit_code: đơn vị không xác định / unknown unit: ' || coalesce(r.{unit_code}, '') || '",
            ),
            (
                "coalesce(r.{level}, '') NOT IN ('tinh', 'xa')",
                "level: phải là tinh hoặc xa / must be tinh or xa, not ' || quote_nullable(r.{level}) || '",
            ),
            (
                "coalesce(r.{channel}, '') NOT IN ('truc_tiep', 'mot_phan', 'toan_trinh')",
                "channel: phải là một trong / must be one of mot_phan, toan_trinh, truc_tiep, not ' || quote_nullable(r.{channel}) || '",
            ),
            (
                "coalesce(r.{status}, '') NOT IN ('received', 'processing', 'resolved', 'cancelled')",
                "status: phải là một trong / must be one of cancelled, processing, received, resolved, not ' || quote_nullable(r.{status}) || '",
            ),
            ("coalesce(r.{received_at}, '') = ''", "received_at: bắt buộc / required"),
            (
                "lower(coalesce(r.{vneid}, '')) NOT IN ('', '0', '1', 'true', 'false')",
                "vneid: phải là 0 hoặc 1 / must be 0 or 1",
            ),
            (
                "lower(coalesce(r.{result_eligible}, '')) NOT IN ('', '0', '1', 'true', 'false')",
                "result_eligible: phải là 0 hoặc 1 / must be 0 or 1",
            ),
            (
                "lower(coalesce(r.{result_electronic}, '')) NOT IN ('', '0', '1', 'true', 'false')",
                "result_electronic: phải là 0 hoặc 1 / must be 0 or 1",
            ),
            (
                "coalesce(r.{rating}, '') NOT IN ('', '1', '2', '3', '4', '5')",
                "rating: từ 1 đến 5 hoặc để trống / 1 to 5 or empty, not ' || quote_nullable(r.{rating}) || '",
            ),
            ("coalesce(r.{procedure_code}, '') = ''", "procedure_code: bắt buộc / required"),
        ]
        names = {k: column_of[k] for k in REQUIRED}

        def fill(template: str) -> str:  # not str.format: the time pattern has {n} quantifiers
            for key, column in names.items():
                template = template.replace("{" + key + "}", column)
            return template

        reasons = " ".join(f"WHEN {fill(condition)} THEN '{fill(message)}'" for condition, message in checks)
        cursor.execute(
            f"""
            WITH bad AS (
                SELECT r.line, CASE {reasons} END AS reason
                FROM dossier_raw r LEFT JOIN orgunits_orgunit u ON u.code = r.{names["unit_code"]}
            ),
            twice AS (SELECT {names["dossier_id"]} AS id FROM dossier_raw GROUP BY 1 HAVING count(*) > 1),
            repeated AS (
                SELECT line, 'dossier_id ' || id || ': lặp lại trong tệp / repeated in the file' AS reason
                FROM (SELECT line, r.{names["dossier_id"]} AS id,
                             row_number() OVER (PARTITION BY r.{names["dossier_id"]} ORDER BY line) AS n
                      FROM dossier_raw r JOIN twice t ON t.id = r.{names["dossier_id"]}) x
                WHERE n > 1
            ),
            problems AS (
                SELECT line, reason FROM bad WHERE reason IS NOT NULL
                UNION ALL SELECT line, reason FROM repeated
            )
            SELECT line, reason, count(*) OVER () FROM problems ORDER BY line LIMIT %s
            """,
            [max_reported],
        )
        if cursor.fetchall():
            # a bad file: speed no longer matters, completeness does — the line-by-line check reports
            # every problem, times included, with the same messages as on SQLite
            raise FallBack("invalid rows")
        flag = "lower(r.{0}) IN ('1', 'true')"
        simulated = flag.format(column_of["simulated"]) if "simulated" in column_of else "false"
        try:
            with transaction.atomic():  # a savepoint: a cast that fails falls back, nothing half-done
                cursor.execute(
                    "SET LOCAL TIME ZONE %s", [settings.TIME_ZONE]
                )  # times without an offset are local
                cursor.execute("DROP TABLE IF EXISTS dossier_staging")
                cursor.execute(
                    f"""
                    CREATE TEMP TABLE dossier_staging ON COMMIT DROP AS
                    SELECT r.{names["dossier_id"]} AS dossier_id, left(r.{names["procedure_code"]}, 40) AS procedure_code,
                           r.{names["level"]} AS level, u.id AS unit_id,
                           {_time(names["received_at"])} AS received_at, {_time(names["due_at"])} AS due_at,
                           {_time(names["resolved_at"])} AS resolved_at, r.{names["channel"]} AS channel,
                           {flag.format(names["vneid"])} AS vneid, {flag.format(names["result_eligible"])} AS result_eligible,
                           {flag.format(names["result_electronic"])} AS result_electronic,
                           NULLIF(r.{names["rating"]}, '')::smallint AS rating, r.{names["status"]} AS status,
                           {simulated} AS is_simulated, %s::text AS feed, now() AS loaded_at, r.line,
                           {_month(names["received_at"])} AS received_month
                    FROM dossier_raw r JOIN orgunits_orgunit u ON u.code = r.{names["unit_code"]}
                    """,
                    [feed],
                )
        except DatabaseError as exc:
            raise FallBack(str(exc)) from None
        finally:
            cursor.execute("SET LOCAL TIME ZONE 'UTC'")  # what Django expects of its connection
        cursor.execute(
            "SELECT line FROM dossier_staging WHERE resolved_at < received_at ORDER BY line LIMIT %s",
            [max_reported],
        )
        early = [line for (line,) in cursor.fetchall()]
        if early:
            raise DossierFileError(
                [f"{name}:{line}: resolved_at: trước received_at / before received_at" for line in early],
                len(early),
            )
        cursor.execute("SELECT count(*) FROM dossier_staging")
        result.rows = cursor.fetchone()[0]
        tz = settings.TIME_ZONE
        cursor.execute(
            f"""
            SELECT DISTINCT unit_id, EXTRACT(YEAR FROM received_at AT TIME ZONE %s)::int FROM dossier_staging
            UNION SELECT DISTINCT d.unit_id, EXTRACT(YEAR FROM d.received_at AT TIME ZONE %s)::int
                  FROM {table} d JOIN dossier_staging s USING (dossier_id)
            """,
            [tz, tz],
        )
        result.cells.update((unit_id, year) for unit_id, year in cursor.fetchall())
        created, updated = upsert_from_staging(cursor)
        cursor.execute("DROP TABLE dossier_staging")
        cursor.execute("DROP TABLE dossier_raw")
    result.created, result.updated = created, updated
    result.unchanged = result.rows - created - updated


def upsert_from_staging(cursor) -> tuple[int, int]:
    """INSERT the staged dossiers, updating an existing dossier only where a field differs.

    Returns (created, updated); rows that match the stored dossier exactly are left untouched.
    """
    table = Dossier._meta.db_table
    columns = ", ".join(DOSSIER_FIELDS + ["feed", "loaded_at"])
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in DOSSIER_FIELDS[1:] + ["feed", "loaded_at"])
    distinct = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in DOSSIER_FIELDS[1:])
    cursor.execute(
        f"WITH upserted AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM dossier_staging "
        f"ON CONFLICT (dossier_id) DO UPDATE SET {updates} WHERE {distinct} RETURNING (xmax = 0) AS inserted) "
        f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted"
    )
    created, updated = cursor.fetchone()
    return created, updated
