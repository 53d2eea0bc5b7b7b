"""What Vietnam's domain rules (ioc/domain: VN_AQI, alarm levels, geofences) cost the ingest path.

    .venv/bin/python bench/ioc_domain.py [--batches 150] [--database postgres://…/tiendo_bench_domain]

On PostgreSQL (the database, whose name must contain "bench", is dropped and recreated): migrate, the
province's units, the shipped IOC registry (`tiendo load-ioc`). Then the same workload is ingested
twice through `readings_ingest` (one transaction per batch, as the MQTT consumer does), after 3
warm-up batches, first with
`domain.derive` switched off (the baseline), then with it on, on later timestamps: each batch holds 20
instants 10 s apart of the seed's 2 air stations (6 pollutants), 3 water-level stations and 4 vessels
(lat, lon, speed) and a camera — 560 readings. With the rules on, every water level gets its
alarm_level and every position its zone_state (as many derived readings), and each station's hourly
and daily VN_AQI is indexed as hours and days complete.

Prints readings/s both ways, the time inside derive, the derived readings stored, the queries derive
makes per batch, the machine, and a Markdown block for docs/benchmarks.md. No goal of its own: the
issue's ingest goal (≥ 50 % of the broker's floor) is measured by the ingest benchmark; this one says
how much of that budget the domain rules take.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta

from reporting_deadline import ROOT, VENV_BIN, loadavg, machine_facts

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_domain"
AIR = ("aq-dungquat-01", "aq-vsip-01")
POLLUTANTS = ("pm25", "pm10", "o3", "co", "no2", "so2")
WATER = ("wl-trakhuc-01", "wl-anchi-01", "wl-songve-01")
VESSELS = ("vms-qng-9001-ts", "vms-qng-9002-ts", "vms-qng-9003-ts", "vms-qng-9004-ts")


def recreate(url: str) -> str:
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        sys.exit(f"refusing to drop {name}: a bench database's name must contain 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin.replace("postgres://", "postgresql://", 1), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
        return str(conn.execute("SELECT version()").fetchone()[0])


def batch(start: datetime, k: int) -> list:
    from tiendo.ioc.ingest import IncomingReading as R

    out = []
    for j in range(20):
        ts = start + timedelta(seconds=10 * (20 * k + j))
        wave = (k * 20 + j) % 360
        for device in AIR:
            out += [R(device, p, ts, 20.0 + wave / 10) for p in POLLUTANTS]
        out += [R(device, "water_level", ts, 3.0 + wave / 100) for device in WATER]
        for n, device in enumerate(VESSELS):
            out += [
                R(device, "lat", ts, 15.35 + n / 50),
                R(device, "lon", ts, 109.0 + wave / 1000),
                R(device, "speed", ts, 6.0),
            ]
        out.append(R("cam-camthanh-01", "vehicles", ts, 3.0))
    return out


def run(start: datetime, batches: int, *, rules: bool) -> dict[str, float]:
    from tiendo.ioc import domain
    from tiendo.ioc.ingest import readings_ingest

    real = domain.derive
    spent = [0.0]

    def timed(*, stored):  # type: ignore[no-untyped-def]
        began = time.perf_counter()
        try:
            return real(stored=stored)
        finally:
            spent[0] += time.perf_counter() - began

    domain.derive = timed if rules else (lambda *, stored: [])  # type: ignore[assignment]
    try:
        work = [batch(start, k) for k in range(batches)]
        sent = sum(len(b) for b in work)
        stored = 0
        began = time.perf_counter()
        for readings in work:
            stored += len(
                readings_ingest(readings=readings, source="bench", now=start + timedelta(days=30)).stored
            )
        elapsed = time.perf_counter() - began
    finally:
        domain.derive = real
    return {"sent": sent, "stored": stored, "seconds": elapsed, "derive": spent[0]}


def queries_per_batch(start: datetime) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiendo.ioc import domain
    from tiendo.ioc.ingest import readings_ingest

    real = domain.derive
    counted = [0]

    def counting(*, stored):  # type: ignore[no-untyped-def]
        with CaptureQueriesContext(connection) as queries:
            out = real(stored=stored)
        counted[0] = len(queries)
        return out

    domain.derive = counting  # type: ignore[assignment]
    try:
        readings_ingest(readings=batch(start, 0), source="bench", now=start + timedelta(days=30))
    finally:
        domain.derive = real
    return counted[0]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batches", type=int, default=150)
    parser.add_argument("--database", default=DEFAULT_DB)
    args = parser.parse_args()
    env = {**os.environ, "DATABASE_URL": args.database, "LANG": "en_US.UTF-8"}
    pg_version = recreate(args.database)
    facts = machine_facts(pg_version)
    start_load = loadavg()
    tiendo = str(VENV_BIN / "tiendo")
    for step in (
        [tiendo, "migrate", "-v0"],
        [tiendo, "load-units", "--province", "51"],
        [tiendo, "load-ioc"],
    ):
        subprocess.run(step, env=env, check=True, capture_output=True, cwd=ROOT)
    os.environ.update(DATABASE_URL=args.database, DJANGO_SETTINGS_MODULE="tiendo.settings")
    import django

    django.setup()
    first = datetime(2026, 11, 1, tzinfo=UTC)
    span = timedelta(seconds=10 * 20 * args.batches) + timedelta(days=2)
    run(first - timedelta(days=3), 3, rules=True)  # warm-up: connections, caches, the zones and tables loaded
    off = run(first, args.batches, rules=False)
    on = run(first + span, args.batches, rules=True)
    queries = queries_per_batch(first + 2 * span)
    derived = on["stored"] - on["sent"]
    rate_off, rate_on = off["sent"] / off["seconds"], on["sent"] / on["seconds"]
    print("tiendo IOC domain-rules benchmark —", time.strftime("%Y-%m-%d %H:%M:%S %Z"))
    for key, value in facts.items():
        print(f"  {key}: {value}")
    print(f"  load average before / after: {start_load} / {loadavg()}")
    print(
        f"  workload: {args.batches} batches × {off['sent'] / args.batches:.0f} readings, one transaction each"
    )
    print(f"  rules off: {off['sent']:.0f} readings in {off['seconds']:.2f} s = {rate_off:,.0f} readings/s")
    print(
        f"  rules on:  {on['sent']:.0f} readings (+{derived:.0f} derived) in {on['seconds']:.2f} s = "
        f"{rate_on:,.0f} readings/s ({rate_on / rate_off:.0%} of off); inside derive {on['derive']:.2f} s "
        f"({on['derive'] / on['seconds']:.0%})"
    )
    print(f"  queries by derive for one batch completing an hour and a day: {queries}")
    print("\nMarkdown:\n")
    print("| Domain rules (ioc/domain) | Readings/s | Derived readings | Time inside derive |")
    print("|---|---|---|---|")
    print(f"| off | {rate_off:,.0f} | – | – |")
    print(
        f"| on | {rate_on:,.0f} ({rate_on / rate_off:.0%}) | {derived:,.0f} | {on['derive']:.2f} s of {on['seconds']:.2f} s |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
