"""Analytics at the province's real scale: 2,032,573 public-service dossiers on PostgreSQL and on
SQLite, each beside DuckDB doing the same work on the same file in the same run (issue "Analytics").

    .venv/bin/python bench/analytics_dossiers.py [--count 2032573] [--databases postgresql,sqlite]

What it does, in one run:

1. set-up, per database: PostgreSQL — drops and recreates `BENCH_DATABASE_URL` (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_dossiers; its name must contain "bench"); SQLite —
   the default database in a temporary TIENDO_DATA_DIR. On each: `tiendo migrate`, `load-units
   --province 51`, `load-plan` (2025, then 2026), `load-forms src/tiendo/reporting/data/forms-2026.yaml`.
2. the file: `tiendo gen-dossiers FILE --year 2026 --count N --seed 1` once (on the SQLite database
   when it is measured, else on PostgreSQL), reused for every database (--file PATH keeps it, or reuses
   it when it exists). From it, a file of 10,000 dossiers (--incremental): half are existing dossiers
   whose channel becomes fully online (and, when in progress, whose status becomes resolved), half are
   new dossiers, fully online.
3. per database, with a fresh DuckDB file beside it (bench/_duckdb_floor.py, a child process):
   a. import: `tiendo import-dossiers FILE` as a child process: wall time and peak RSS (wait4's
      rusage); the command's own figures (the import until committed, then the VACUUM (ANALYZE) it runs
      after a bulk load). DuckDB: one INSERT … ON CONFLICT from read_csv into a table with a primary
      key, then the GROUP BY below (tiendo's import keeps its counts per unit and month too).
   b. full recompute of the year: `dossiers_derive(year=Y)` + the plan's verdicts
      (`analytics.selectors.indicator_rows`) in a child process (bench/_dossiers_child.py), from scratch
      (the year's counts deleted first, not timed) and with the counts in place. DuckDB: one GROUP
      BY (unit, month) with the ten conditional counts, into a table.
   c. drill-down: `tiendo serve --workers 2`; the id of indicator I.1 of quang-ngai-2026 from the API;
      1,000 GET of its drill-down by 20 concurrent clients (closed loop; ApacheBench when /usr/bin/ab
      exists — apt-get install apache2-utils — else httpx; with ab, httpx's figures are logged too) — the API endpoint
      `/api/v1/indicators/{id}/units` when /api/v1/openapi.json lists one, else the page
      `/indicators/{id}/units/`; baseline: 1,000 GET /healthz the same way.
   d. incremental + freshness: `dossiers_import(path=…)` of the 10,000 dossiers in a child process
      (upsert and counts in one); from its return (committed) GET /api/v1/indicators/{id}
      every 20 ms until the value changes (freshness; DHIS2's documented answer is its next analytics
      run, 15 minutes to a night). DuckDB: the same upsert + the GROUP BY of the touched units.
   e. checks: the database holds every dossier once; the year's sums of the ten derived elements equal
      DuckDB's, after the import and after the incremental; the API showed the value tiendo computes.
4. prints the machine, every figure, its baseline and the ratio, the goals met or not, and a Markdown
   block for docs/benchmarks.md. The server is stopped at the end, also on error; a database whose
   run fails is reported with the error and the other still runs.

Options: --count N (2,032,573), --databases postgresql,sqlite, --time-limit SECONDS (2400),
--incremental 10000, --requests 1000, --clients 20, --workers 2, --year 2026, --seed 1, --file PATH.
DuckDB is installed into this Python (`-m pip install duckdb`) when missing.
Exit status: 0 when every step ran and every check passed, 1 otherwise, 2 on the time limit.

Goals (the issue): import ≤ 10 s on PostgreSQL with peak memory ≤ 1 GB; full recompute ≤ 1 s;
incremental (10,000 dossiers) ≤ 0.3 s; drill-down p95 ≤ 50 ms with 20 clients; freshness: the issue
asks to "show the effect of new data within a second". Only the full-size run says anything about them.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import importlib.metadata
import importlib.util
import json
import os
import re
import secrets
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from reporting_deadline import (
    BENCH,
    PLANS,
    ROOT,
    VENV_BIN,
    BenchError,
    BenchTimeout,
    Job,
    Server,
    _alarm,
    connect,
    db_urls,
    free_port,
    latency_stats,
    loadavg,
    log,
    machine_facts,
    recreate_database,
    run_load,
    run_step,
)

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_dossiers"
FORMS = ROOT / "src" / "tiendo" / "reporting" / "data" / "forms-2026.yaml"
PLAN = "quang-ngai-2026"
GOAL_COUNT = 2_032_573
GOAL_INCREMENTAL = 10_000
GOAL_REQUESTS, GOAL_CLIENTS = 1000, 20
GOAL_IMPORT_S, GOAL_RSS_MIB = 10.0, 1024.0
GOAL_RECOMPUTE_S, GOAL_INCREMENTAL_S = 1.0, 0.3
GOAL_P95_MS, GOAL_FRESH_S = 50.0, 1.0
DOSSIER_TABLE = "analytics_dossier"
AB = Path("/usr/bin/ab")  # ApacheBench (Debian's apache2-utils), when present
LABELS = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
DHIS2 = "DHIS2: the next analytics run, 15 minutes (continuous analytics) to a night (the nightly job)"


# ---------------------------------------------------------------------------------------- child processes


@dataclass
class Measured:
    wall: float
    rss_mib: float
    stdout: str
    stderr: str


TIME = Path("/usr/bin/time")


def run_measured(label: str, cmd: list[str], env: dict[str, str], timeout: float) -> Measured:
    """Run `cmd` to its end: wall time and the child's peak RSS.

    The peak comes from GNU time (`/usr/bin/time -f %M`), which forks the command from its own small
    process: wait4's rusage of a child forked from this benchmark would start from the benchmark's own
    RSS (Linux carries the high-water mark across fork and exec). Without /usr/bin/time, wait4's figure
    is used and marked as an upper bound.
    """
    with (
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
        tempfile.NamedTemporaryFile() as rss_file,
    ):
        full = ["/usr/bin/time", "-f", "%M", "-o", rss_file.name, *cmd] if TIME.exists() else cmd
        start = time.perf_counter()
        proc = subprocess.Popen(full, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True)
        timed_out = threading.Event()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(max(timeout, 1), kill)
        timer.start()
        try:
            _pid, status, usage = os.wait4(proc.pid, 0)
        except BaseException:  # the overall time limit: do not leave the child behind
            kill()
            proc.wait()
            raise
        finally:
            timer.cancel()
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
        reported = Path(rss_file.name).read_text(errors="replace").strip().splitlines()
    if timed_out.is_set():
        raise BenchTimeout(f"{label}: no answer within {timeout:.0f} s")
    if proc.returncode != 0:
        raise BenchError(f"{label} failed (exit {proc.returncode}):\n{stdout[-3000:]}\n{stderr[-6000:]}")
    if TIME.exists() and reported and reported[-1].isdigit():
        rss, exact = int(reported[-1]) / 1024, True
    else:
        rss, exact = usage.ru_maxrss / 1024, False  # KiB on Linux; includes this process's RSS at fork
    last = (stdout.strip().splitlines() or [""])[-1]
    shown = f"{rss:,.0f} MiB" + ("" if exact else " (upper bound)")
    log(f"  {label:<42} {wall:6.2f} s  peak RSS {shown}  {last[:100]}")
    return Measured(wall, rss, stdout, stderr)


def run_json(
    label: str, cmd: list[str], out: Path, env: dict[str, str], timeout: float
) -> tuple[dict, Measured]:
    measured = run_measured(label, cmd, env, timeout)
    return json.loads(out.read_text(encoding="utf-8")), measured


def ensure_duckdb(python: str, timeout: float) -> str:
    if importlib.util.find_spec("duckdb") is None:
        log("DuckDB is not installed in this Python: installing it from PyPI (pip install duckdb)")
        run_step(
            "pip install duckdb",
            [python, "-m", "pip", "install", "--quiet", "duckdb"],
            os.environ.copy(),
            timeout,
        )
        importlib.invalidate_caches()
    return importlib.metadata.version("duckdb")


# ---------------------------------------------------------------------------------------- set-up


def setup_database(kind: str, tiendo: str, env: dict[str, str], remaining) -> None:
    log(f"\nSet-up: {LABELS[kind]}")
    started = time.perf_counter()
    run_step("tiendo migrate", [tiendo, "migrate", "--no-input"], env, remaining())
    run_step("tiendo load-units --province 51", [tiendo, "load-units", "--province", "51"], env, remaining())
    for plan in PLANS:
        run_step(f"tiendo load-plan {plan.name}", [tiendo, "load-plan", str(plan)], env, remaining())
    run_step(f"tiendo load-forms {FORMS.name}", [tiendo, "load-forms", str(FORMS)], env, remaining())
    log(f"  {'set-up total':<42} {time.perf_counter() - started:6.1f} s")


def count_dossiers(kind: str, target: str) -> int:
    if kind == "postgresql":
        with connect(target) as conn:
            return conn.execute(f"SELECT count(*) FROM {DOSSIER_TABLE}").fetchone()[0]
    with sqlite3.connect(target) as conn:
        return conn.execute(f"SELECT count(*) FROM {DOSSIER_TABLE}").fetchone()[0]


def make_second_batch(first: Path, target: Path) -> None:
    """The same shape as the first batch, applied after it: its changed dossiers change again
    (fully online → partly online), its new ones get other ids."""
    with first.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    channel, dossier_id = header.index("channel"), header.index("dossier_id")
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in rows[1:]:
            row = list(row)
            if row[dossier_id].startswith("BENCH-"):
                row[dossier_id] = "NEXT-" + row[dossier_id]
            else:
                row[channel] = "mot_phan"
            writer.writerow(row)


def make_incremental(source: Path, target: Path, size: int, rows_in_source: int, seed: int) -> dict:
    """Half existing dossiers changed (channel → fully online; in progress → resolved), half new ones."""
    want_changed = min(size // 2, rows_in_source // 3)
    want_new = size - want_changed
    step_changed = max(1, rows_in_source // max(want_changed, 1))
    step_new = max(1, rows_in_source // max(want_new, 1))
    changed, new = [], []
    next_changed = 0
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        col = {name: header.index(name) for name in header}
        for index, row in enumerate(reader):
            if len(changed) < want_changed and index >= next_changed and row[col["channel"]] != "toan_trinh":
                row = list(row)
                row[col["channel"]] = "toan_trinh"
                if row[col["status"]] == "processing":
                    received = datetime.fromisoformat(row[col["received_at"]])
                    row[col["status"]] = "resolved"
                    row[col["resolved_at"]] = (received + timedelta(hours=2)).isoformat()
                changed.append(row)
                next_changed += step_changed
            if len(new) < want_new and index % step_new == step_new // 2:
                row = list(row)
                row[col["dossier_id"]] = f"BENCH-{seed}-{len(new):08d}"
                row[col["channel"]] = "toan_trinh"
                new.append(row)
    rows = [r for pair in zip(changed, new, strict=False) for r in pair]
    rows += changed[len(new) :] + new[len(changed) :]
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return {"rows": len(rows), "changed": len(changed), "new": len(new)}


# ---------------------------------------------------------------------------------------- the API


def items(body) -> list:
    return body["items"] if isinstance(body, dict) and "items" in body else body


def find_indicator(base_url: str) -> tuple[int, str, bool]:
    """(id of I.1 of the plan, the drill-down path to read, whether it is an API endpoint)."""
    with httpx.Client(base_url=base_url, timeout=30) as client:
        plans = items(client.get("/api/v1/plans").raise_for_status().json())
        plan = next((p for p in plans if p["code"] == PLAN), None)
        if plan is None:
            raise BenchError(f"plan {PLAN} not listed by GET /api/v1/plans")
        indicators = items(client.get(f"/api/v1/plans/{plan['id']}/indicators").raise_for_status().json())
        i1 = next((i for i in indicators if i["group"] == "I" and i["number"] == "1"), None)
        if i1 is None:
            raise BenchError(f"indicator I.1 not in GET /api/v1/plans/{plan['id']}/indicators")
        paths = client.get("/api/v1/openapi.json").raise_for_status().json().get("paths", {})
    for path in paths:
        if re.fullmatch(r"/api/v1/indicators/\{[a-z_]+\}/units/?", path):
            return i1["id"], re.sub(r"\{[a-z_]+\}", str(i1["id"]), path), True
    return i1["id"], f"/indicators/{i1['id']}/units/", False


def load_ab(base_url: str, path: str, requests: int, clients: int, remaining) -> dict:
    """The same closed loop with ApacheBench (keep-alive): one C process instead of a Python event loop."""
    subprocess.run(
        [str(AB), "-q", "-k", "-n", str(max(100, requests // 5)), "-c", str(clients), base_url + path],
        capture_output=True,
        timeout=remaining(),
    )  # warm-up, not measured
    done = subprocess.run(
        [str(AB), "-k", "-n", str(requests), "-c", str(clients), base_url + path],
        capture_output=True,
        text=True,
        timeout=remaining(),
    )
    text = done.stdout
    if done.returncode != 0:
        raise BenchError(f"ab {path}: {done.stderr[-500:]}")

    def number(pattern: str) -> float:
        found = re.search(pattern, text)
        if not found:
            raise BenchError(f"ab {path}: no {pattern!r} in its output:\n{text[-1500:]}")
        return float(found[1])

    failed = int(number(r"Failed requests:\s+(\d+)"))
    non_2xx = re.search(r"Non-2xx responses:\s+(\d+)", text)
    bad = failed + (int(non_2xx[1]) if non_2xx else 0)
    return {
        "n": requests,
        "ok": requests - bad,
        "rps": number(r"Requests per second:\s+([\d.]+)"),
        "p50": number(r"\n\s+50%\s+(\d+)"),
        "p95": number(r"\n\s+95%\s+(\d+)"),
        "p99": number(r"\n\s+99%\s+(\d+)"),
        "max": number(r"\n\s+100%\s+(\d+)"),
        "statuses": {"failed": failed, "non-2xx": bad - failed},
        "example_error": "",
        "wall": number(r"Time taken for tests:\s+([\d.]+)"),
    }


def load(base_url: str, path: str, requests: int, clients: int, timeout: float, remaining) -> dict:
    jobs = [Job(("get", i), "GET", path) for i in range(requests)]
    results, wall = asyncio.run(run_load(base_url, jobs, clients, timeout, remaining()))
    stats = latency_stats(results, wall)
    stats["ok"] = sum(1 for r in results if r.status == 200)
    statuses: dict[str, int] = {}
    for r in results:
        key = str(r.status) if r.status is not None else r.error.split("(")[0]
        statuses[key] = statuses.get(key, 0) + 1
    stats["statuses"] = statuses
    bad = next((r for r in results if r.status != 200), None)
    stats["example_error"] = (
        f"{bad.status} {str(bad.body)[:600] if bad.body is not None else bad.error}" if bad else ""
    )
    return stats


# ---------------------------------------------------------------------------------------- one database


def orm_text(orm: dict) -> str:
    """'bulk_update of 21,600 objects 12.3 s (11 calls), …' from _dossiers_child.instrument()."""
    parts = [
        f"{name} of {entry['objects']:,} objects {fmt_s(entry['seconds'])}"
        if entry["objects"]
        else f"{name} {fmt_s(entry['seconds'])}"
        for name, entry in sorted(orm.items(), key=lambda kv: -kv[1]["seconds"])
    ]
    return ", ".join(parts) or "no bulk writes"


def sums_match(a: dict, b: dict) -> tuple[bool, str]:
    differ = {k: (a.get(k), b.get(k)) for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)}
    return not differ, ", ".join(f"{k}: tiendo {x} / DuckDB {y}" for k, (x, y) in differ.items())


def measure_database(kind: str, ctx: dict, section: dict, remaining) -> None:
    env, tiendo, python, tmp = ctx["envs"][kind], ctx["tiendo"], ctx["python"], ctx["tmp"]
    args, csv_path, year = ctx["args"], ctx["csv"], ctx["args"].year
    duck = tmp / f"floor-{kind}.duckdb"
    floor = [python, str(BENCH / "_duckdb_floor.py")]
    child = [python, str(BENCH / "_dossiers_child.py")]
    label = LABELS[kind]
    count = ctx["rows"]

    # a. import ------------------------------------------------------------------------------------
    log(f"\n{label} — import of {count:,} dossiers (validation, upsert, derive)")
    section["step"] = "import"
    m = run_measured("tiendo import-dossiers", [tiendo, "import-dossiers", str(csv_path)], env, remaining())
    found = re.search(
        # in either language (the command speaks the operator's): "N dòng — N mới, N cập nhật, N không
        # đổi; N ô … thay đổi; S s" or "N rows — N new, N updated, N unchanged; N cells … changed; S s"
        r"(\d+) \D+? — (\d+) \D+?, (\d+) \D+?, (\d+) \D+?; "
        r"(\d+) \D.*?; ([\d.]+) s(?:; VACUUM \(ANALYZE\) ([\d.]+) s)?",
        m.stdout,
    )
    stored = count_dossiers(kind, ctx["targets"][kind])
    imp = {"wall": m.wall, "rss": m.rss_mib, "stored": stored, "output": m.stdout.strip()[-300:]}
    if found:
        imp.update(
            rows=int(found[1]),
            created=int(found[2]),
            cells=int(found[5]),
            seconds=float(found[6]),
            vacuum=float(found[7]) if found[7] else None,
        )
    section["import"] = imp
    out = tmp / f"duck-import-{kind}.json"
    d, dm = run_json(
        "DuckDB: INSERT … ON CONFLICT + GROUP BY",
        [*floor, "import", str(duck), str(csv_path), str(out), "--year", str(year)],
        out,
        env,
        remaining(),
    )
    d.update(wall=dm.wall, rss=dm.rss_mib)
    section["duck_import"] = d
    log(
        f"  stored {stored:,} dossiers (file: {count:,}); command's own figures: "
        f"{imp.get('seconds', float('nan')):.2f} s until committed ({imp.get('cells', 0):,} unit-month cells "
        f"counted), then VACUUM (ANALYZE) {imp.get('vacuum') or 0:.2f} s"
    )
    log(
        f"  DuckDB: load {d['load']:.2f} s + GROUP BY {d['derive']:.3f} s in-process ({d['rows']:,} rows); "
        f"wall {dm.wall:.2f} s → tiendo wall = {m.wall / dm.wall:.1f}× DuckDB wall"
    )
    if stored != count or d["rows"] != count:
        section["errors"].append(
            f"after the import: {stored:,} dossiers stored, DuckDB {d['rows']:,}, file {count:,}"
        )

    # b. full recompute ------------------------------------------------------------------------------
    log(
        f"\n{label} — full recompute of {year} (count the year's dossiers again, evaluate the plan's verdicts)"
    )
    section["step"] = "full recompute"
    out = tmp / f"derive-{kind}.json"
    r, _ = run_json(
        "dossiers_derive + indicator_rows (child)",
        [*child, "derive", str(out), "--year", str(year), "--plan", PLAN],
        out,
        env,
        remaining(),
    )
    section["recompute"] = r
    out = tmp / f"duck-derive-{kind}.json"
    dd, _ = run_json(
        "DuckDB: GROUP BY",
        [*floor, "derive", str(duck), str(out), "--year", str(year)],
        out,
        env,
        remaining(),
    )
    section["duck_recompute"] = dd
    for name in ("scratch", "current"):
        x = r[name]
        log(
            f"  {'from scratch' if name == 'scratch' else 'already current':<16} recount {x['derive']:.3f} s "
            f"({x['written']:,} unit-month cells) + evaluate {x['evaluate']:.3f} s = "
            f"{x['derive'] + x['evaluate']:.3f} s → {(x['derive'] + x['evaluate']) / dd['derive']:.0f}× DuckDB"
        )
    log(f"  from scratch, the ORM's bulk writes: {orm_text(r['scratch'].get('orm', {}))}")
    b = r["breakdown"]
    log(
        f"  breakdown (from scratch, queries timed): {b['seconds']:.3f} s, {b['queries']} queries, "
        f"SQL {b['sql_seconds']:.3f} s; slowest:"
    )
    for t, sql_text in b["top"]:
        log(f"    {t:.3f} s  {sql_text}")
    log(f"  DuckDB GROUP BY {dd['derive']:.3f} s ({dd['cells']:,} unit-months)")
    log(f"  verdicts {r['verdicts']}; I.1 = {r['i1']['value']} ({r['i1']['period']}, {r['i1']['verdict']})")
    ok, differ = sums_match(r["sums"], dd["sums"])
    section["sums_after_import"] = ok
    log(f"  year sums of the 10 derived elements equal DuckDB's: {'yes' if ok else 'NO — ' + differ}")
    if not ok:
        section["errors"].append(f"derived sums differ from DuckDB's after the import: {differ}")

    # c. drill-down ---------------------------------------------------------------------------------
    server = Server(tiendo, env, free_port(), args.workers, tmp / f"server-{kind}.log")
    section["server"] = server
    try:
        section["step"] = "server"
        log(f"\n{label} — server: {' '.join(server.cmd[1:])}")
        log(f"  up after {server.start(timeout=min(60, remaining())):.1f} s")
        indicator, path, is_api = find_indicator(server.base_url)
        section["indicator"], section["drill_path"], section["drill_api"] = indicator, path, is_api
        log(
            f"  I.1 of {PLAN} is indicator {indicator}; drill-down: GET {path} "
            f"({'API endpoint listed in /api/v1/openapi.json' if is_api else 'the HTML page: /api/v1/openapi.json lists no drill-down endpoint'})"
        )
        section["step"] = "drill-down"
        with httpx.Client(base_url=server.base_url, timeout=60) as client:
            first = client.get(path)
        section["drill_bytes"] = len(first.content)
        if first.status_code != 200:
            raise BenchError(f"GET {path} answered {first.status_code}: {first.text[:2000]}")
        for warm in ("/healthz", path):  # every worker imports its modules and fills its caches once
            load(server.base_url, warm, 8 * args.workers, 2 * args.workers, args.request_timeout, remaining)
        health = load(
            server.base_url, "/healthz", args.requests, args.clients, args.request_timeout, remaining
        )
        drill = load(server.base_url, path, args.requests, args.clients, args.request_timeout, remaining)
        section["health_httpx"], section["drill_httpx"] = health, drill
        if AB.exists():  # a load generator in C: the Python one takes most of a core of the two
            health = load_ab(server.base_url, "/healthz", args.requests, args.clients, remaining)
            drill = load_ab(server.base_url, path, args.requests, args.clients, remaining)
            log(
                f"  httpx (Python) as the load generator: healthz p95 {section['health_httpx']['p95']:.0f} ms, "
                f"drill-down {section['drill_httpx']['rps']:.0f} req/s, p95 {section['drill_httpx']['p95']:.0f} ms; "
                f"the figures below are ApacheBench's"
            )
        section["health"], section["drill"] = health, drill
        section["generator"] = "ab" if AB.exists() else "httpx"
        for name, s, p in (("healthz", health, "/healthz"), ("drill-down", drill, path)):
            log(
                f"  {args.requests:,} × GET {p}, {args.clients} clients: {s['ok']}/{s['n']} OK, "
                f"{s['rps']:.0f} req/s, p50 {s['p50']:.1f} ms, p95 {s['p95']:.1f} ms, p99 {s['p99']:.1f} ms, "
                f"max {s['max']:.1f} ms"
            )
            if s["ok"] != s["n"]:
                section["errors"].append(f"{name}: answers {s['statuses']}; e.g. {s['example_error']}")
                log(f"  {section['errors'][-1]}")
        log(
            f"  drill-down answer {section['drill_bytes']:,} bytes; p95 = {drill['p95'] / health['p95']:.1f}× healthz"
        )
        if health["p95"] > GOAL_P95_MS:
            log(
                f"  note: closed loop, {args.clients} clients on {os.cpu_count()} cores shared with the load "
                f"generator: latency is mostly queueing (≈ clients ÷ throughput); even /healthz has p95 "
                f"{health['p95']:.0f} ms here"
            )

        # d. incremental + freshness ------------------------------------------------------------------
        section["step"] = "incremental"
        inc_file = ctx["incremental"]
        log(
            f"\n{label} — incremental: {ctx['inc']['rows']:,} dossiers ({ctx['inc']['changed']:,} changed, "
            f"{ctx['inc']['new']:,} new) with the server up; freshness through GET /api/v1/indicators/{indicator}"
        )
        out = tmp / f"incremental-{kind}.json"
        inc, _ = run_json(
            "dossiers_import (child) + polling",
            [
                *child,
                "incremental",
                str(out),
                str(inc_file),
                "--year",
                str(year),
                "--plan",
                PLAN,
                "--base-url",
                server.base_url,
                "--indicator",
                str(indicator),
                "--second",
                str(ctx["incremental_second"]),
            ],
            out,
            env,
            remaining(),
        )
        section["incremental"] = inc
        out = tmp / f"duck-incremental-{kind}.json"
        di, _ = run_json(
            "DuckDB: upsert + GROUP BY touched units",
            [*floor, "incremental", str(duck), str(inc_file), str(out), "--year", str(year)],
            out,
            env,
            remaining(),
        )
        section["duck_incremental"] = di
        log(
            f"  dossiers_import: {inc['seconds']:.3f} s, upsert and counts ({inc['created']:,} new, "
            f"{inc['updated']:,} updated, {inc['unchanged']:,} unchanged; {inc['cells']:,} unit-month cells of "
            f"{inc['units']} units moved); verdicts on read: evaluate {inc['evaluate']:.3f} s"
        )
        log(f"  of which the ORM's bulk writes: {orm_text(inc.get('orm', {}))}")
        if inc.get("second"):
            second = inc["second"]
            log(
                f"  a following batch of the same shape: {second['seconds']:.3f} s ({second['created']:,} new, "
                f"{second['updated']:,} updated, {second['unchanged']:,} unchanged)"
            )
        log(
            f"  DuckDB: {di['seconds']:.3f} s (upsert {di['upsert']:.3f} s + GROUP BY {di['derive']:.3f} s, "
            f"{di['units']} units) → tiendo = {inc['seconds'] / di['seconds']:.0f}× DuckDB"
        )
        if inc["fresh"] is None:
            section["errors"].append(
                f"freshness: the API still showed {inc['old']} {inc['polls']} polls after the import "
                f"(answers {inc['poll_statuses']})"
            )
            log(f"  {section['errors'][-1]}")
        else:
            log(
                f"  freshness: {inc['fresh'] * 1000:.0f} ms after the import returned, GET /api/v1/indicators/"
                f"{indicator} showed I.1 = {inc['api_value']} (was {inc['old']}; {inc['polls']} poll(s) every "
                f"20 ms; one request {inc['one_request_ms']:.0f} ms); in-process value {inc['expected']} → "
                f"{'same' if inc['matches'] else 'DIFFERENT'}. {DHIS2}."
            )
            if not inc["matches"]:
                section["errors"].append(
                    f"the API showed I.1 = {inc['api_value']}, tiendo computes {inc['expected']}"
                )
        ok, differ = sums_match(inc["sums"], di["sums"])
        section["sums_after_incremental"] = ok
        expected_after = count + ctx["inc"]["new"]
        log(
            f"  after: {inc['after']:,} dossiers (expected {expected_after:,}; DuckDB {di['after']:,}); "
            f"year sums equal DuckDB's: {'yes' if ok else 'NO — ' + differ}"
        )
        if not ok:
            section["errors"].append(f"derived sums differ from DuckDB's after the incremental: {differ}")
        if inc["after"] != expected_after or di["after"] != expected_after:
            section["errors"].append(
                f"after the incremental: {inc['after']:,} dossiers, DuckDB {di['after']:,}, expected {expected_after:,}"
            )
        if inc["created"] != ctx["inc"]["new"] or inc["updated"] != ctx["inc"]["changed"]:
            section["errors"].append(
                f"the incremental import counted {inc['created']} new / {inc['updated']} updated, "
                f"the file has {ctx['inc']['new']} new / {ctx['inc']['changed']} changed"
            )
        section["step"] = "done"
        server_log = "\n".join(
            line
            for line in server.log_tail(20000).splitlines()
            if line.strip() and not line.startswith("tiendo: http")
        )
        if server_log:
            log("  server log (tail; anything at WARNING or above):\n" + server_log[-4000:])
    finally:
        server.stop()


# ---------------------------------------------------------------------------------------- report


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds * 1000:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"


def ratio(a: float | None, b: float | None) -> str:
    if not a or not b:
        return "—"
    return f"{a / b:.1f}×" if a / b < 100 else f"{a / b:,.0f}×"


def section_rows(s: dict, args, ctx: dict) -> list[str]:
    rows = []
    imp, di = s.get("import"), s.get("duck_import")
    if imp and di:
        rows.append(
            f"| import of {ctx['rows']:,} dossiers: `tiendo import-dossiers` (validation, upsert, counts) | "
            f"{fmt_s(imp['wall'])} wall (the import's own, until committed: {fmt_s(imp.get('seconds'))}; then "
            f"VACUUM (ANALYZE) {fmt_s(imp.get('vacuum'))}); peak RSS {imp['rss']:,.0f} MiB | INSERT … ON CONFLICT into a table with a "
            f"primary key {fmt_s(di['load'])} + GROUP BY {fmt_s(di['derive'])}; {fmt_s(di['wall'])} wall; peak RSS "
            f"{di['rss']:,.0f} MiB | {ratio(imp['wall'], di['wall'])} (wall) |"
        )
    r, dd = s.get("recompute"), s.get("duck_recompute")
    if r and dd:
        for name, what in (("scratch", "from scratch"), ("current", "with the counts in place")):
            x = r[name]
            total = x["derive"] + x["evaluate"]
            rows.append(
                f"| full recompute of {args.year}, {what}: `dossiers_derive(year=…)` + the plan's "
                f"{r['indicators']} verdicts | {fmt_s(total)} (recount {fmt_s(x['derive'])}, {x['written']:,} "
                f"unit-month cells; evaluate {fmt_s(x['evaluate'])}) | GROUP BY (unit, month) with the 10 counts into a "
                f"table: {fmt_s(dd['derive'])} | {ratio(total, dd['derive'])} |"
            )
    inc, dinc = s.get("incremental"), s.get("duck_incremental")
    if inc and dinc:
        rows.append(
            f"| incremental: {ctx['inc']['rows']:,} dossiers ({ctx['inc']['changed']:,} changed, "
            f"{ctx['inc']['new']:,} new), `dossiers_import` | {fmt_s(inc['seconds'])} (upsert and counts; "
            f"{inc['cells']:,} unit-month cells of {inc['units']} units moved); verdicts are computed on read: "
            f"{fmt_s(inc['evaluate'])}"
            + (
                f"; a following batch of the same shape: {fmt_s(inc['second']['seconds'])}"
                if inc.get("second")
                else ""
            )
            + " | upsert "
            f"{fmt_s(dinc['upsert'])} + GROUP BY of the {dinc['units']} touched units {fmt_s(dinc['derive'])} = "
            f"{fmt_s(dinc['seconds'])} | {ratio(inc['seconds'], dinc['seconds'])} |"
        )
    drill, health = s.get("drill"), s.get("health")
    if drill and health:
        rows.append(
            f"| drill-down of I.1 over its units, {drill['n']:,} × GET {s['drill_path']}"
            f"{'' if s['drill_api'] else ' (HTML page; no API endpoint yet)'}, {args.clients} clients "
            f"({'ApacheBench' if s.get('generator') == 'ab' else 'httpx'}, closed loop) | "
            f"{drill['rps']:.0f} req/s; p50 {drill['p50']:.0f} ms, p95 {drill['p95']:.0f} ms, p99 "
            f"{drill['p99']:.0f} ms ({drill['ok']}/{drill['n']} OK) | {health['n']:,} × GET /healthz: "
            f"{health['rps']:.0f} req/s; p50 {health['p50']:.0f} ms, p95 {health['p95']:.0f} ms, p99 "
            f"{health['p99']:.0f} ms | {ratio(drill['p95'], health['p95'])} (p95 ÷ healthz's) |"
        )
    if inc:
        fresh = (
            f"{fmt_s(inc['fresh'])} ({inc['polls']} poll(s) every 20 ms; one request "
            f"{inc['one_request_ms']:.0f} ms); I.1 {inc['old']:.2f} → {inc['api_value']:.2f}"
            if inc["fresh"] is not None and inc["old"] is not None and inc["api_value"] is not None
            else f"not seen within {60} s"
        )
        rows.append(
            f"| freshness: end of the incremental import → GET /api/v1/indicators/{s['indicator']} shows the "
            f"new value | {fresh} | {DHIS2} | — |"
        )
    checks = []
    if imp:
        checks.append(f"{imp['stored']:,} dossiers stored for {ctx['rows']:,} in the file")
    if "sums_after_import" in s:
        checks.append(f"year sums of the 10 elements = DuckDB's: {'yes' if s['sums_after_import'] else 'no'}")
    if inc:
        checks.append(
            f"after the incremental {inc['after']:,} dossiers, sums = DuckDB's: "
            f"{'yes' if s.get('sums_after_incremental') else 'no'}; API value = in-process value: "
            f"{'yes' if inc['matches'] else 'no'}"
        )
    if checks:
        rows.append(f"| checks | {'; '.join(checks)} | | |")
    return rows


def goals(s: dict, kind: str) -> list[tuple[str, bool | None, str]]:
    """(goal, met (None: not measured), the figure)."""
    out = []
    imp = s.get("import")
    if kind == "postgresql":
        out.append(
            (
                f"import ≤ {GOAL_IMPORT_S:.0f} s on PostgreSQL",
                imp["wall"] <= GOAL_IMPORT_S if imp else None,
                fmt_s(imp["wall"]) if imp else "not measured",
            )
        )
    else:
        out.append(
            (
                f"import ≤ {GOAL_IMPORT_S:.0f} s on PostgreSQL",
                None,
                f"{fmt_s(imp['wall'])} (the goal is PostgreSQL's)" if imp else "not measured",
            )
        )
    out.append(
        (
            f"import peak memory ≤ {GOAL_RSS_MIB / 1024:.0f} GB",
            imp["rss"] <= GOAL_RSS_MIB if imp else None,
            f"{imp['rss']:,.0f} MiB" if imp else "not measured",
        )
    )
    r = s.get("recompute")
    if r:
        total = r["scratch"]["derive"] + r["scratch"]["evaluate"]
        out.append(
            (
                f"full recompute ≤ {GOAL_RECOMPUTE_S:.0f} s (from scratch)",
                total <= GOAL_RECOMPUTE_S,
                fmt_s(total),
            )
        )
    else:
        out.append((f"full recompute ≤ {GOAL_RECOMPUTE_S:.0f} s (from scratch)", None, "not measured"))
    inc = s.get("incremental")
    out.append(
        (
            f"incremental {GOAL_INCREMENTAL:,} ≤ {GOAL_INCREMENTAL_S * 1000:.0f} ms (first batch after the load)",
            inc["seconds"] <= GOAL_INCREMENTAL_S if inc else None,
            fmt_s(inc["seconds"]) if inc else "not measured",
        )
    )
    second = inc.get("second") if inc else None
    out.append(
        (
            f"incremental {GOAL_INCREMENTAL:,} ≤ {GOAL_INCREMENTAL_S * 1000:.0f} ms (a following batch)",
            second["seconds"] <= GOAL_INCREMENTAL_S if second else None,
            fmt_s(second["seconds"]) if second else "not measured",
        )
    )
    drill = s.get("drill")
    out.append(
        (
            f"drill-down p95 ≤ {GOAL_P95_MS:.0f} ms, {GOAL_CLIENTS} clients",
            drill["p95"] <= GOAL_P95_MS if drill else None,
            f"p95 {drill['p95']:.0f} ms (GET /healthz under the same load: p95 {s['health']['p95']:.0f} ms)"
            if drill
            else "not measured",
        )
    )
    fresh = inc.get("fresh") if inc else None
    out.append(
        (
            f'freshness ≤ {GOAL_FRESH_S:.0f} s ("within a second")',
            (fresh is not None and fresh <= GOAL_FRESH_S) if inc else None,
            fmt_s(fresh) if fresh is not None else ("not seen" if inc else "not measured"),
        )
    )
    out.append(
        (
            "every dossier once, sums = DuckDB's, API = computed",
            not s["errors"] and s.get("step") == "done",
            "yes"
            if not s["errors"] and s.get("step") == "done"
            else "no: "
            + ("; ".join(e.splitlines()[0] for e in s["errors"])[:300] or f"stopped at {s.get('step')}"),
        )
    )
    return out


def verdict_text(met: bool | None, figure: str, at_size: bool) -> str:
    if met is None:
        return figure
    if figure == "yes" or figure.startswith("no: "):
        return figure
    return f"{'yes' if met else '**no**'}: {figure}" + ("" if at_size else " — smaller run")


# ---------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=GOAL_COUNT, help="dossiers in the generated file")
    parser.add_argument(
        "--databases", default="postgresql,sqlite", help="comma-separated: postgresql, sqlite"
    )
    parser.add_argument("--time-limit", type=int, default=2400, help="seconds for the whole run (40 min)")
    parser.add_argument(
        "--incremental", type=int, default=GOAL_INCREMENTAL, help="dossiers in the incremental file"
    )
    parser.add_argument("--requests", type=int, default=GOAL_REQUESTS)
    parser.add_argument("--clients", type=int, default=GOAL_CLIENTS)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--file", type=Path, help="the dossier file: reused when it exists, else generated there and kept"
    )
    parser.add_argument("--request-timeout", type=float, default=60.0)
    args = parser.parse_args()
    databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if not databases or any(d not in LABELS for d in databases) or len(set(databases)) != len(databases):
        parser.error("--databases: a comma-separated list of postgresql, sqlite")
    if min(args.count, args.incremental, args.requests, args.clients, args.workers) < 1:
        parser.error("sizes must be positive")

    started = time.perf_counter()
    deadline_at = started + args.time_limit
    signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(args.time_limit + 30)  # last resort; the steps themselves stop at the limit

    def remaining() -> float:
        left = deadline_at - time.perf_counter()
        if left <= 0:
            raise BenchTimeout("overall time limit reached")
        return left

    url, maintenance_url, db_name = db_urls(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    if "postgresql" in databases and "bench" not in db_name:
        raise SystemExit(f"refusing to drop database {db_name!r}: its name must contain 'bench'")
    tiendo = str(VENV_BIN / "tiendo") if (VENV_BIN / "tiendo").exists() else "tiendo"
    python = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable

    tmp = tempfile.TemporaryDirectory(prefix="tiendo-bench-dossiers-")
    tmp_path = Path(tmp.name)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith("TIENDO_") and k != "DATABASE_URL"}
    base_env.update(
        DJANGO_SETTINGS_MODULE="tiendo.settings",
        TIENDO_SECRET_KEY=secrets.token_urlsafe(50),
        TIENDO_DEBUG="false",
        TIENDO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    envs = {
        "postgresql": {**base_env, "DATABASE_URL": url, "TIENDO_DATA_DIR": str(tmp_path / "pg-data")},
        "sqlite": {**base_env, "TIENDO_DATA_DIR": str(tmp_path / "sqlite-data")},
    }
    targets = {"postgresql": url, "sqlite": str(tmp_path / "sqlite-data" / "tiendo.sqlite3")}
    sections: dict[str, dict] = {k: {"kind": k, "errors": [], "step": "set-up"} for k in databases}
    report: dict = {"load_start": loadavg()}
    command = (
        f".venv/bin/python bench/analytics_dossiers.py --count {args.count} --databases {','.join(databases)}"
        + (f" --incremental {args.incremental}" if args.incremental != GOAL_INCREMENTAL else "")
        + (f" --requests {args.requests}" if args.requests != GOAL_REQUESTS else "")
        + (f" --clients {args.clients}" if args.clients != GOAL_CLIENTS else "")
    )
    exit_code = 1
    try:
        log(f"tiendo analytics benchmark (dossiers) — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
        log(f"databases {', '.join(LABELS[d] for d in databases)}; work dir {tmp_path}")
        duck_version = ensure_duckdb(python, remaining())
        pg_version = "not measured"
        if "postgresql" in databases:
            try:
                pg_version = recreate_database(maintenance_url, db_name)
                log(f"PostgreSQL database {db_name} dropped and recreated")
            except Exception as exc:
                sections["postgresql"]["errors"].append(f"PostgreSQL unavailable: {exc}")
                log(f"PostgreSQL unavailable, skipped: {exc}")
        facts = machine_facts(pg_version)
        facts["SQLite"] = sqlite3.sqlite_version
        facts["DuckDB"] = duck_version
        facts["packages"] += f", duckdb {duck_version}"
        log("\nMachine")
        for key, value in facts.items():
            log(f"  {key:<11} {value}")
        log(f"  load avg    {report['load_start']} (1/5/15 min, at start)")

        for kind in databases:
            if sections[kind]["errors"]:
                continue
            try:
                setup_database(kind, tiendo, envs[kind], remaining)
                sections[kind]["ready"] = True
            except BenchError as exc:
                sections[kind]["errors"].append(f"set-up failed: {exc}")
                log(f"  FAILED: {exc}")
        ready = [k for k in ("sqlite", "postgresql") if sections.get(k, {}).get("ready")]
        if not ready:
            raise BenchError("no database could be set up")

        # the file, once ---------------------------------------------------------------------------
        csv_path = args.file.resolve() if args.file else tmp_path / f"dossiers-{args.year}-{args.count}.csv"
        log("\nThe dossier file")
        if csv_path.exists():
            log(f"  reusing {csv_path}")
            gen_seconds = None
        else:
            start = time.perf_counter()
            run_step(
                f"tiendo gen-dossiers ({LABELS[ready[0]]} units)",
                [
                    tiendo,
                    "gen-dossiers",
                    str(csv_path),
                    "--year",
                    str(args.year),
                    "--count",
                    str(args.count),
                    "--seed",
                    str(args.seed),
                ],
                envs[ready[0]],
                remaining(),
            )
            gen_seconds = time.perf_counter() - start
        with csv_path.open("rb") as handle:
            rows = sum(1 for _ in handle) - 1
        size_mb = csv_path.stat().st_size / 1e6
        if args.file and rows != args.count:
            log(f"  note: {csv_path} holds {rows:,} dossiers, not --count {args.count:,}")
        inc_path = tmp_path / f"incremental-{args.incremental}.csv"
        inc = make_incremental(csv_path, inc_path, args.incremental, rows, args.seed)
        second_path = tmp_path / f"incremental-{args.incremental}-second.csv"
        make_second_batch(inc_path, second_path)
        log(
            f"  {rows:,} dossiers, {size_mb:,.1f} MB"
            + (f", generated in {gen_seconds:.1f} s" if gen_seconds is not None else "")
            + f"; incremental file: {inc['rows']:,} ({inc['changed']:,} changed, {inc['new']:,} new)"
        )
        report.update(rows=rows, size_mb=size_mb, gen_seconds=gen_seconds)
        ctx = {
            "args": args,
            "envs": envs,
            "targets": targets,
            "tiendo": tiendo,
            "python": python,
            "tmp": tmp_path,
            "csv": csv_path,
            "incremental_second": second_path,
            "rows": rows,
            "incremental": inc_path,
            "inc": inc,
        }

        for kind in databases:
            section = sections[kind]
            if not section.get("ready"):
                continue
            try:
                measure_database(kind, ctx, section, remaining)
            except BenchError as exc:
                section["errors"].append(f"{section['step']}: {exc}")
                log(f"\n{LABELS[kind]} FAILED at {section['step']}: {exc}")
            except BenchTimeout:
                raise
            except Exception:
                text = traceback.format_exc()
                section["errors"].append(f"{section['step']}: {text.strip().splitlines()[-1]}\n{text}")
                log(
                    f"\n{LABELS[kind]} FAILED at {section['step']} with an exception:\n{traceback.format_exc()}"
                )
                server = section.get("server")
                if server is not None:
                    tail = server.log_tail(4000)
                    if tail:
                        log("Server log (tail):\n" + tail)

        # ----------------------------------------------------------------- goals and Markdown
        report["load_end"] = loadavg()
        at_size = rows == GOAL_COUNT
        total = time.perf_counter() - started
        log(
            "\nGoals"
            + (
                ""
                if at_size
                else f" (run of {rows:,} dossiers, not {GOAL_COUNT:,}: says nothing about the goals)"
            )
        )
        # which goals this run's sizes can speak to: import, memory, recompute, incremental, drill-down,
        # freshness, correctness (the last at any size)
        inc_at_size = inc["rows"] == GOAL_INCREMENTAL and inc["changed"] == inc["new"]
        load_at_size = args.requests == GOAL_REQUESTS and args.clients == GOAL_CLIENTS
        sized = [
            at_size,
            at_size,
            at_size,
            at_size and inc_at_size,
            at_size and inc_at_size,
            at_size and load_at_size,
            at_size,
            True,
        ]
        for kind in databases:
            for (name, met, figure), full in zip(goals(sections[kind], kind), sized, strict=True):
                verdict = {True: "MET", False: "NOT MET", None: "—"}[met]
                log(
                    f"  {LABELS[kind]:<10} {name:<52} {verdict:<8} {figure}{'' if full else ' (smaller run)'}"
                )
        log(f"  load avg at end {report['load_end']}; whole run {total:.0f} s")

        md = [f"#### {time.strftime('%Y-%m-%d')} — {rows:,} dossiers", "", f"`{command}`", ""]
        md += ["| machine | |", "| --- | --- |"]
        md += [f"| {key} | {value} |" for key, value in facts.items()]
        md.append(f"| load average (start → end) | {report['load_start']} → {report['load_end']} |")
        md.append(
            f"| data | `tiendo gen-dossiers --year {args.year} --count {args.count} --seed {args.seed}`: "
            f"{rows:,} simulated dossiers, {size_mb:,.{0 if size_mb >= 10 else 1}f} MB CSV |"
        )
        md.append(
            f"| server | `tiendo serve --workers {args.workers}` (uvicorn, ASGI); PostgreSQL, the load generator "
            f"and DuckDB on the same machine; DuckDB in a child process, on a file |"
        )
        for kind in databases:
            s = sections[kind]
            md += ["", f"##### {LABELS[kind]}", ""]
            body = section_rows(s, args, ctx)
            if body:
                md += [
                    "| measurement | tiendo | baseline in the same run (DuckDB unless said) | ratio |",
                    "| --- | --- | --- | --- |",
                    *body,
                ]
            r = s.get("recompute")
            if r:
                b = r["breakdown"]
                slowest = b["top"][0] if b["top"] else (0, "")
                md += [
                    "",
                    f"Where the recompute's time goes (from scratch, queries timed): {fmt_s(b['seconds'])}, "
                    f"{b['queries']} queries, {fmt_s(b['sql_seconds'])} in SQL; the slowest "
                    f"({fmt_s(slowest[0])}): `{slowest[1][:160]}`. The ORM's bulk writes in the timed run: "
                    f"{orm_text(r['scratch'].get('orm', {}))}.",
                ]
            inc = s.get("incremental")
            if inc:
                md += [
                    "",
                    f"The incremental: {fmt_s(inc['seconds'])} for the upsert and the counts' upkeep "
                    f"({inc['cells']:,} unit-month cells of {inc['units']} units moved; nothing else is written, "
                    f"the derived values are read from the counts); the ORM's bulk writes: "
                    f"{orm_text(inc.get('orm', {}))}.",
                ]
            if s["errors"]:
                md += [
                    "",
                    f"Errors: {' / '.join(e.splitlines()[0] for e in s['errors'])}",
                ]
        md += [
            "",
            "| goal | " + " | ".join(LABELS[k] for k in databases) + " |",
            "| --- |" + " --- |" * len(databases),
        ]
        table = {kind: goals(sections[kind], kind) for kind in databases}
        for index, (name, _met, _fig) in enumerate(table[databases[0]]):
            cells = []
            for kind in databases:
                _n, met, figure = table[kind][index]
                cells.append(verdict_text(met, figure, sized[index]))
            md.append(f"| {name} | " + " | ".join(cells) + " |")
        log("\nMarkdown for docs/benchmarks.md:\n")
        log("<!-- bench/analytics_dossiers.py -->")
        log("\n".join(md))
        log("<!-- /bench/analytics_dossiers.py -->")
        exit_code = (
            0
            if all(not sections[k]["errors"] and sections[k].get("step") == "done" for k in databases)
            else 1
        )
    except BenchTimeout as exc:
        log(f"\nSTOPPED: {exc} ({args.time_limit} s)")
        exit_code = 2
    except BenchError as exc:
        log(f"\nFAILED: {exc}")
        exit_code = 1
    except Exception:
        log("\nFAILED with an exception:\n" + traceback.format_exc())
        exit_code = 1
    finally:
        signal.alarm(0)
        for section in sections.values():
            server = section.get("server")
            if server is not None:
                server.stop()
        tmp.cleanup()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
