"""Sending a whole feed again (issue 10, "imports that cannot wedge"): 1,000,000 dossiers re-imported
into a table that already holds them must take about as long as loading them did, never the nested
loop that ran for more than 20 minutes while holding the import lock.

    .venv/bin/python bench/dossiers_reimport.py [--count 1000000] [--database postgres://…/tiendo_bench_reimport]

On PostgreSQL (the database is dropped and recreated): migrate, the province's units, 1,000 dossiers,
then `tiendo import-dossiers` of COUNT new ones (the baseline, in the same run), then the same file
again (all unchanged), then a one-record `POST`-sized import while nothing else runs (the wait a
system would see). Prints the plan (EXPLAIN cost) of the repeated-id check on the staged batch, the
machine and a Markdown block for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
from analytics_dossiers import run_measured
from reporting_deadline import ROOT, VENV_BIN, loadavg, machine_facts

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_reimport"
GOAL_RATIO = 1.5  # the re-import of everything unchanged may cost at most 1.5× the first load


def recreate(url: str) -> str:
    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return str(conn.execute("SELECT version()").fetchone()[0])


def explain_check(url: str, path: Path) -> float:
    """The total cost PostgreSQL plans for the repeated-id check of the file staged as text."""
    with psycopg.connect(url.replace("postgres://", "postgresql://", 1)) as conn:
        conn.execute("CREATE TEMP TABLE dossier_raw (c0 text)")
        with conn.cursor().copy("COPY dossier_raw (c0) FROM STDIN") as copy, path.open() as lines:
            next(lines)
            for line in lines:
                copy.write_row((line.split(",", 1)[0],))
        conn.execute("ANALYZE dossier_raw")
        plan = conn.execute(
            "EXPLAIN (FORMAT JSON) SELECT 1 FROM dossier_raw r GROUP BY btrim(r.c0) "
            "HAVING count(*) > 1 LIMIT 1"
        ).fetchone()[0]
        return float(plan[0]["Plan"]["Total Cost"])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=1_000_000)
    parser.add_argument("--database", default=DEFAULT_DB)
    args = parser.parse_args()
    tiendo = str(VENV_BIN / "tiendo")
    work = Path(tempfile.mkdtemp(prefix="tiendo-bench-reimport-"))
    env = {**os.environ, "DATABASE_URL": args.database, "TIENDO_DATA_DIR": str(work), "LANG": "en_US.UTF-8"}
    pg_version = recreate(args.database)
    facts = machine_facts(pg_version)
    start_load = loadavg()
    print("tiendo re-import benchmark (dossiers) —", time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    for step in ([tiendo, "migrate", "-v0"], [tiendo, "load-units", "--province", "51"]):
        subprocess.run(step, env=env, check=True, capture_output=True, cwd=ROOT)
    small, big = work / "first-1000.csv", work / f"dossiers-{args.count}.csv"
    for path, count, seed in ((small, 1000, 7), (big, args.count, 1)):
        gen = [
            tiendo,
            "gen-dossiers",
            str(path),
            "--year",
            "2026",
            "--count",
            str(count),
            "--seed",
            str(seed),
        ]
        subprocess.run(gen, env=env, check=True, capture_output=True, cwd=ROOT)
    limit = 3600.0
    run_measured("import 1,000 (the table is not empty)", [tiendo, "import-dossiers", str(small)], env, limit)
    first = run_measured(f"import {args.count:,} new", [tiendo, "import-dossiers", str(big)], env, limit)
    again = run_measured(f"the same {args.count:,} again", [tiendo, "import-dossiers", str(big)], env, limit)
    one = work / "one.csv"
    one.write_text("".join(big.read_text(encoding="utf-8").splitlines(keepends=True)[:2]), encoding="utf-8")
    single = run_measured("one dossier after them", [tiendo, "import-dossiers", str(one)], env, limit)
    cost = explain_check(args.database, big)
    ratio = again.wall / first.wall
    met = ratio <= GOAL_RATIO
    end_load = loadavg()
    print(f"\nrepeated-id check planned at cost {cost:,.0f} for {args.count:,} staged ids (was 1.75e10)")
    print(f"re-import ÷ first import = {ratio:.2f} (goal ≤ {GOAL_RATIO}): {'MET' if met else 'NOT MET'}")
    rows = "\n".join(f"| {k} | {v} |" for k, v in facts.items())
    print(
        f"""
Markdown for docs/benchmarks.md:

<!-- bench/dossiers_reimport.py -->
#### {time.strftime("%Y-%m-%d")} — {args.count:,} dossiers sent again, PostgreSQL

`.venv/bin/python bench/dossiers_reimport.py --count {args.count}`

| machine | |
| --- | --- |
{rows}
| load average (start → end) | {start_load} → {end_load} |

| step | wall | peak RSS |
| --- | --- | --- |
| baseline: `tiendo import-dossiers` of {args.count:,} new dossiers (1,000 already stored) | {first.wall:.1f} s | {first.rss_mib:,.0f} MiB |
| the same file again: {args.count:,} unchanged into {args.count + 1000:,} | {again.wall:.1f} s | {again.rss_mib:,.0f} MiB |
| one dossier after them (the command, its start included) | {single.wall:.2f} s | {single.rss_mib:,.0f} MiB |
| the repeated-id check's planned cost (EXPLAIN) on the staged ids | {cost:,.0f} (the old join: 1.75 × 10¹⁰) | |

| goal | met |
| --- | --- |
| the re-import of everything unchanged ≤ {GOAL_RATIO}× the first load | {"yes" if met else "**no**"}: {ratio:.2f}× |
<!-- /bench/dossiers_reimport.py -->"""
    )
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    sys.exit(main())
