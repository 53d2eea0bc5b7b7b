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

from tiendo.analytics.models import Dossier

TIME_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])([T ]([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?)?(Z|[+-]\d{2}(:?\d{2})?)?$"
OFFSET_PATTERN = r"(Z|[+-]\d{2}(:?\d{2})?)$"
REQUIRED = [
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


class FallBack(Exception):
    """The fast path cannot say which line is wrong; validate line by line instead."""


def _time(column: str) -> str:
    """Text → timestamptz: with an offset as written, without one in the local time zone."""
    tz = settings.TIME_ZONE.replace("'", "")
    return (
        f"CASE WHEN NULLIF(r.{column}, '') IS NULL THEN NULL "
        f"WHEN r.{column} ~ '{OFFSET_PATTERN}' THEN r.{column}::timestamptz "
        f"ELSE (r.{column}::timestamp AT TIME ZONE '{tz}') END"
    )


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
        col = {name: f"btrim(r.{column})" for name, column in column_of.items()}
        cursor.execute(
            f"UPDATE dossier_raw r SET {', '.join(f'{column_of[c]} = {col[c]}' for c in REQUIRED)}"
        )
        checks = [
            (
                "dossier_id",
                "r.{dossier_id} = '' OR length(r.{dossier_id}) > 64",
                "dossier_id: bắt buộc, tối đa 64 ký tự / required, at most 64 characters",
            ),
            (
                "unit_code",
                "u.id IS NULL",
                "unit_code: đơn vị không xác định / unknown unit: ' || r.{unit_code} || '",
            ),
            (
                "level",
                "r.{level} NOT IN ('tinh', 'xa')",
                "level: phải là tinh hoặc xa / must be tinh or xa, not ' || quote_literal(r.{level}) || '",
            ),
            (
                "channel",
                "r.{channel} NOT IN ('truc_tiep', 'mot_phan', 'toan_trinh')",
                "channel: phải là một trong / must be one of mot_phan, toan_trinh, truc_tiep, not ' || quote_literal(r.{channel}) || '",
            ),
            (
                "status",
                "r.{status} NOT IN ('received', 'processing', 'resolved', 'cancelled')",
                "status: phải là một trong / must be one of cancelled, processing, received, resolved, not ' || quote_literal(r.{status}) || '",
            ),
            (
                "received_at",
                "r.{received_at} = '' OR r.{received_at} !~ '" + TIME_PATTERN + "'",
                "thời gian không hợp lệ (ISO 8601) / invalid time (ISO 8601): received_at ' || quote_literal(r.{received_at}) || '",
            ),
            (
                "due_at",
                "r.{due_at} <> '' AND r.{due_at} !~ '" + TIME_PATTERN + "'",
                "thời gian không hợp lệ (ISO 8601) / invalid time (ISO 8601): due_at ' || quote_literal(r.{due_at}) || '",
            ),
            (
                "resolved_at",
                "r.{resolved_at} <> '' AND r.{resolved_at} !~ '" + TIME_PATTERN + "'",
                "thời gian không hợp lệ (ISO 8601) / invalid time (ISO 8601): resolved_at ' || quote_literal(r.{resolved_at}) || '",
            ),
            (
                "vneid",
                "lower(r.{vneid}) NOT IN ('', '0', '1', 'true', 'false')",
                "vneid: phải là 0 hoặc 1 / must be 0 or 1",
            ),
            (
                "result_eligible",
                "lower(r.{result_eligible}) NOT IN ('', '0', '1', 'true', 'false')",
                "result_eligible: phải là 0 hoặc 1 / must be 0 or 1",
            ),
            (
                "result_electronic",
                "lower(r.{result_electronic}) NOT IN ('', '0', '1', 'true', 'false')",
                "result_electronic: phải là 0 hoặc 1 / must be 0 or 1",
            ),
            (
                "rating",
                "r.{rating} NOT IN ('', '1', '2', '3', '4', '5')",
                "rating: từ 1 đến 5 hoặc để trống / 1 to 5 or empty, not ' || quote_literal(r.{rating}) || '",
            ),
            ("procedure_code", "r.{procedure_code} = ''", "procedure_code: bắt buộc / required"),
        ]
        names = {k: column_of[k] for k in REQUIRED}

        def fill(template: str) -> str:  # not str.format: the time pattern has {n} quantifiers
            for key, column in names.items():
                template = template.replace("{" + key + "}", column)
            return template

        reasons = " ".join(
            f"WHEN {fill(condition)} THEN '{fill(message)}'" for _, condition, message in checks
        )
        cursor.execute(
            f"""
            WITH bad AS (
                SELECT r.line, CASE {reasons} END AS reason
                FROM dossier_raw r LEFT JOIN orgunits_orgunit u ON u.code = r.{names["unit_code"]}
            ),
            repeated AS (
                SELECT line, 'dossier_id ' || id || ': lặp lại trong tệp / repeated in the file' AS reason
                FROM (SELECT line, r.{names["dossier_id"]} AS id,
                             row_number() OVER (PARTITION BY r.{names["dossier_id"]} ORDER BY line) AS n
                      FROM dossier_raw r) x
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
        problems = cursor.fetchall()
        if problems:
            raise DossierFileError(
                [f"{name}:{line}: {reason}" for line, reason, _ in problems], problems[0][2]
            )
        flag = "lower(r.{0}) IN ('1', 'true')"
        simulated = flag.format(column_of["simulated"]) if "simulated" in column_of else "false"
        try:
            with transaction.atomic():  # a savepoint: a cast that fails falls back, nothing half-done
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
                           {simulated} AS is_simulated, %s::text AS feed, now() AS loaded_at, r.line
                    FROM dossier_raw r JOIN orgunits_orgunit u ON u.code = r.{names["unit_code"]}
                    """,
                    [feed],
                )
        except DatabaseError as exc:
            raise FallBack(str(exc)) from None
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
        fields = [
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
        ]
        columns = ", ".join(fields + ["feed", "loaded_at"])
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in fields[1:] + ["feed", "loaded_at"])
        distinct = " OR ".join(f"{table}.{c} IS DISTINCT FROM EXCLUDED.{c}" for c in fields[1:])
        cursor.execute(
            f"WITH upserted AS (INSERT INTO {table} ({columns}) SELECT {columns} FROM dossier_staging "
            f"ON CONFLICT (dossier_id) DO UPDATE SET {updates} WHERE {distinct} RETURNING (xmax = 0) AS inserted) "
            f"SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted"
        )
        created, updated = cursor.fetchone()
        cursor.execute("DROP TABLE dossier_staging")
        cursor.execute("DROP TABLE dossier_raw")
    result.created, result.updated = created, updated
    result.unchanged = result.rows - created - updated
