"""The reporting deadline, played against the ASGI server on PostgreSQL, through the API.

    .venv/bin/python bench/reporting_deadline.py [--submissions 1000] [--clients 50] [--values 100000]

What it does, in one run (each run starts from an empty database):

1. drops and recreates the PostgreSQL database `BENCH_DATABASE_URL`
   (default postgres://postgres@127.0.0.1:5432/tiendo_bench; its name must contain "bench");
   `tiendo migrate`, `load-units --province 51`, `load-plan` (2025, then 2026); creates the bench
   agencies (group `bench-agencies`, 30 agencies), one reporter + token per unit (96 communes +
   30 agencies) and a superuser token (bench/_fixtures.py); `tiendo load-forms bench/data/bench-forms.yaml`.
2. starts `tiendo serve --workers 2` on a free port and waits for /healthz.
3. baseline: as many GET /healthz as there are submissions, by the same number of concurrent clients.
4. the deadline: N submissions (unit × month 2026-01…, 20 values each, `completeDate` set, so each
   one is imported *and* submitted, rule BENCH-R1 evaluated) POSTed to /api/dataValueSets with the
   unit's own `ApiToken`, by C concurrent clients. Every answer must be 200 with imported == 20;
   the database must then hold exactly the values sent, once each, and N submitted reports.
5. bulk import: V values (units × months 2023-01…2025-12, then 2022…) in one POST to
   /api/dataValueSets as the superuser (several POSTs if one would exceed Django's 2.5 MiB request-body
   limit, or --bulk-chunks N); the database must hold them all.
   Baseline: a plain COPY of the same V rows into a fresh table with a primary key, same database.
6. prints the machine, every measurement, its baseline, the goals and whether each was met, and a
   Markdown block for docs/benchmarks.md. The server is stopped at the end, also on error.

Options: --bulk-chunks N (see step 5), --workers 2 (uvicorn workers), --rate R (open loop: R requests/s,
at most --clients in flight, latency counted from when each request was due; default closed loop),
--time-limit 900 (seconds for the whole run), --request-timeout 60. BENCH_DATABASE_URL as above.
Exit status: 0 when every value was accepted and stored exactly once, 1 otherwise, 2 on the time limit.

Goals (the issue): 1,000 submissions × 20 values by 50 clients all accepted, none lost, p95 < 250 ms;
a 100,000-value import under 10 s. Only the full-size run says anything about the goals.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import importlib.metadata
import json
import math
import os
import platform
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

import httpx
import psycopg
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
VENV_BIN = ROOT / ".venv" / "bin"
FORMS_FILE = BENCH / "data" / "bench-forms.yaml"
PLANS = [
    ROOT / "src" / "tiendo" / "plans" / "data" / "quang-ngai-2025.yaml",
    ROOT / "src" / "tiendo" / "plans" / "data" / "quang-ngai-2026.yaml",
]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench"
DATASET = "BENCH-M"
ELEMENTS = [f"BENCH_{i:02d}" for i in range(1, 21)]
AGENCIES = 30
COMMUNES_EXPECTED = 96

GOAL_SUBMISSIONS, GOAL_CLIENTS, GOAL_P95_MS = 1000, 50, 250.0
GOAL_VALUES, GOAL_IMPORT_S = 100_000, 10.0
DJANGO_UPLOAD_LIMIT = 2_621_440  # Django's default DATA_UPLOAD_MAX_MEMORY_SIZE; tiendo's settings keep it


class BenchError(Exception):
    pass


class BenchTimeout(BaseException):  # BaseException: not swallowed by `except Exception` on the way out
    pass


def _alarm(_signum, _frame):
    raise BenchTimeout("overall time limit reached")


def log(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------- machine


def machine_facts(pg_version: str) -> dict[str, str]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                break
    except OSError:
        pass
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()

    def version(name: str) -> str:
        try:
            return importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            return "?"

    return {
        "CPU": cpu,
        "cores": f"{os.cpu_count()} (usable by this process: {usable})",
        "RAM": ram,
        "OS": platform.platform(),
        "Python": f"{platform.python_implementation()} {platform.python_version()}",
        "PostgreSQL": pg_version,
        "packages": ", ".join(
            f"{n} {version(n)}" for n in ("Django", "django-ninja", "uvicorn", "psycopg", "httpx")
        ),
    }


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


# ---------------------------------------------------------------------------------------- database


def db_urls(url: str) -> tuple[str, str, str]:
    """(bench url, maintenance url on database `postgres`, bench database name)."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise BenchError(f"BENCH_DATABASE_URL must be a postgres:// URL, got {url!r}")
    name = parts.path.lstrip("/")
    if not name:
        raise BenchError("BENCH_DATABASE_URL names no database")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    return url, maintenance, name


def recreate_database(maintenance_url: str, name: str) -> str:
    with psycopg.connect(maintenance_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return conn.execute("SELECT version()").fetchone()[0]


def connect(url: str) -> psycopg.Connection:
    conn = psycopg.connect(url, connect_timeout=10)
    conn.execute("SET statement_timeout = '120s'")
    conn.commit()
    return conn


# ---------------------------------------------------------------------------------------- set-up


def run_step(label: str, cmd: list[str], env: dict[str, str], timeout: float) -> str:
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=max(timeout, 1))
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"{label}: no answer within {timeout:.0f} s") from exc
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise BenchError(
            f"{label} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}"
        )
    last = (proc.stdout.strip().splitlines() or proc.stderr.strip().splitlines() or [""])[-1]
    log(f"  {label:<42} {took:6.1f} s  {last[:90]}")
    return proc.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, tiendo: str, env: dict[str, str], port: int, workers: int, log_path: Path):
        self.cmd = [tiendo, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
        self.env, self.port, self.log_path = env, port, log_path
        self.proc: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{port}"

    def start(self, timeout: float = 60) -> float:
        self.log_handle = open(self.log_path, "wb")
        start = time.perf_counter()
        # own session: stop() signals the server's process group (uvicorn's supervisor and its workers)
        self.proc = subprocess.Popen(
            self.cmd,
            cwd=ROOT,
            env=self.env,
            stdout=self.log_handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        while time.perf_counter() - start < timeout:
            if self.proc.poll() is not None:
                raise BenchError(f"the server exited ({self.proc.returncode}):\n{self.log_tail()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=2).status_code == 200:
                    return time.perf_counter() - start
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise BenchError(f"/healthz did not answer within {timeout:.0f} s:\n{self.log_tail()}")

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.proc.wait(timeout=5)
        else:  # the supervisor is gone; make sure no worker of its group is left
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self.log_handle.close()
        self.proc = None

    def log_tail(self, chars: int = 6000) -> str:
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return ""
        return text[-chars:]


# ---------------------------------------------------------------------------------------- load


@dataclass
class Job:
    key: tuple
    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | None = None


@dataclass
class Result:
    job: Job
    status: int | None
    seconds: float
    body: object = None
    error: str = ""


async def run_load(
    base_url: str, jobs: list[Job], clients: int, timeout: float, limit: float, rate: float | None = None
):
    """Send `jobs` through `clients` concurrent connections.

    Closed loop (rate None): each client sends its next request as soon as its previous answer
    arrives. Open loop (rate R): job i is due at start + i/R; a latency is counted from the moment
    the request was due, so a client that falls behind shows up in the latencies (no coordinated omission).
    """
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    results: list[Result] = []
    pending = iter(enumerate(jobs))
    start = 0.0

    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=timeout) as client:

        async def worker() -> None:
            for index, job in pending:  # one shared iterator: each job is taken by exactly one client
                begin = time.perf_counter()
                if rate:
                    due = start + index / rate
                    if due > begin:
                        await asyncio.sleep(due - begin)
                    begin = due
                try:
                    response = await client.request(
                        job.method, job.url, headers=job.headers, content=job.body
                    )
                    elapsed = time.perf_counter() - begin
                    try:
                        body: object = response.json()
                    except ValueError:
                        body = response.text[:2000]
                    results.append(Result(job, response.status_code, elapsed, body))
                except httpx.HTTPError as exc:
                    results.append(Result(job, None, time.perf_counter() - begin, error=repr(exc)))

        start = time.perf_counter()
        try:
            await asyncio.wait_for(asyncio.gather(*(worker() for _ in range(clients))), timeout=limit)
        except TimeoutError:
            raise BenchTimeout(
                f"overall time limit reached ({len(results)}/{len(jobs)} requests answered)"
            ) from None
        wall = time.perf_counter() - start
    return results, wall


def pct(sorted_values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not sorted_values:
        return float("nan")
    rank = max(1, math.ceil(p / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def latency_stats(results: list[Result], wall: float) -> dict[str, float]:
    ms = sorted(r.seconds * 1000 for r in results)
    return {
        "n": len(results),
        "wall": wall,
        "rps": len(results) / wall if wall else float("nan"),
        "mean": sum(ms) / len(ms) if ms else float("nan"),
        "p50": pct(ms, 50),
        "p95": pct(ms, 95),
        "p99": pct(ms, 99),
        "max": ms[-1] if ms else float("nan"),
    }


# ---------------------------------------------------------------------------------------- data


def months(start_year: int, end_year: int, end_month: int = 12) -> list[str]:
    return [
        f"{y}{m:02d}"
        for y in range(start_year, end_year + 1)
        for m in range(1, 13)
        if (y, m) <= (end_year, end_month)
    ]


def deadline_value(unit_index: int, element_index: int, month_index: int) -> int:
    # 100…149: never more than 3× the month before (that would be a warning that blocks submission)
    return 100 + (unit_index * 7 + element_index * 13 + month_index * 3) % 50


def deadline_jobs(units: list[dict], count: int, today: date):
    per_month = len(units)
    needed = math.ceil(count / per_month)
    periods = [f"2026{m:02d}" for m in range(1, needed + 1)]
    if needed > 12 or date(2026, needed, 1) > today:
        raise BenchError(
            f"{count} submissions need {needed} months of 2026 with {per_month} units; "
            f"only months that have started can be reported"
        )
    jobs, expected = [], {}
    for month_index, period in enumerate(periods):  # the whole province reports month 1, then month 2 …
        for unit_index, unit in enumerate(units):
            if len(jobs) == count:
                break
            values = []
            for element_index, code in enumerate(ELEMENTS):
                value = deadline_value(unit_index, element_index, month_index)
                values.append({"dataElement": code, "value": str(value)})
                expected[(code, unit["code"], period)] = Decimal(value)
            payload = {
                "dataSet": DATASET,
                "period": period,
                "orgUnit": unit["code"],
                "completeDate": "2026-09-01",
                "dataValues": values,
            }
            jobs.append(
                Job(
                    key=(unit["code"], period),
                    method="POST",
                    url="/api/dataValueSets",
                    headers={
                        "Authorization": f"ApiToken {unit['token']}",
                        "Content-Type": "application/json",
                    },
                    body=json.dumps(payload).encode(),
                )
            )
    return jobs, expected, sorted({k[2] for k in expected})


def bulk_rows(units: list[dict], count: int) -> list[tuple[str, str, str, int]]:
    periods = months(2023, 2025)
    year = 2022
    while len(periods) * len(units) * len(ELEMENTS) < count:
        if year < 2000:
            raise BenchError(f"cannot place {count} values")
        periods += months(year, year)
        year -= 1
    rows = []
    for period in periods:
        for unit in units:
            for code in ELEMENTS:
                if len(rows) == count:
                    return rows
                rows.append((code, unit["code"], period, (len(rows) * 7919) % 100_000))
    return rows


# ---------------------------------------------------------------------------------------- checks


def bulk_bodies(rows: list[tuple], count: int) -> list[bytes]:
    chunk = math.ceil(len(rows) / count)
    return [
        json.dumps(
            {
                "dataSet": DATASET,
                "dataValues": [
                    {"dataElement": e, "orgUnit": u, "period": p, "value": str(v)}
                    for e, u, p, v in rows[start : start + chunk]
                ],
            }
        ).encode()
        for start in range(0, len(rows), chunk)
    ]


def check_deadline(url: str, expected: dict, periods: list[str], submissions: int) -> dict:
    with connect(url) as conn:
        rows = conn.execute(
            """
            SELECT de.code, u.code, dv.period, dv.value
            FROM reporting_datavalue dv
            JOIN reporting_dataelement de ON de.id = dv.data_element_id
            JOIN orgunits_orgunit u ON u.id = dv.unit_id
            WHERE de.code LIKE 'BENCH\\_%%' AND dv.period = ANY(%s)
            """,
            (periods,),
        ).fetchall()
        statuses = dict(
            conn.execute(
                """
                SELECT s.status, count(*) FROM reporting_submission s
                JOIN reporting_dataset d ON d.id = s.dataset_id
                WHERE d.code = %s AND s.period = ANY(%s) GROUP BY s.status
                """,
                (DATASET, periods),
            ).fetchall()
        )
        duplicates = conn.execute(
            """
            SELECT count(*) FROM (
              SELECT 1 FROM reporting_datavalue dv JOIN reporting_dataelement de ON de.id = dv.data_element_id
              WHERE de.code LIKE 'BENCH\\_%%'
              GROUP BY dv.data_element_id, dv.unit_id, dv.period HAVING count(*) > 1) d
            """
        ).fetchone()[0]
    found: dict = {}
    repeated = 0
    for code, unit, period, value in rows:
        key = (code, unit, period)
        repeated += key in found
        found[key] = value
    missing = [k for k in expected if k not in found]
    unexpected = [k for k in found if k not in expected]
    wrong = [k for k in expected if k in found and found[k] != expected[k]]
    ok = (
        len(rows) == len(expected)
        and not missing
        and not unexpected
        and not wrong
        and not repeated
        and duplicates == 0
        and statuses.get("submitted", 0) == submissions
        and sum(statuses.values()) == submissions
    )
    return {
        "rows": len(rows),
        "expected": len(expected),
        "missing": len(missing),
        "unexpected": len(unexpected),
        "wrong": len(wrong),
        "duplicates": duplicates + repeated,
        "statuses": statuses,
        "examples": (missing + unexpected + wrong)[:5],
        "ok": ok,
    }


def check_bulk(url: str, rows: list[tuple]) -> dict:
    periods = sorted({r[2] for r in rows})
    with connect(url) as conn:
        found = conn.execute(
            """
            SELECT count(*), count(DISTINCT (dv.data_element_id, dv.unit_id, dv.period)),
                   coalesce(sum(dv.value), 0)
            FROM reporting_datavalue dv JOIN reporting_dataelement de ON de.id = dv.data_element_id
            WHERE de.code LIKE 'BENCH\\_%%' AND dv.period = ANY(%s)
            """,
            (periods,),
        ).fetchone()
    expected_sum = sum(r[3] for r in rows)
    return {
        "rows": found[0],
        "distinct": found[1],
        "sum_ok": Decimal(found[2]) == Decimal(expected_sum),
        "ok": found[0] == len(rows) and found[1] == len(rows) and Decimal(found[2]) == Decimal(expected_sum),
    }


def copy_baseline(url: str, rows: list[tuple]) -> tuple[float, int]:
    with connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_copy_baseline")
        conn.execute(
            """CREATE TABLE bench_copy_baseline (
                 element text NOT NULL, unit text NOT NULL, period text NOT NULL, value numeric(20, 6),
                 PRIMARY KEY (element, unit, period))"""
        )
        conn.commit()
        start = time.perf_counter()
        with conn.cursor() as cur:
            with cur.copy("COPY bench_copy_baseline (element, unit, period, value) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        conn.commit()
        took = time.perf_counter() - start
        count = conn.execute("SELECT count(*) FROM bench_copy_baseline").fetchone()[0]
        conn.execute("DROP TABLE bench_copy_baseline")
        conn.commit()
    return took, count


# ---------------------------------------------------------------------------------------- main


def summarise_failures(results: list[Result], accepted) -> list[str]:
    lines = []
    statuses = collections.Counter(
        r.status if r.status is not None else r.error.split("(")[0] for r in results
    )
    lines.append(f"answers: {dict(statuses)}")
    bad = [r for r in results if not accepted(r)]
    for r in bad[:3]:
        body = json.dumps(r.body, ensure_ascii=False)[:800] if r.body is not None else r.error
        lines.append(f"  {r.job.key}: {r.status} {body}")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=GOAL_SUBMISSIONS)
    parser.add_argument("--clients", type=int, default=GOAL_CLIENTS)
    parser.add_argument("--values", type=int, default=GOAL_VALUES, help="values in the bulk import")
    parser.add_argument(
        "--bulk-chunks",
        type=int,
        default=0,
        help="send the bulk import as this many POSTs; 0 (default): one POST if its body fits Django's "
        "DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MiB, tiendo keeps the default), else the fewest that fit",
    )
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--time-limit", type=int, default=900, help="seconds for the whole run")
    parser.add_argument("--request-timeout", type=float, default=60.0)
    parser.add_argument(
        "--rate",
        type=float,
        default=None,
        help="open loop: send R requests per second (at most --clients at once) instead of each "
        "client sending its next request as soon as its answer arrives (the default, closed loop)",
    )
    args = parser.parse_args()
    if (
        args.submissions < 1
        or args.clients < 1
        or args.values < 1
        or args.bulk_chunks < 0
        or (args.rate is not None and args.rate <= 0)
    ):
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
    if "bench" not in db_name:
        raise SystemExit(f"refusing to drop database {db_name!r}: its name must contain 'bench'")
    tiendo = str(VENV_BIN / "tiendo") if (VENV_BIN / "tiendo").exists() else "tiendo"
    python = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()

    tmp = tempfile.TemporaryDirectory(prefix="tiendo-bench-")
    tmp_path = Path(tmp.name)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIENDO_")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="tiendo.settings",
        TIENDO_DATA_DIR=str(tmp_path / "data"),
        TIENDO_SECRET_KEY=secrets.token_urlsafe(50),
        TIENDO_DEBUG="false",
        TIENDO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    server = Server(tiendo, env, free_port(), args.workers, tmp_path / "server.log")
    report: dict = {"args": vars(args), "load_start": loadavg()}
    failures: list[str] = []
    notes: list[str] = []
    exit_code = 1
    try:
        log(f"tiendo reporting-deadline benchmark — {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
        log(f"database {db_name} (dropped and recreated), data dir {tmp_path}")
        pg_version = recreate_database(maintenance_url, db_name)
        facts = machine_facts(pg_version)
        report["facts"] = facts
        log("\nMachine")
        for key, value in facts.items():
            log(f"  {key:<11} {value}")
        log(f"  load avg    {report['load_start']} (1/5/15 min, at start)")

        log("\nSet-up")
        setup_start = time.perf_counter()
        run_step("tiendo migrate", [tiendo, "migrate", "--no-input"], env, remaining())
        run_step(
            "tiendo load-units --province 51", [tiendo, "load-units", "--province", "51"], env, remaining()
        )
        for plan in PLANS:
            run_step(f"tiendo load-plan {plan.name}", [tiendo, "load-plan", str(plan)], env, remaining())
        fixtures_path = tmp_path / "fixtures.json"
        run_step(
            "bench/_fixtures.py (agencies, users, tokens)",
            [python, str(BENCH / "_fixtures.py"), str(fixtures_path), "--agencies", str(AGENCIES)],
            env,
            remaining(),
        )
        run_step(
            f"tiendo load-forms {FORMS_FILE.name}", [tiendo, "load-forms", str(FORMS_FILE)], env, remaining()
        )
        fixtures = json.loads(fixtures_path.read_text())
        units = fixtures["units"]
        with connect(url) as conn:
            assigned = conn.execute(
                """SELECT count(*) FROM reporting_dataset_units du
                   JOIN reporting_dataset d ON d.id = du.dataset_id WHERE d.code = %s""",
                (DATASET,),
            ).fetchone()[0]
        if (
            fixtures["communes"] != COMMUNES_EXPECTED
            or fixtures["agencies"] != AGENCIES
            or assigned != len(units)
        ):
            raise BenchError(
                f"expected {COMMUNES_EXPECTED} communes + {AGENCIES} agencies assigned to {DATASET}; "
                f"got {fixtures['communes']} + {fixtures['agencies']}, {assigned} assigned"
            )
        log(
            f"  {'set-up total':<42} {time.perf_counter() - setup_start:6.1f} s  "
            f"{fixtures['communes']} communes + {fixtures['agencies']} agencies "
            f"({fixtures['extra_agencies']} BENCHAG…) report {DATASET}"
        )

        jobs, expected, periods = deadline_jobs(units, args.submissions, today)
        rows = bulk_rows(units, args.values)

        log(f"\nServer: {' '.join(server.cmd[1:])}")
        log(f"  up after {server.start(timeout=min(60, remaining())):.1f} s")

        # warm-up, not measured: every worker imports its modules and opens the paths once
        asyncio.run(
            run_load(
                server.base_url,
                [Job(("warm", i), "GET", "/healthz") for i in range(4 * args.workers)],
                args.workers * 2,
                args.request_timeout,
                remaining(),
            )
        )

        mode = (
            f"open loop at {args.rate:g} req/s, at most {args.clients} at once"
            if args.rate
            else f"closed loop, {args.clients} concurrent clients"
        )
        report["mode"] = mode
        log(f"\nBaseline: {len(jobs)} × GET /healthz, {mode}")
        health_jobs = [Job(("healthz", i), "GET", "/healthz") for i in range(len(jobs))]
        health_results, health_wall = asyncio.run(
            run_load(server.base_url, health_jobs, args.clients, args.request_timeout, remaining(), args.rate)
        )
        health = latency_stats(health_results, health_wall)
        health_ok = sum(1 for r in health_results if r.status == 200)
        report["health"] = health
        log(
            f"  {health_ok}/{len(health_jobs)} answered 200 in {health_wall:.2f} s: {health['rps']:.0f} req/s, "
            f"p50 {health['p50']:.1f} ms, p95 {health['p95']:.1f} ms, p99 {health['p99']:.1f} ms, max {health['max']:.1f} ms"
        )
        if health_ok != len(health_jobs):
            failures += summarise_failures(health_results, lambda r: r.status == 200)

        log(
            f"\nDeadline: {len(jobs)} submissions × {len(ELEMENTS)} values "
            f"({len(units)} units × {len(periods)} month{'s' if len(periods) > 1 else ''} {periods[0]}…{periods[-1]}), "
            f"{args.clients} concurrent clients, POST /api/dataValueSets with completeDate"
        )
        results, wall = asyncio.run(
            run_load(server.base_url, jobs, args.clients, args.request_timeout, remaining(), args.rate)
        )

        def accepted(r: Result) -> bool:
            return (
                r.status == 200
                and isinstance(r.body, dict)
                and r.body.get("response", {}).get("importCount", {}).get("imported") == len(ELEMENTS)
                and not r.body.get("response", {}).get("conflicts")
            )

        ok_count = sum(1 for r in results if accepted(r))
        stats = latency_stats(results, wall)
        stats["accepted"] = ok_count
        stats["values_per_s"] = ok_count * len(ELEMENTS) / wall if wall else float("nan")
        report["deadline"] = stats
        log(f"  accepted (200, imported == {len(ELEMENTS)}): {ok_count}/{len(jobs)} in {wall:.2f} s")
        log(f"  throughput  {stats['rps']:.1f} req/s, {stats['values_per_s']:.0f} values/s")
        log(
            f"  latency     p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms, p99 {stats['p99']:.0f} ms, "
            f"max {stats['max']:.0f} ms, mean {stats['mean']:.0f} ms"
        )
        if ok_count != len(jobs):
            failures += summarise_failures(results, accepted)
            for line in failures:
                log(f"  {line}")
        check = check_deadline(url, expected, periods, len(jobs))
        report["deadline_check"] = check
        log(
            f"  count check {check['rows']} values in the database for {check['expected']} sent: "
            f"missing {check['missing']}, unexpected {check['unexpected']}, wrong value {check['wrong']}, "
            f"duplicated {check['duplicates']}; submissions {check['statuses']} "
            f"→ {'OK' if check['ok'] else 'FAILED'}"
        )
        if check["examples"]:
            log(f"  e.g. {check['examples']}")

        bodies = bulk_bodies(rows, args.bulk_chunks or 1)
        whole = sum(len(b) for b in bodies)
        if not args.bulk_chunks and whole > DJANGO_UPLOAD_LIMIT:
            count = math.ceil(whole / DJANGO_UPLOAD_LIMIT)
            bodies = bulk_bodies(rows, count)
            while max(map(len, bodies)) > DJANGO_UPLOAD_LIMIT:
                count += 1
                bodies = bulk_bodies(rows, count)
            notes.append(
                f"one POST of {len(rows):,} values would be {whole / 2**20:.1f} MiB, over Django's "
                f"DATA_UPLOAD_MAX_MEMORY_SIZE ({DJANGO_UPLOAD_LIMIT / 2**20:.1f} MiB; tiendo does not set it), "
                f"which tiendo answers with an HTML 400 Bad Request: sent as {count} POSTs instead "
                f"(--bulk-chunks 1 forces one)"
            )
            log(f"\nNote: {notes[-1]}")
        log(
            f"\nBulk import: {len(rows):,} values ({len(rows) // len(ELEMENTS):,} unit-months, "
            f"{min(r[2] for r in rows)}…{max(r[2] for r in rows)}) as {len(bodies)} POST{'s' if len(bodies) > 1 else ''} /api/dataValueSets "
            f"({sum(len(b) for b in bodies) / 1e6:.1f} MB JSON), superuser ApiToken"
        )
        headers = {"Authorization": f"ApiToken {fixtures['admin_token']}", "Content-Type": "application/json"}
        bulk_answers = []
        bulk_start = time.perf_counter()
        with httpx.Client(base_url=server.base_url, timeout=min(600, remaining())) as client:
            for body in bodies:
                try:
                    response = client.post(
                        "/api/dataValueSets", content=body, headers=headers, timeout=min(600, remaining())
                    )
                except httpx.TimeoutException:
                    raise BenchTimeout(
                        f"the bulk import did not answer within the time left "
                        f"({time.perf_counter() - bulk_start:.0f} s)"
                    ) from None
                bulk_answers.append(response)
        bulk_wall = time.perf_counter() - bulk_start
        imported = 0
        for response in bulk_answers:
            try:
                answer = response.json()
                imported += answer["response"]["importCount"]["imported"]
            except (ValueError, KeyError, TypeError):
                answer = response.text[:2000]
            if response.status_code != 200:
                failures.append(
                    f"bulk import answered {response.status_code}: "
                    f"{json.dumps(answer, ensure_ascii=False)[:1500]}"
                )
                log(f"  {failures[-1]}")
        bulk_check = check_bulk(url, rows)
        bulk_ok = (
            bulk_check["ok"] and imported == len(rows) and all(r.status_code == 200 for r in bulk_answers)
        )
        bulk_result = (
            f"{bulk_wall:.2f} s ({len(rows) / bulk_wall:,.0f} values/s), all stored"
            if bulk_ok
            else f"FAILED: HTTP {[r.status_code for r in bulk_answers]}, {imported:,} imported, "
            f"{bulk_check['rows']:,} stored for {len(rows):,} sent"
        )
        log(
            f"  HTTP wall time {bulk_wall:.2f} s ({len(rows) / bulk_wall:,.0f} values/s); imported {imported:,}; "
            f"database holds {bulk_check['rows']:,} ({bulk_check['distinct']:,} distinct, sum "
            f"{'matches' if bulk_check['sum_ok'] else 'DIFFERS'}) → {'OK' if bulk_check['ok'] else 'FAILED'}"
        )
        copy_seconds, copy_count = copy_baseline(url, rows)
        log(
            f"  baseline: COPY of the same {len(rows):,} rows into a fresh table with a primary key: "
            f"{copy_seconds:.2f} s ({copy_count:,} rows) → the import takes {bulk_wall / copy_seconds:.1f}× COPY"
        )
        report["bulk"] = {
            "values": len(rows),
            "requests": len(bodies),
            "wall": bulk_wall,
            "imported": imported,
            "check": bulk_check,
            "copy": copy_seconds,
            "copy_count": copy_count,
            "ok": bulk_ok,
        }

        server_log = "\n".join(
            line
            for line in server.log_tail(20000).splitlines()
            if line.strip() and not line.startswith("tiendo: http")
        )
        if server_log:
            log("\nServer log (tail; anything logged at WARNING or above):\n" + server_log[-6000:])

        # ----------------------------------------------------------------- goals and Markdown
        full = args.submissions == GOAL_SUBMISSIONS and args.clients == GOAL_CLIENTS and not args.rate
        full_bulk = args.values == GOAL_VALUES
        goals = [
            (
                f"all {len(jobs):,} submissions accepted, every value once",
                ok_count == len(jobs) and check["ok"],
                f"{ok_count}/{len(jobs)} accepted; {check['rows']:,}/{check['expected']:,} values, "
                f"{check['duplicates']} duplicated, {check['statuses'].get('submitted', 0)} submitted",
                True,
            ),
            (
                f"p95 < {GOAL_P95_MS:.0f} ms",
                stats["p95"] < GOAL_P95_MS,
                f"p95 {stats['p95']:.0f} ms",
                full,
            ),
            (
                f"{GOAL_VALUES:,}-value import < {GOAL_IMPORT_S:.0f} s",
                report["bulk"]["ok"] and bulk_wall < GOAL_IMPORT_S,
                bulk_result if not bulk_ok else f"{len(rows):,} values in {bulk_wall:.2f} s",
                full_bulk,
            ),
        ]
        report["load_end"] = loadavg()
        total = time.perf_counter() - started
        log("\nGoals")
        for name, met, measured, at_size in goals:
            verdict = "MET" if met else "NOT MET"
            if not at_size:
                verdict += " (run smaller than the goal's size: says nothing about the goal)"
            log(f"  {name:<48} {verdict:<8}  {measured}")
        log(f"  load avg at end {report['load_end']}; whole run {total:.0f} s")

        md = []
        md.append(f"### Reporting deadline — {time.strftime('%Y-%m-%d')}")
        md.append("")
        md.append(
            f"`.venv/bin/python bench/reporting_deadline.py --submissions {args.submissions} "
            f"--clients {args.clients} --values {args.values}"
            + (f" --bulk-chunks {args.bulk_chunks}" if args.bulk_chunks else "")
            + (f" --rate {args.rate:g}" if args.rate else "")
            + "`"
        )
        md.append("")
        md.append("| machine | |")
        md.append("| --- | --- |")
        for key, value in facts.items():
            md.append(f"| {key} | {value} |")
        md.append(f"| load average (start → end) | {report['load_start']} → {report['load_end']} |")
        md.append(
            f"| server | `tiendo serve --workers {args.workers}` (uvicorn, ASGI), PostgreSQL on the same machine |"
        )
        md.append("")
        md.append("| measurement | result | baseline in the same run |")
        md.append("| --- | --- | --- |")
        md.append(
            f"| {len(jobs):,} submissions × {len(ELEMENTS)} values, {mode} "
            f"(POST /api/dataValueSets, completeDate) | {stats['rps']:.1f} req/s, "
            f"{stats['values_per_s']:,.0f} values/s; p50 {stats['p50']:.0f} ms, p95 {stats['p95']:.0f} ms, "
            f"p99 {stats['p99']:.0f} ms, max {stats['max']:.0f} ms | {len(jobs):,} × GET /healthz: "
            f"{health['rps']:.0f} req/s, p50 {health['p50']:.1f} ms, p95 {health['p95']:.1f} ms |"
        )
        md.append(
            f"| count check | {ok_count}/{len(jobs)} accepted; {check['rows']:,} values stored for "
            f"{check['expected']:,} sent, {check['missing']} missing, {check['duplicates']} duplicated; "
            f"submissions {check['statuses']} | |"
        )
        md.append(
            f"| import of {len(rows):,} values ({len(bodies)} request{'s' if len(bodies) > 1 else ''}) | "
            f"{bulk_result} | COPY of the same rows: "
            f"{copy_seconds:.2f} s (import = {bulk_wall / copy_seconds:.1f}× COPY) |"
        )
        for note in notes:
            md.append("")
            md.append(f"Note: {note}.")
        md.append("")
        md.append("| goal | met |")
        md.append("| --- | --- |")
        for name, met, measured, at_size in goals:
            md.append(
                f"| {name} | {'yes' if met else 'no'} ({measured})"
                f"{'' if at_size else ' — smaller run, not the goal size'} |"
            )
        log("\nMarkdown for docs/benchmarks.md:\n")
        log("<!-- bench/reporting_deadline.py -->")
        log("\n".join(md))
        log("<!-- /bench/reporting_deadline.py -->")
        # exit status: correctness only (every value accepted and stored once); speed is reported above
        exit_code = 0 if goals[0][1] and report["bulk"]["ok"] else 1
    except BenchTimeout as exc:
        log(f"\nSTOPPED: {exc} ({args.time_limit} s)")
        tail = server.log_tail()
        if tail:
            log("Server log (tail):\n" + tail)
        exit_code = 2
    except BenchError as exc:
        log(f"\nFAILED: {exc}")
        tail = server.log_tail()
        if tail:
            log("Server log (tail):\n" + tail)
        exit_code = 1
    except Exception:
        log("\nFAILED with an exception:\n" + traceback.format_exc())
        tail = server.log_tail()
        if tail:
            log("Server log (tail):\n" + tail)
        exit_code = 1
    finally:
        signal.alarm(0)
        server.stop()
        tmp.cleanup()
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
