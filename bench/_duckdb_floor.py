"""The DuckDB floor for bench/analytics_dossiers.py: the same work on the same file, in a child process.

    .venv/bin/python bench/_duckdb_floor.py import DB.duckdb FILE.csv OUT.json --year 2026
    .venv/bin/python bench/_duckdb_floor.py derive DB.duckdb OUT.json --year 2026
    .venv/bin/python bench/_duckdb_floor.py incremental DB.duckdb FILE.csv OUT.json --year 2026

- import: a table `dossier` with a primary key on dossier_id, filled by one
  `INSERT … SELECT … FROM read_csv(…) ON CONFLICT (dossier_id) DO UPDATE` (an upsert, as tiendo's), typed
  columns (a value that does not fit its type fails the file), a CHECKPOINT so it is on disk; then the
  derive step tiendo's import also does (below), timed apart.
- derive: one GROUP BY (handling unit, calendar month of received_at in Asia/Ho_Chi_Minh) over the
  year with the ten conditional counts of tiendo.analytics.dossiers.DERIVED (+ the simulated count),
  written into a table `derived` (replaced). DuckDB does not roll months up to quarters, halves and the
  year, nor write one row per element as tiendo does: it is the floor, not a copy.
- incremental: in one transaction, upsert the rows of FILE and recompute the `derived` rows of the
  units they touch (their units before and after the change).

Prints nothing on success; writes {"seconds", …, "sums": {element: Σ over the year}} to OUT.json.
DuckDB uses every core it is allowed (2 on the benchmark machine), as PostgreSQL and tiendo may.
"""

from __future__ import annotations

import argparse
import json
import time

import duckdb

TZ = "Asia/Ho_Chi_Minh"
TYPES = {
    "dossier_id": "VARCHAR",
    "procedure_code": "VARCHAR",
    "level": "VARCHAR",
    "unit_code": "VARCHAR",
    "received_at": "TIMESTAMPTZ",
    "due_at": "TIMESTAMPTZ",
    "resolved_at": "TIMESTAMPTZ",
    "channel": "VARCHAR",
    "vneid": "BOOLEAN",
    "result_eligible": "BOOLEAN",
    "result_electronic": "BOOLEAN",
    "rating": "TINYINT",
    "status": "VARCHAR",
    "simulated": "BOOLEAN",
}
ONLINE = "channel IN ('mot_phan', 'toan_trinh')"
RESOLVED = "status = 'resolved' AND resolved_at IS NOT NULL"
# element code → condition; the same definitions as tiendo.analytics.dossiers.dossiers_derive
COUNTS = {
    "HS_RECEIVED": "TRUE",
    "HS_ONLINE": ONLINE,
    "HS_FULL_ONLINE": "channel = 'toan_trinh'",
    "HS_ONLINE_VNEID": f"{ONLINE} AND vneid",
    "HS_RESOLVED": RESOLVED,
    "HS_RESOLVED_ON_TIME": f"{RESOLVED} AND (due_at IS NULL OR resolved_at <= due_at)",
    "HS_RESOLVED_ELIGIBLE": f"{RESOLVED} AND result_eligible",
    "HS_RESULT_ELECTRONIC": f"{RESOLVED} AND result_eligible AND result_electronic",
    "HS_RATED": f"{ONLINE} AND rating IS NOT NULL",
    "HS_SATISFIED": f"{ONLINE} AND rating >= 4",
}


def read_csv(path: str) -> str:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in TYPES.items())
    quoted = path.replace("'", "''")
    return f"read_csv('{quoted}', header = true, columns = {{{columns}}})"


def upsert_sql(source: str) -> str:
    names = ", ".join(TYPES)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in TYPES if c != "dossier_id")
    return (
        f"INSERT INTO dossier ({names}) SELECT {names} FROM {source} "
        f"ON CONFLICT (dossier_id) DO UPDATE SET {updates}"
    )


def group_by_sql(year: int, where: str = "TRUE") -> str:
    counts = ",\n  ".join(f"count(*) FILTER (WHERE {cond}) AS {code}" for code, cond in COUNTS.items())
    return f"""
SELECT unit_code, date_trunc('month', received_at) AS month,
  {counts},
  count(*) FILTER (WHERE simulated) AS simulated
FROM dossier
WHERE received_at >= TIMESTAMPTZ '{year}-01-01 00:00:00+07' AND received_at < TIMESTAMPTZ '{year + 1}-01-01 00:00:00+07'
  AND ({where})
GROUP BY unit_code, month"""


def connect(path: str) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(path)
    con.execute(f"SET TimeZone = '{TZ}'")
    return con


def sums(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    row = con.execute(f"SELECT {', '.join(f'sum({c})::BIGINT' for c in COUNTS)} FROM derived").fetchone()
    return {code: int(value or 0) for code, value in zip(COUNTS, row, strict=True)}


def derive(con: duckdb.DuckDBPyConnection, year: int) -> tuple[float, int]:
    start = time.perf_counter()
    con.execute(f"CREATE OR REPLACE TABLE derived AS {group_by_sql(year)}")
    con.execute("CHECKPOINT")
    took = time.perf_counter() - start
    return took, con.execute("SELECT count(*) FROM derived").fetchone()[0]


def cmd_import(args) -> dict:
    con = connect(args.db)
    columns = ",\n  ".join(
        f"{name} {kind}{' PRIMARY KEY' if name == 'dossier_id' else ''}" for name, kind in TYPES.items()
    )
    con.execute(f"CREATE TABLE dossier (\n  {columns}\n)")
    start = time.perf_counter()
    con.execute(upsert_sql(read_csv(args.file)))
    con.execute("CHECKPOINT")
    load = time.perf_counter() - start
    rows = con.execute("SELECT count(*) FROM dossier").fetchone()[0]
    derive_seconds, cells = derive(con, args.year)
    result = {"load": load, "derive": derive_seconds, "rows": rows, "cells": cells, "sums": sums(con)}
    con.close()
    return result


def cmd_derive(args) -> dict:
    con = connect(args.db)
    con.execute("SELECT count(*) FROM dossier").fetchone()  # open the file, not measured
    took, cells = derive(con, args.year)
    result = {"derive": took, "cells": cells, "sums": sums(con)}
    con.close()
    return result


def cmd_incremental(args) -> dict:
    con = connect(args.db)
    con.execute("SELECT count(*) FROM dossier").fetchone()  # open the file, not measured
    before = con.execute("SELECT count(*) FROM dossier").fetchone()[0]
    start = time.perf_counter()
    con.execute("BEGIN")
    con.execute(f"CREATE TEMP TABLE incoming AS SELECT * FROM {read_csv(args.file)}")
    con.execute(
        "CREATE TEMP TABLE touched AS SELECT unit_code FROM incoming UNION "
        "SELECT d.unit_code FROM dossier d JOIN incoming i USING (dossier_id)"
    )
    con.execute(upsert_sql("incoming"))
    upserted = time.perf_counter() - start
    con.execute("DELETE FROM derived WHERE unit_code IN (SELECT unit_code FROM touched)")
    con.execute(
        f"INSERT INTO derived {group_by_sql(args.year, 'unit_code IN (SELECT unit_code FROM touched)')}"
    )
    con.execute("COMMIT")
    took = time.perf_counter() - start
    units = con.execute("SELECT count(*) FROM touched").fetchone()[0]
    after = con.execute("SELECT count(*) FROM dossier").fetchone()[0]
    result = {
        "seconds": took,
        "upsert": upserted,
        "derive": took - upserted,
        "units": units,
        "before": before,
        "after": after,
        "sums": sums(con),
    }
    con.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("import", "derive", "incremental"):
        p = sub.add_parser(name)
        p.add_argument("db")
        if name != "derive":
            p.add_argument("file")
        p.add_argument("out")
        p.add_argument("--year", type=int, required=True)
    args = parser.parse_args()
    result = {"import": cmd_import, "derive": cmd_derive, "incremental": cmd_incremental}[args.command](args)
    result["duckdb"] = duckdb.__version__
    with open(args.out, "w", encoding="utf-8") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
