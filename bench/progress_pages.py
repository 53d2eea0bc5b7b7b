"""The public progress pages under load, on PostgreSQL (issue 12: "a public indicator page p95 ≤ 50 ms
warm").

    .venv/bin/python bench/progress_pages.py [--clients 20] [--requests 2000] [--workers 2]

What it does, in one run (each run starts from an empty database):

1. drops and recreates the PostgreSQL database `BENCH_DATABASE_URL` (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_progress; its name must contain "bench") and
   builds the demo in it (`tiendo demo --no-serve --no-ioc`: Quảng Ngãi's 96 communes and agencies,
   the 2025 and 2026 plans, 30,000 SIMULATED dossiers behind I.1's unit-by-unit figures, the open
   datasets);
2. starts `tiendo serve --workers W` on a free port;
3. measures, each by C concurrent anonymous clients, Q requests:
   - the floor: `/healthz` on the same server (what any answer costs: the framework, the loop);
   - the indicator page I.1 warm (`/opendata/progress/quang-ngai-2026/I.1/`: the chart of 20
     periods, the 96 units' table and map, its methodology) — the issue's goal;
   - the same page revalidated (`If-None-Match` with its ETag: 304);
   - the province page (every target of the year);
   and, by one client, 50 cold renderings of the indicator page (a query string no request repeats,
   so none is served from the store): what a change of data costs the first reader;
   then the four warm reads again by `wrk` (C; `apt-get install wrk`) with the same number of
   clients for 15 s each: a client that leaves the two cores to the server (bench/_light_client.py);
4. prints the machine, p50/p95/p99 of each, the ratio of each p95 to the floor's, the goal, and a
   Markdown block for docs/benchmarks.md.

Exit status: 0 when every answer had the expected status (200, or 304 when revalidated), 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
import traceback
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import reporting_deadline as rd  # noqa: E402  (the server, the load loop, the machine facts)
from _light_client import wrk_load  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_progress"
PAGE = "/opendata/progress/quang-ngai-2026/I.1/"
PROVINCE = "/opendata/progress/"
GOAL_MS = 50.0


def log(message: str = "") -> None:
    print(message, flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--cold", type=int, default=50, help="cold renderings, one client")
    parser.add_argument("--light-seconds", type=int, default=15, help="seconds of each read by wrk")
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="use the database of the last run as it is (no demo build)",
    )
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    tmp = Path(tempfile.mkdtemp(prefix="tiendo-bench-progress-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIENDO_")}
    env.update(
        DATABASE_URL=url,
        DJANGO_SETTINGS_MODULE="tiendo.settings",
        TIENDO_DATA_DIR=str(tmp / "data"),
        TIENDO_SECRET_KEY="bench-" + uuid.uuid4().hex + uuid.uuid4().hex,
        TIENDO_DEBUG="false",
        TIENDO_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    tiendo = str(ROOT / ".venv" / "bin" / "tiendo")
    server: rd.Server | None = None
    try:
        if args.keep_database:
            with rd.connect(url) as conn:
                pg_version = conn.execute("SELECT version()").fetchone()[0]
            log("Using the database of the last run")
        else:
            log("Preparing the database (the demo: units, plans, 30,000 simulated dossiers, datasets)")
            pg_version = rd.recreate_database(urlunsplit(parts._replace(path="/postgres")), name)
            step = ["demo", "--no-serve", "--no-ioc"]
            log(f"  tiendo {' '.join(step)}: {rd.run_step(' '.join(step), [tiendo, *step], env, 1800)}")
        facts = rd.machine_facts(pg_version)
        load_start = rd.loadavg()
        server = rd.Server(tiendo, env, rd.free_port(), args.workers, tmp / "server.log")
        log(f"\nServer: {' '.join(server.cmd[1:])}; up after {server.start():.1f} s")

        first = httpx.get(server.base_url + PAGE, timeout=60)
        if first.status_code != 200 or 'id="league"' not in first.text:
            raise rd.BenchError(f"{PAGE}: {first.status_code} {first.text[:300]}")
        etag = first.headers["ETag"]
        units = first.text.split('id="league"')[1].count("<tr>") - 1

        kinds = {
            "floor: /healthz": (
                [rd.Job(("healthz", i), "GET", "/healthz") for i in range(args.requests)],
                200,
            ),
            "indicator page, warm": ([rd.Job(("page", i), "GET", PAGE) for i in range(args.requests)], 200),
            "indicator page, revalidated (304)": (
                [rd.Job(("etag", i), "GET", PAGE, {"If-None-Match": etag}) for i in range(args.requests)],
                304,
            ),
            "province page, warm": (
                [rd.Job(("plan", i), "GET", PROVINCE) for i in range(args.requests)],
                200,
            ),
        }
        log("\nWarm-up: 100 of each")
        for jobs, _status in kinds.values():
            asyncio.run(rd.run_load(server.base_url, jobs[:100], args.clients, 60, 300))

        results: dict[str, dict] = {}
        failures: list[str] = []
        for label, (jobs, status) in kinds.items():
            answers, wall = asyncio.run(rd.run_load(server.base_url, jobs, args.clients, 60, 900))
            bad = [a for a in answers if a.status != status]
            failures += [f"{label}: {a.status} {str(a.body)[:200]} {a.error}" for a in bad[:5]]
            results[label] = {**rd.latency_stats(answers, wall), "bad": len(bad)}
        cold_jobs = [rd.Job(("cold", i), "GET", f"{PAGE}?cold={i}") for i in range(args.cold)]
        answers, wall = asyncio.run(rd.run_load(server.base_url, cold_jobs, 1, 120, 900))
        bad = [a for a in answers if a.status != 200]
        failures += [f"cold: {a.status} {a.error}" for a in bad[:5]]
        results["indicator page, cold (1 client)"] = {**rd.latency_stats(answers, wall), "bad": len(bad)}
        light: dict[str, dict] = {}
        for label, path, headers, status in (
            ("floor: /healthz", "/healthz", {}, 200),
            ("indicator page, warm", PAGE, {}, 200),
            ("indicator page, revalidated (304)", PAGE, {"If-None-Match": etag}, 304),
            ("province page, warm", PROVINCE, {}, 200),
        ):
            found = wrk_load(
                server.base_url,
                [path],
                clients=args.clients,
                seconds=args.light_seconds,
                expected=status,
                headers=headers,
            )
            if found is None:
                log("\n`wrk` not found (apt-get install wrk): the measure by a light client is left out")
                break
            if found["bad"] or found["errors"]:
                failures.append(
                    f"wrk, {label}: {found['bad']} answers not {status}, {found['errors']} socket errors"
                )
            light[label] = found
        load_end = rd.loadavg()

        floor = results["floor: /healthz"]["p95"]
        log(f"\nI.1's page: {units} units in its table; {len(first.content):,} bytes")
        for label, stats in results.items():
            log(
                f"{label:<36} {stats.get('n', stats.get('requests', 0)):>5,} requests, {stats['rps']:>7,.0f}/s; p50 {stats['p50']:7.1f} ms, "
                f"p95 {stats['p95']:7.1f} ms, p99 {stats['p99']:7.1f} ms; p95 = {stats['p95'] / floor:5.1f}× the floor; "
                f"failures {stats['bad']}"
            )
        if light:
            light_floor = light["floor: /healthz"]["p95"]
            log("\nThe same reads by `wrk` (C), a light client:")
            for label, stats in light.items():
                log(
                    f"{label:<36} {stats.get('n', stats.get('requests', 0)):>5,} requests, {stats['rps']:>7,.0f}/s; p50 {stats['p50']:7.1f} ms, "
                    f"p95 {stats['p95']:7.1f} ms, p99 {stats['p99']:7.1f} ms; p95 = {stats['p95'] / light_floor:5.1f}× "
                    f"the floor; failures {stats['bad']}"
                )
        warm = results["indicator page, warm"]["p95"]
        warm_light = light["indicator page, warm"]["p95"] if light else None
        full = args.clients >= 20 and args.requests >= 2000
        met = warm <= GOAL_MS and not failures
        met_light = warm_light is not None and warm_light <= GOAL_MS and not failures
        log(
            f"\nGoal: a public indicator page p95 ≤ {GOAL_MS:.0f} ms warm: {'MET' if met else 'NOT MET'}"
            f"{'' if full else ' (short run)'} ({warm:.1f} ms)"
        )
        for failure in failures:
            log(f"  failure: {failure}")

        md = [f"#### Public progress pages — {time.strftime('%Y-%m-%d')}", ""]
        md.append(
            f"`.venv/bin/python bench/progress_pages.py --clients {args.clients} --requests {args.requests} "
            f"--workers {args.workers}`"
        )
        md += ["", "| machine | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in facts.items()]
        md.append(f"| load average (start → end) | {load_start} → {load_end} |")
        md.append(
            f"| server | `tiendo serve --workers {args.workers}` (uvicorn), PostgreSQL on the same machine |"
        )
        md += [
            "",
            "| read | clients | requests/s | p50 / p95 / p99 | p95 ÷ floor's |",
            "| --- | --- | --- | --- | --- |",
        ]
        for label, stats in results.items():
            clients = 1 if "cold" in label else args.clients
            md.append(
                f"| {label} | {clients} | {stats['rps']:,.0f} | {stats['p50']:.1f} / {stats['p95']:.1f} / "
                f"{stats['p99']:.1f} ms | {stats['p95'] / floor:.1f}× |"
            )
        if light:
            light_floor = light["floor: /healthz"]["p95"]
            md += [
                "",
                "The same reads by `wrk` (C, Debian's package), a light client, for the same clients:",
                "",
            ]
            md += [
                "| read | clients | requests/s | p50 / p95 / p99 | p95 ÷ floor's |",
                "| --- | --- | --- | --- | --- |",
            ]
            for label, stats in light.items():
                md.append(
                    f"| {label} | {args.clients} | {stats['rps']:,.0f} | {stats['p50']:.1f} / {stats['p95']:.1f} / "
                    f"{stats['p99']:.1f} ms | {stats['p95'] / light_floor:.1f}× |"
                )
        md += ["", "| goal | client | met |", "| --- | --- | --- |"]
        md.append(
            f"| public indicator page p95 ≤ {GOAL_MS:.0f} ms warm | Python httpx | {'yes' if met else 'no'} "
            f"({warm:.1f} ms){'' if full else ' — short run'} |"
        )
        if warm_light is not None:
            md.append(
                f"| public indicator page p95 ≤ {GOAL_MS:.0f} ms warm | wrk | {'yes' if met_light else 'no'} "
                f"({warm_light:.1f} ms){'' if full else ' — short run'} |"
            )
        log(
            "\nMarkdown for docs/benchmarks.md:\n\n<!-- bench/progress_pages.py -->\n"
            + "\n".join(md)
            + "\n<!-- /bench/progress_pages.py -->"
        )
        return 0 if not failures else 1
    except (rd.BenchError, rd.BenchTimeout) as exc:
        log(f"\nFAILED: {exc}")
        return 1
    except Exception:
        log("\nFAILED with an exception:\n" + traceback.format_exc())
        return 1
    finally:
        if server is not None:
            server.stop()


if __name__ == "__main__":
    sys.exit(main())
