"""The open-data catalogue under load, on PostgreSQL, through the CKAN Action API (issue 12).

    .venv/bin/python bench/opendata_catalogue.py [--datasets 1000] [--rows 1000000] [--clients 20]

What it does, in one run (each run starts from an empty database):

1. drops and recreates the PostgreSQL database `BENCH_DATABASE_URL` (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_opendata; its name must contain "bench");
   `tiendo migrate`, `load-units --province 51`.
2. writes a catalogue of D published datasets (titles and keywords drawn from a Vietnamese
   vocabulary, 13 themes, the province's agencies as publishers, all four access levels but mostly
   public), each with a 10-row version, and one dataset whose version has R rows (commune × month ×
   indicator; COPY), then ANALYZE; then the big version's own indexes, by the service that makes
   them when a version is stored (`datastore_indexes_create`).
3. starts `tiendo serve --workers 2` on a free port.
4. package_search: Q requests by C concurrent clients, each a word typed without diacritics and two
   facets (`facet.field=["groups","organization"]`, rows 10); the floor: the same reads as plain SQL
   (the matching datasets with what the facets count, their themes, the page, its versions) by C
   threads on psycopg.
5. datastore_search on the R-row resource: a filter on one commune and a page of 100 rows at a
   random offset within its rows, total included; the floor: the same page and exact count as plain
   SQL from scratch (`data -> 'ma_xa'` on the version's index, ORDER BY row OFFSET, count(*)).
6. the server's own floor: GET /healthz (one `SELECT 1`) by the same clients; and the two reads
   cold — package_search with a new (q, start) at every request, so that none is answered from the
   catalogue's cache; datastore_search on a restarted server, one request per commune, so that every
   filter's rows are looked for afresh. CPU per request (server, PostgreSQL, this load generator)
   from /proc. Then the three warm reads again by `wrk` (C; `apt-get install wrk`), the same number
   of connections for 15 s each: a client that leaves the two cores to the server
   (bench/_light_client.py); the Python client spends 2.0–2.5 ms of CPU a request here.
7. prints the machine, p50/p95/p99 of each, the floor's, their ratio, the goals (package_search p95
   ≤ 100 ms, datastore_search p95 ≤ 50 ms), and a Markdown block for docs/benchmarks.md.

Exit status: 0 when every answer was a CKAN success with the expected count, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT / "src"))

import reporting_deadline as rd  # noqa: E402  (the server, the load loop, the machine facts)
from _light_client import wrk_load  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_opendata"
WORDS = [
    "y tế",
    "giáo dục",
    "giao thông",
    "đất đai",
    "dân số",
    "môi trường",
    "nông nghiệp",
    "thủy sản",
    "du lịch",
    "doanh nghiệp",
    "thuế",
    "ngân sách",
    "hộ nghèo",
    "lao động",
    "việc làm",
    "trường học",
    "bệnh viện",
    "trạm y tế",
    "chợ",
    "điện",
    "nước sạch",
    "rừng",
    "khu công nghiệp",
    "cảng",
    "thủ tục hành chính",
    "dịch vụ công",
    "hồ sơ",
    "chữ ký số",
    "internet",
    "cáp quang",
    "camera",
    "quan trắc",
    "không khí",
    "mực nước",
    "tàu cá",
    "văn hóa",
    "thể thao",
    "di tích",
]
QUERIES = [
    "y te",
    "giao duc",
    "dat dai",
    "thuy san",
    "du lich",
    "ho ngheo",
    "nuoc sach",
    "dich vu cong",
    "quan trac",
    "tau ca",
    "benh vien",
    "khong khi",
]
THEMES = [
    "AGRI",
    "ECON",
    "EDUC",
    "ENER",
    "ENVI",
    "GOVE",
    "HEAL",
    "INTR",
    "JUST",
    "REGI",
    "SOCI",
    "TECH",
    "TRAN",
]
GOALS = {"package_search": 100.0, "datastore_search": 50.0}


def log(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------- data


def fold(text: str) -> str:
    """A dataset's search text as the model writes it (" word word … ")."""
    from tiendo.opendata.words import search_words

    return " " + " ".join(search_words(text)) + " "


def write_catalogue(url: str, datasets: int, rows: int, seed: int) -> dict:
    """The catalogue and the big resource, with SQL and COPY (the ORM would take minutes)."""
    rng = random.Random(seed)
    with psycopg.connect(url) as conn:
        publishers = conn.execute(
            "SELECT id, code, name, path FROM orgunits_orgunit WHERE kind = 'agency' ORDER BY code"
        ).fetchall()
        communes = conn.execute(
            "SELECT code FROM orgunits_orgunit WHERE kind = 'commune' ORDER BY code"
        ).fetchall()
        themes = dict(conn.execute("SELECT code, id FROM opendata_theme").fetchall())
        access_levels = ["public"] * 7 + ["shared"] * 2 + ["restricted"]
        ids = []
        for index in range(datasets):
            words = rng.sample(WORDS, 3)
            publisher = rng.choice(publishers)
            title = f"{words[0].capitalize()} và {words[1]} — {publisher[2]} ({index + 1})"
            keywords = [words[1], words[2]]
            access = access_levels[index % len(access_levels)]
            text = fold(" ".join([f"bo-du-lieu-{index + 1}", title, *keywords, publisher[2]]))
            row = conn.execute(
                "INSERT INTO opendata_dataset (uid, name, title, title_en, description, description_en, "
                "publisher_id, keywords, licence_id, frequency, access, state, source, created_at, modified_at, "
                "published_at, search_text, contact_name, contact_email) VALUES (%s, %s, %s, '', %s, '', %s, %s, "
                "'CC-BY-4.0', 'ANNUAL', %s, 'published', 'upload', now() - %s * interval '1 minute', "
                "now() - %s * interval '1 minute', now(), %s, 'Bench', 'bench@example.gov.vn') RETURNING id",
                [
                    uuid.uuid4(),
                    f"bo-du-lieu-{index + 1}",
                    title,
                    f"Số liệu {words[0]}, {words[1]}.",
                    publisher[0],
                    json.dumps(keywords),
                    access,
                    index,
                    index,
                    text,
                ],
            ).fetchone()
            ids.append(row[0])
            for code in rng.sample(THEMES, 2):
                conn.execute(
                    "INSERT INTO opendata_dataset_themes (dataset_id, theme_id) VALUES (%s, %s)",
                    [row[0], themes[code]],
                )
        small = json.dumps({"fields": [{"name": "ma", "type": "integer"}, {"name": "ten", "type": "string"}]})
        with conn.cursor().copy(
            "COPY opendata_datasetversion (dataset_id, number, created_at, schema, row_count, sha256, filename, note, provenance) FROM STDIN"
        ) as copy:
            for dataset_id in ids:
                copy.write_row([dataset_id, 1, "now", small, 10, "0" * 64, "bench.csv", "", "bench"])
        big_dataset = ids[0]
        conn.execute(
            "UPDATE opendata_dataset SET access = 'public', name = 'bench-big' WHERE id = %s", [big_dataset]
        )
        schema = json.dumps(
            {
                "fields": [
                    {"name": "ma_xa", "type": "string"},
                    {"name": "thang", "type": "string"},
                    {"name": "chi_so", "type": "string"},
                    {"name": "gia_tri", "type": "number"},
                ]
            }
        )
        version_id = conn.execute(
            "INSERT INTO opendata_datasetversion (dataset_id, number, created_at, schema, row_count, sha256, filename, note, provenance) "
            "VALUES (%s, 2, now(), %s, %s, %s, 'bench-big.csv', '', 'bench') RETURNING id",
            [big_dataset, schema, rows, "0" * 64],
        ).fetchone()[0]
        started = time.perf_counter()
        per_commune: dict[str, int] = {}
        indicators = [f"CS{n:02d}" for n in range(1, 11)]
        months = [f"2026{m:02d}" for m in range(1, 13)] + [f"2025{m:02d}" for m in range(1, 13)]
        with conn.cursor().copy(
            "COPY opendata_datastorerow (version_id, row, data, text) FROM STDIN"
        ) as copy:
            for number in range(1, rows + 1):
                commune = communes[number % len(communes)][0]
                per_commune[commune] = per_commune.get(commune, 0) + 1
                month = months[(number // len(communes)) % len(months)]
                indicator = indicators[(number // (len(communes) * len(months))) % len(indicators)]
                value = round(rng.random() * 100, 2)
                data = {"ma_xa": commune, "thang": month, "chi_so": indicator, "gia_tri": value}
                copy.write_row(
                    [version_id, number, json.dumps(data), f"{commune} {month} {indicator.lower()} {value}"]
                )
        copy_s = time.perf_counter() - started
        conn.commit()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")
    return {
        "big_dataset_uid": None,
        "version_id": version_id,
        "communes": [c[0] for c in communes],
        "per_commune": per_commune,
        "copy_s": copy_s,
        "big_dataset": big_dataset,
    }


def resource_id(url: str, dataset_id: int) -> str:
    with psycopg.connect(url) as conn:
        return str(conn.execute("SELECT uid FROM opendata_dataset WHERE id = %s", [dataset_id]).fetchone()[0])


# ---------------------------------------------------------------------------------------- floors


def sql_floor(url: str, statements: list[tuple[str, list]], clients: int) -> dict[str, float]:
    """Each item: one or more statements run back to back on one connection (one "read")."""
    timings: list[float] = []
    lock = threading.Lock()
    pending = iter(statements)

    def worker() -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            for group in pending:
                started = time.perf_counter()
                for sql, params in group:
                    conn.execute(sql, params).fetchall()
                with lock:
                    timings.append(time.perf_counter() - started)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ms = sorted(t * 1000 for t in timings)
    return {
        "n": len(ms),
        "p50": rd.pct(ms, 50),
        "p95": rd.pct(ms, 95),
        "p99": rd.pct(ms, 99),
        "rps": len(ms) / wall,
    }


def search_floor_reads(query: str) -> list[tuple[str, list]]:
    """What package_search reads to answer afresh (selectors.dataset_search_narrowed): the matching
    datasets with what the facets count, their themes, the page, the page's current versions."""
    like = f"%{query}%"
    where = "d.state = 'published' AND d.access IN ('public', 'shared') AND d.search_text LIKE %s"
    page = f"SELECT d.id FROM opendata_dataset d WHERE {where} ORDER BY d.modified_at DESC, d.name LIMIT 10"
    return [
        (
            "SELECT d.id, d.keywords, d.access, d.licence_id, l.title, u.code, u.name, "
            "EXISTS (SELECT 1 FROM opendata_datasetversion v WHERE v.dataset_id = d.id) "
            "FROM opendata_dataset d JOIN opendata_licence l ON l.id = d.licence_id "
            f"JOIN orgunits_orgunit u ON u.id = d.publisher_id WHERE {where}",
            [like],
        ),
        (
            "SELECT dt.dataset_id, t.code, t.name FROM opendata_dataset_themes dt "
            "JOIN opendata_theme t ON t.id = dt.theme_id "
            f"WHERE dt.dataset_id IN (SELECT d.id FROM opendata_dataset d WHERE {where})",
            [like],
        ),
        (
            "SELECT d.*, u.*, l.* FROM opendata_dataset d JOIN orgunits_orgunit u ON u.id = d.publisher_id "
            f"JOIN opendata_licence l ON l.id = d.licence_id WHERE d.id IN ({page}) "
            "ORDER BY d.modified_at DESC, d.name",
            [like],
        ),
        (
            "SELECT DISTINCT ON (v.dataset_id) v.* FROM opendata_datasetversion v "
            f"WHERE v.dataset_id IN ({page}) ORDER BY v.dataset_id, v.number DESC",
            [like],
        ),
    ]


def datastore_floor_reads(version_id: int, commune: str, offset: int) -> list[tuple[str, list]]:
    """A page and the exact total from scratch, on the version's own index (`data -> 'ma_xa'`)."""
    where = "version_id = %s AND (data -> 'ma_xa') = %s::jsonb"
    params = [version_id, json.dumps(commune)]
    return [
        (
            f"SELECT row, data FROM opendata_datastorerow WHERE {where} ORDER BY row LIMIT 100 OFFSET {offset}",
            params,
        ),
        (f"SELECT count(*) FROM opendata_datastorerow WHERE {where}", params),
    ]


def make_indexes(env: dict[str, str], version_id: int) -> tuple[list[str], float]:
    """The big version's own indexes, made by the service that makes them when a version is stored
    (the rows were written with COPY, past the service)."""
    code = (
        "import django, json, time; django.setup()\n"
        "from django.db import transaction\n"
        "from tiendo.opendata.models import DatasetVersion\n"
        "from tiendo.opendata.services import datastore_indexes_create\n"
        "started = time.perf_counter()\n"
        "with transaction.atomic():\n"
        f"    made = datastore_indexes_create(version=DatasetVersion.objects.get(pk={version_id}))\n"
        "print(json.dumps([made, time.perf_counter() - started]))\n"
    )
    out = rd.run_step("datastore_indexes_create", [sys.executable, "-c", code], env, 1800)
    made, seconds = json.loads(out.strip().splitlines()[-1])
    return made, seconds


class Cpu:
    """CPU seconds spent by the server's processes, PostgreSQL's and this one, from /proc (Linux).
    A process that ends between two snapshots is left out of both (a PostgreSQL connection closed)."""

    def __init__(self, server: rd.Server) -> None:
        self.server = server
        self.tick = os.sysconf("SC_CLK_TCK")

    def _of(self, pids: list[int]) -> dict[int, float]:
        found = {}
        for pid in pids:
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            found[pid] = (int(fields[11]) + int(fields[12])) / self.tick
        return found

    @staticmethod
    def _pids(*args: str) -> list[int]:
        found = subprocess.run(["pgrep", *args], capture_output=True, text=True).stdout.split()
        return [int(pid) for pid in found]

    def snapshot(self) -> tuple[dict[int, float], dict[int, float], float]:
        own = resource.getrusage(resource.RUSAGE_SELF)
        group = str(os.getpgid(self.server.proc.pid)) if self.server.proc else "0"
        return (
            self._of(self._pids("-g", group)),
            self._of(self._pids("-u", "postgres")),
            own.ru_utime + own.ru_stime,
        )

    @staticmethod
    def spent(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def run_api(
    server: rd.Server, jobs: list[rd.Job], clients: int
) -> tuple[list[rd.Result], dict[str, float], tuple[float, float, float]]:
    """The load, its latencies and the CPU milliseconds per request (server, PostgreSQL, load)."""
    cpu = Cpu(server)
    before = cpu.snapshot()
    answers, wall = asyncio.run(rd.run_load(server.base_url, jobs, clients, 60, 900))
    after = cpu.snapshot()
    spent = (Cpu.spent(before[0], after[0]), Cpu.spent(before[1], after[1]), after[2] - before[2])
    per = (spent[0] * 1000 / len(jobs), spent[1] * 1000 / len(jobs), spent[2] * 1000 / len(jobs))
    return answers, rd.latency_stats(answers, wall), per


def failures_of(label: str, answers: list[rd.Result]) -> list[rd.Result]:
    bad = [a for a in answers if a.status != 200 or not isinstance(a.body, dict) or not a.body.get("success")]
    if label.startswith("datastore_search"):
        bad += [
            a
            for a in answers
            if isinstance(a.body, dict)
            and a.body.get("success")
            and (
                len(a.body["result"]["records"]) != min(100, a.body["result"]["total"] - a.job.key[2])
                or a.body["result"]["total"] != a.job.key[3]
            )
        ]
    return bad


# ---------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--light-seconds", type=int, default=15, help="seconds of each read by wrk")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    tmp = Path(tempfile.mkdtemp(prefix="tiendo-bench-opendata-"))
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
    rng = random.Random(args.seed)
    try:
        log("Preparing the database")
        pg_version = rd.recreate_database(urlunsplit(parts._replace(path="/postgres")), name)
        for step in (["migrate", "-v0"], ["load-units", "--province", "51"]):
            log(f"  tiendo {' '.join(step):<30} {rd.run_step(' '.join(step), [tiendo, *step], env, 900)}")
        started = time.perf_counter()
        data = write_catalogue(url, args.datasets, args.rows, args.seed)
        log(
            f"  {args.datasets:,} datasets and {args.rows:,} rows written in {time.perf_counter() - started:.1f} s "
            f"(COPY of the rows {data['copy_s']:.1f} s)"
        )
        made, index_s = make_indexes(env, data["version_id"])
        log(f"  the big version's own indexes: {', '.join(made) or 'none'} in {index_s:.1f} s")
        big = resource_id(url, data["big_dataset"])
        facts = rd.machine_facts(pg_version)
        load_start = rd.loadavg()
        server = rd.Server(tiendo, env, rd.free_port(), args.workers, tmp / "server.log")
        log(f"\nServer: {' '.join(server.cmd[1:])}; up after {server.start():.1f} s")

        facet_field = json.dumps(["groups", "organization"])
        search_jobs, search_floor = [], []
        for i in range(args.requests):
            query = QUERIES[i % len(QUERIES)]
            params = {"q": query, "facet.field": facet_field, "rows": 10}
            search_jobs.append(
                rd.Job(("search", i), "GET", "/opendata/api/3/action/package_search?" + urlencode(params))
            )
            search_floor.append(search_floor_reads(query))
        cold_search_jobs = []  # each (q, start) once: never an answer the catalogue's cache kept
        for i in range(min(args.requests, len(QUERIES) * 50)):
            params = {
                "q": QUERIES[i % len(QUERIES)],
                "facet.field": facet_field,
                "rows": 10,
                "start": i // 12,
            }
            cold_search_jobs.append(
                rd.Job(("cold", i), "GET", "/opendata/api/3/action/package_search?" + urlencode(params))
            )

        def store_job(commune: str, offset: int) -> rd.Job:
            params = {
                "resource_id": big,
                "filters": json.dumps({"ma_xa": commune}),
                "limit": 100,
                "offset": offset,
            }
            return rd.Job(
                ("store", commune, offset, data["per_commune"][commune]),
                "GET",
                "/opendata/api/3/action/datastore_search?" + urlencode(params),
            )

        store_jobs, store_floor = [], []
        for _ in range(args.requests):
            commune = rng.choice(data["communes"])
            offset = rng.randrange(0, max(1, data["per_commune"][commune] - 100)) // 100 * 100
            store_jobs.append(store_job(commune, offset))
            store_floor.append(datastore_floor_reads(data["version_id"], commune, offset))
        cold_store_jobs = []  # one request per commune, on a restarted server: every filter new to it
        for commune in data["communes"]:
            offset = rng.randrange(0, max(1, data["per_commune"][commune] - 100)) // 100 * 100
            cold_store_jobs.append(store_job(commune, offset))
        healthz_jobs = [rd.Job(("healthz", i), "GET", "/healthz") for i in range(args.requests)]

        log("\nWarm-up: 100 of each")
        asyncio.run(rd.run_load(server.base_url, search_jobs[:100] + store_jobs[:100], args.clients, 60, 300))

        results: dict[str, dict] = {}
        failures: list[str] = []

        def measure(label: str, jobs: list[rd.Job], floor_reads: list | None) -> None:
            assert server is not None
            answers, stats, cpu = run_api(server, jobs, args.clients)
            bad = (
                failures_of(label, answers) if label != "healthz" else [a for a in answers if a.status != 200]
            )
            failures.extend(f"{label}: {a.status} {str(a.body)[:200]} {a.error}" for a in bad[:5])
            floor = sql_floor(url, floor_reads, args.clients) if floor_reads else None
            results[label] = {"api": stats, "floor": floor, "bad": len(bad), "cpu": cpu}
            log(
                f"\n{label}: {stats['n']:,} requests by {args.clients} clients, {stats['rps']:,.0f}/s; "
                f"p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms, p99 {stats['p99']:.1f} ms; failures {len(bad)}"
            )
            log(
                f"  CPU per request: server {cpu[0]:.1f} ms, PostgreSQL {cpu[1]:.1f} ms, "
                f"load generator {cpu[2]:.1f} ms"
            )
            if floor:
                log(
                    f"  floor (plain SQL, same reads, {args.clients} threads): p50 {floor['p50']:.2f} ms, "
                    f"p95 {floor['p95']:.2f} ms, {floor['rps']:,.0f}/s; API p95 = {stats['p95'] / floor['p95']:.1f}× the floor"
                )

        measure("package_search", search_jobs, search_floor)
        measure("datastore_search", store_jobs, store_floor)
        measure("healthz", healthz_jobs, None)
        measure("package_search, cold", cold_search_jobs, None)
        light: dict[
            str, dict
        ] = {}  # the same warm reads by wrk (C): a client that leaves the cores to the server
        for label, jobs in (
            ("healthz", healthz_jobs),
            ("package_search", search_jobs),
            ("datastore_search", store_jobs),
        ):
            found = wrk_load(
                server.base_url, [job.url for job in jobs], clients=args.clients, seconds=args.light_seconds
            )
            if found is None:
                log("\n`wrk` not found (apt-get install wrk): the measure by a light client is left out")
                break
            if found["bad"] or found["errors"]:
                failures.append(
                    f"wrk, {label}: {found['bad']} answers not 200, {found['errors']} socket errors"
                )
            light[label] = found
            log(
                f"\n{label} by wrk: {found['requests']:,} requests by {args.clients} connections, {found['rps']:,.0f}/s; "
                f"p50 {found['p50']:.1f} ms, p95 {found['p95']:.1f} ms, p99 {found['p99']:.1f} ms"
            )
        server.stop()
        log(f"\nServer restarted (the rows each filter matches forgotten); up after {server.start():.1f} s")
        unfiltered = [  # the code paths loaded and the connections opened, no filter asked
            rd.Job(
                ("warm", i),
                "GET",
                f"/opendata/api/3/action/datastore_search?resource_id={big}&offset={i * 100}",
            )
            for i in range(100)
        ]
        asyncio.run(rd.run_load(server.base_url, unfiltered + healthz_jobs[:100], args.clients, 60, 300))
        measure("datastore_search, cold", cold_store_jobs, None)
        load_end = rd.loadavg()

        log("\nGoals")
        full = args.datasets >= 1000 and args.rows >= 1_000_000 and args.clients >= 20
        goal_rows = []
        for label, limit in GOALS.items():
            p95 = results[label]["api"]["p95"]
            met = p95 <= limit and results[label]["bad"] == 0
            goal_rows.append((f"{label} p95 ≤ {limit:.0f} ms (Python httpx clients)", met, f"{p95:.1f} ms"))
            if label in light:
                p95_light = light[label]["p95"]
                met_light = p95_light <= limit and not light[label]["bad"] and not light[label]["errors"]
                goal_rows.append(
                    (f"{label} p95 ≤ {limit:.0f} ms (wrk clients)", met_light, f"{p95_light:.1f} ms")
                )
        for goal, met, figure in goal_rows:
            log(f"  {goal}: {'MET' if met else 'NOT MET'}{'' if full else ' (short run)'} ({figure})")
        for failure in failures:
            log(f"  failure: {failure}")

        md = [f"### Open-data catalogue (CKAN Action API on PostgreSQL) — {time.strftime('%Y-%m-%d')}", ""]
        md.append(
            f"`.venv/bin/python bench/opendata_catalogue.py --datasets {args.datasets} --rows {args.rows} "
            f"--clients {args.clients} --requests {args.requests}`"
        )
        md += ["", "| machine | |", "| --- | --- |"] + [f"| {k} | {v} |" for k, v in facts.items()]
        md.append(f"| load average (start → end) | {load_start} → {load_end} |")
        md.append(
            f"| server | `tiendo serve --workers {args.workers}` (uvicorn), PostgreSQL on the same machine |"
        )
        md.append(
            f"| data | {args.datasets:,} datasets; one version of {args.rows:,} rows, its own indexes "
            f"({len(made)}, made in {index_s:.1f} s) |"
        )
        md += [
            "",
            "| read | API p50 / p95 / p99 | requests/s | floor: the same reads as plain SQL, p50 / p95 | p95 ratio "
            "| CPU per request: server / PostgreSQL / load generator |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        for label in results:
            api, floor, cpu = results[label]["api"], results[label]["floor"], results[label]["cpu"]
            floor_text = f"{floor['p50']:.2f} / {floor['p95']:.2f} ms" if floor else "—"
            ratio = f"{api['p95'] / floor['p95']:.1f}×" if floor else "—"
            md.append(
                f"| {label} ({api['n']:,}) | {api['p50']:.1f} / {api['p95']:.1f} / {api['p99']:.1f} ms | "
                f"{api['rps']:,.0f} | {floor_text} | {ratio} | {cpu[0]:.1f} / {cpu[1]:.1f} / {cpu[2]:.1f} ms |"
            )
        if light:
            md += [
                "",
                f"The same warm reads by `wrk` (C), {args.clients} connections, {args.light_seconds} s each:",
                "",
            ]
            md += ["| read | p50 / p95 / p99 | requests/s |", "| --- | --- | --- |"]
            for label, found in light.items():
                md.append(
                    f"| {label} ({found['requests']:,}) | {found['p50']:.1f} / {found['p95']:.1f} / {found['p99']:.1f} ms "
                    f"| {found['rps']:,.0f} |"
                )
        md += ["", "| goal | met |", "| --- | --- |"]
        md += [
            f"| {g} | {'yes' if m else 'no'} ({v}){'' if full else ' — short run'} |" for g, m, v in goal_rows
        ]
        log(
            "\nMarkdown for docs/benchmarks.md:\n\n<!-- bench/opendata_catalogue.py -->\n"
            + "\n".join(md)
            + "\n<!-- /bench/opendata_catalogue.py -->"
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
