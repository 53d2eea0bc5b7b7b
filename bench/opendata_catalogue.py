"""The open-data catalogue under load, on PostgreSQL, through the CKAN Action API (issue 12).

    .venv/bin/python bench/opendata_catalogue.py [--datasets 1000] [--rows 1000000] [--clients 20]

What it does, in one run (each run starts from an empty database):

1. drops and recreates the PostgreSQL database `BENCH_DATABASE_URL` (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_opendata; its name must contain "bench");
   `tiendo migrate`, `load-units --province 51`.
2. writes a catalogue of D published datasets (titles and keywords drawn from a Vietnamese
   vocabulary, 13 themes, the province's agencies as publishers, all four access levels but mostly
   public), each with a 10-row version, and one dataset whose version has R rows (commune × month ×
   indicator; COPY), then ANALYZE.
3. starts `tiendo serve --workers 2` on a free port.
4. package_search: Q requests by C concurrent clients, each a word typed without diacritics and two
   facets (`facet.field=["groups","organization"]`, rows 10); the floor: the same reads as plain SQL
   (the folded `LIKE` on the datasets' text, the two GROUP BYs, the page) by C threads on psycopg.
5. datastore_search on the R-row resource: a filter on one commune and a page of 100 rows at a
   random offset within its rows, total included; the floor: the same `@>` query, its page and its
   count, as plain SQL.
6. prints the machine, p50/p95/p99 of each, the floor's, their ratio, the goals (package_search p95
   ≤ 100 ms, datastore_search p95 ≤ 50 ms), and a Markdown block for docs/benchmarks.md.

Exit status: 0 when every answer was a CKAN success with the expected count, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
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
        indicators = [f"CS{n:02d}" for n in range(1, 11)]
        months = [f"2026{m:02d}" for m in range(1, 13)] + [f"2025{m:02d}" for m in range(1, 13)]
        with conn.cursor().copy(
            "COPY opendata_datastorerow (version_id, row, data, text) FROM STDIN"
        ) as copy:
            for number in range(1, rows + 1):
                commune = communes[number % len(communes)][0]
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
    like = f"%{query}%"
    where = "d.state = 'published' AND d.access IN ('public', 'shared') AND d.search_text LIKE %s"
    return [
        (
            f"SELECT d.id, d.name, d.title FROM opendata_dataset d WHERE {where} ORDER BY d.modified_at DESC LIMIT 10",
            [like],
        ),
        (f"SELECT count(*) FROM opendata_dataset d WHERE {where}", [like]),
        (
            f"SELECT t.code, count(*) FROM opendata_dataset d JOIN opendata_dataset_themes dt ON dt.dataset_id = d.id "
            f"JOIN opendata_theme t ON t.id = dt.theme_id WHERE {where} GROUP BY t.code",
            [like],
        ),
        (
            f"SELECT d.publisher_id, count(*) FROM opendata_dataset d WHERE {where} GROUP BY d.publisher_id",
            [like],
        ),
    ]


def datastore_floor_reads(version_id: int, commune: str, offset: int) -> list[tuple[str, list]]:
    where = "version_id = %s AND data @> %s::jsonb"
    params = [version_id, json.dumps({"ma_xa": commune})]
    return [
        (
            f"SELECT row, data FROM opendata_datastorerow WHERE {where} ORDER BY row LIMIT 100 OFFSET {offset}",
            params,
        ),
        (f"SELECT count(*) FROM opendata_datastorerow WHERE {where}", params),
    ]


# ---------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--requests", type=int, default=2000, help="requests of each kind")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=12)
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
        big = resource_id(url, data["big_dataset"])
        facts = rd.machine_facts(pg_version)
        load_start = rd.loadavg()
        server = rd.Server(tiendo, env, rd.free_port(), args.workers, tmp / "server.log")
        log(f"\nServer: {' '.join(server.cmd[1:])}; up after {server.start():.1f} s")

        search_jobs, search_floor = [], []
        for i in range(args.requests):
            query = QUERIES[i % len(QUERIES)]
            params = {"q": query, "facet.field": json.dumps(["groups", "organization"]), "rows": 10}
            search_jobs.append(
                rd.Job(("search", i), "GET", "/opendata/api/3/action/package_search?" + urlencode(params))
            )
            search_floor.append(search_floor_reads(query))
        store_jobs, store_floor = [], []
        per_commune = args.rows // len(data["communes"])
        for _ in range(args.requests):
            commune = rng.choice(data["communes"])
            offset = rng.randrange(0, max(1, per_commune - 100)) // 100 * 100
            params = {
                "resource_id": big,
                "filters": json.dumps({"ma_xa": commune}),
                "limit": 100,
                "offset": offset,
            }
            store_jobs.append(
                rd.Job(
                    ("store", commune, offset),
                    "GET",
                    "/opendata/api/3/action/datastore_search?" + urlencode(params),
                )
            )
            store_floor.append(datastore_floor_reads(data["version_id"], commune, offset))

        log("\nWarm-up: 100 of each")
        asyncio.run(rd.run_load(server.base_url, search_jobs[:100] + store_jobs[:100], args.clients, 60, 300))

        results: dict[str, dict] = {}
        failures: list[str] = []
        for label, jobs, floor_reads in (
            ("package_search", search_jobs, search_floor),
            ("datastore_search", store_jobs, store_floor),
        ):
            answers, wall = asyncio.run(rd.run_load(server.base_url, jobs, args.clients, 60, 900))
            bad = [
                a
                for a in answers
                if a.status != 200 or not isinstance(a.body, dict) or not a.body.get("success")
            ]
            if label == "datastore_search":
                bad += [
                    a
                    for a in answers
                    if isinstance(a.body, dict)
                    and a.body.get("success")
                    and len(a.body["result"]["records"]) != min(100, a.body["result"]["total"] - a.job.key[2])
                ]
            failures += [f"{label}: {a.status} {str(a.body)[:200]} {a.error}" for a in bad[:5]]
            stats = rd.latency_stats(answers, wall)
            floor = sql_floor(url, floor_reads, args.clients)
            results[label] = {"api": stats, "floor": floor, "bad": len(bad)}
            log(
                f"\n{label}: {stats['n']:,} requests by {args.clients} clients, {stats['rps']:,.0f}/s; "
                f"p50 {stats['p50']:.1f} ms, p95 {stats['p95']:.1f} ms, p99 {stats['p99']:.1f} ms; failures {len(bad)}"
            )
            log(
                f"  floor (plain SQL, same reads, {args.clients} threads): p50 {floor['p50']:.2f} ms, "
                f"p95 {floor['p95']:.2f} ms, {floor['rps']:,.0f}/s; API p95 = {stats['p95'] / floor['p95']:.1f}× the floor"
            )
        load_end = rd.loadavg()

        log("\nGoals")
        full = args.datasets >= 1000 and args.rows >= 1_000_000 and args.clients >= 20
        goal_rows = []
        for label, limit in GOALS.items():
            p95 = results[label]["api"]["p95"]
            met = p95 <= limit and results[label]["bad"] == 0
            goal_rows.append((f"{label} p95 ≤ {limit:.0f} ms", met, f"{p95:.1f} ms"))
            log(
                f"  {label} p95 ≤ {limit:.0f} ms: {'MET' if met else 'NOT MET'}{'' if full else ' (short run)'} ({p95:.1f} ms)"
            )
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
        md += [
            "",
            "| read | API p50 / p95 / p99 | floor: the same reads as plain SQL, p50 / p95 | p95 ratio |",
            "| --- | --- | --- | --- |",
        ]
        for label in GOALS:
            api, floor = results[label]["api"], results[label]["floor"]
            md.append(
                f"| {label} | {api['p50']:.1f} / {api['p95']:.1f} / {api['p99']:.1f} ms | "
                f"{floor['p50']:.2f} / {floor['p95']:.2f} ms | {api['p95'] / floor['p95']:.1f}× |"
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
