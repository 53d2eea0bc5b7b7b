"""What the alert rules cost the ingest path, on PostgreSQL, beside the same ingest without rules.

    .venv/bin/python bench/ioc_alerts.py [--devices 1000] [--readings 100000] [--batch 500] [--breach 0.001]

What it does, in one run:

1. drops and recreates the PostgreSQL database `BENCH_DATABASE_URL` (default
   postgres://postgres@127.0.0.1:5432/tiendo_alerts_bench; its name must contain "bench"), migrates,
   loads the province's units and the shipped IOC registry, and registers D extra air-quality devices
   (pm25, pm10) in Vạn Tường.
2. baseline: R readings through `readings_ingest` (the real path: one transaction per batch of B,
   rollups and the pipeline included) with no rule at all.
3. with rules: the same number of new readings (later times) with 8 rules active — thresholds by
   kind, by subsystem and on one device, a 10-minute duration, a 3-in-a-row repeat, a rate per 5 minutes,
   a no-data rule — and, for each station and minute, a `--breach` chance (default 0.1 %) that an
   episode of 3–15 minutes over the thresholds begins, so alerts are raised and cleared as the run
   goes (every raise writes the alert, its event, the audit row and notifications). `--breach 0.01`
   plays an alert storm; `--breach 0` the rules' cost while nothing breaches.
4. prints the machine, readings/s for both, the overhead, the queries per batch (both), the alerts
   raised and cleared, and a Markdown block for docs/benchmarks.md.

Goal (the issue): the ingest, rules included, at ≥ 50 % of the broker's own floor (the MQTT bench);
this bench isolates the rules' share of it. Only the full-size run says anything about the goal.
Exit status 0 when every reading was stored once; 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/tiendo_alerts_bench"


def recreate_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    if "bench" not in name:
        sys.exit(f"refusing to drop {name!r}: the bench database's name must contain 'bench'")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}"')
        connection.execute(f'CREATE DATABASE "{name}"')


def setup(devices: int) -> None:
    from django.core.management import call_command

    from tiendo.ioc.models import Device, DeviceMetric, Subsystem
    from tiendo.ioc.registry import SHIPPED_REGISTRY, registry_load
    from tiendo.orgunits.models import OrgUnit

    call_command("migrate", verbosity=0)
    call_command("load_units", province=51, stdout=StringIO())
    registry_load(path=SHIPPED_REGISTRY)
    unit = OrgUnit.objects.get(code="21061")
    subsystem = Subsystem.objects.get(code="quan-trac-moi-truong")
    made = Device.objects.bulk_create(
        [
            Device(
                code=f"bench-aq-{n:05d}",
                name=f"Bench {n}",
                subsystem=subsystem,
                unit=unit,
                kind="air_quality",
            )
            for n in range(devices)
        ]
    )
    DeviceMetric.objects.bulk_create(
        [DeviceMetric(device=d, code=m, unit_code="GQ") for d in made for m in ("pm25", "pm10")]
    )


def add_rules() -> None:
    from tiendo.ioc.models import AlertRule, Device, Subsystem

    aq = Subsystem.objects.get(code="quan-trac-moi-truong")
    one = Device.objects.get(code="bench-aq-00000")
    common = {"severity": "major"}
    AlertRule.objects.bulk_create(
        [
            AlertRule(
                code="pm25-kind",
                name="PM2.5 > 50",
                metric="pm25",
                device_kind="air_quality",
                operator=">",
                threshold=50,
                **common,
            ),
            AlertRule(
                code="pm10-subsystem",
                name="PM10 ≥ 150",
                metric="pm10",
                subsystem=aq,
                operator=">=",
                threshold=150,
                **common,
            ),
            AlertRule(
                code="pm25-one",
                name="PM2.5 > 40 (one)",
                metric="pm25",
                device=one,
                operator=">",
                threshold=40,
                **common,
            ),
            AlertRule(
                code="pm25-duration",
                name="PM2.5 > 50 for 10 min",
                metric="pm25",
                operator=">",
                threshold=50,
                duration_seconds=600,
                **common,
            ),
            AlertRule(
                code="pm25-repeat",
                name="PM2.5 > 50 ×3",
                metric="pm25",
                operator=">",
                threshold=50,
                repeat_count=3,
                **common,
            ),
            AlertRule(
                code="pm10-rate",
                name="PM10 +100 / 5 min",
                metric="pm10",
                condition="rate",
                operator=">",
                threshold=100,
                params={"per_minutes": 5},
                **common,
            ),
            AlertRule(code="pm25-low", name="PM2.5 < 0", metric="pm25", operator="<", threshold=0, **common),
            AlertRule(
                code="aq-silent",
                name="im lặng",
                condition="no_data",
                device_kind="air_quality",
                params={"minutes": 30},
                **common,
            ),
        ]
    )


def run(*, devices: int, readings: int, batch: int, breach: float, start: datetime, seed: int) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tiendo.ioc.ingest import IncomingReading, readings_ingest

    rng = random.Random(seed)
    codes = [f"bench-aq-{n:05d}" for n in range(devices)]
    timings: list[float] = []
    stored = 0
    queries = 0
    sent = 0
    step = 0
    # each station hovers around its own level; now and then (probability `breach` a minute) an
    # episode of 3–15 minutes well over the thresholds begins: alerts are raised, then cleared
    level = [rng.uniform(10, 30) for _ in codes]
    episode = [0] * devices
    while sent < readings:
        rows = []
        for _ in range(batch // 2):
            n = (sent // 2) % devices
            ts = start + timedelta(seconds=60 * ((sent // 2) // devices))
            if episode[n] == 0 and rng.random() < breach:
                episode[n] = rng.randint(3, 15)
            high = episode[n] > 0
            episode[n] = max(0, episode[n] - 1)
            pm25 = rng.uniform(60, 90) if high else level[n] + rng.uniform(-2, 2)
            pm10 = rng.uniform(200, 300) if high else 2 * level[n] + rng.uniform(-4, 4)
            rows.append(IncomingReading(codes[n], "pm25", ts, pm25))
            rows.append(IncomingReading(codes[n], "pm10", ts, pm10))
            sent += 2
        now = rows[-1].ts + timedelta(seconds=1)  # type: ignore[operator]
        began = time.perf_counter()
        if step == 3:
            with CaptureQueriesContext(connection) as captured:
                result = readings_ingest(readings=rows, source="bench", now=now)
            queries = len(captured.captured_queries)
        else:
            result = readings_ingest(readings=rows, source="bench", now=now)
        timings.append(time.perf_counter() - began)
        stored += len(result.stored)
        step += 1
    total = sum(timings)
    return {
        "sent": sent,
        "stored": stored,
        "seconds": total,
        "rate": sent / total,
        "p50_ms": statistics.median(timings) * 1000,
        "p95_ms": sorted(timings)[int(0.95 * (len(timings) - 1))] * 1000,
        "queries": queries,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=1000)
    parser.add_argument("--readings", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--breach", type=float, default=0.001)
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    recreate_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tiendo.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from django.db.models import Count

    from tiendo.ioc.models import Alert, Reading

    setup(args.devices)
    start = datetime.now(UTC) - timedelta(days=20)
    span = timedelta(minutes=args.readings // 2 // max(1, args.devices) + 2)
    base = run(
        devices=args.devices,
        readings=args.readings,
        batch=args.batch,
        breach=args.breach,
        start=start,
        seed=1,
    )
    add_rules()
    ruled = run(
        devices=args.devices,
        readings=args.readings,
        batch=args.batch,
        breach=args.breach,
        start=start + span,
        seed=2,
    )
    raised = Alert.objects.count()
    cleared = Alert.objects.filter(status="cleared").count()
    in_db = Reading.objects.count()
    ok = (
        base["stored"] == base["sent"]
        and ruled["stored"] == ruled["sent"]
        and in_db == base["sent"] + ruled["sent"]
    )
    overhead = (base["rate"] / ruled["rate"] - 1) * 100
    machine = f"{platform.node()} · {platform.processor() or platform.machine()} · {os.cpu_count()} cores · Python {platform.python_version()}"
    print(f"machine: {machine}")
    print(
        f"devices {args.devices} (×2 metrics), {args.readings} readings per run, batches of {args.batch}, breach {args.breach:.1%}"
    )
    for label, r in (("no rules", base), ("8 rules", ruled)):
        print(
            f"{label:9}: {r['rate']:,.0f} readings/s, batch p50 {r['p50_ms']:.1f} ms p95 {r['p95_ms']:.1f} ms, "
            f"{r['queries']} queries per batch, stored {r['stored']}/{r['sent']}"
        )
    print(f"overhead of the rules: {overhead:.1f} %; alerts raised {raised}, cleared {cleared}")
    by_rule = Alert.objects.values_list("rule__code").annotate(n=Count("id")).order_by("rule__code")
    print("alerts by rule: " + ", ".join(f"{code} {n}" for code, n in by_rule))
    print(f"every reading stored exactly once: {'yes' if ok else 'NO'}")
    print("\n<!-- bench/ioc_alerts.py -->")
    print(
        f"`.venv/bin/python bench/ioc_alerts.py --devices {args.devices} --readings {args.readings} --batch {args.batch}`\n"
    )
    print("| run | readings/s | batch p50 | batch p95 | queries/batch |\n|---|---:|---:|---:|---:|")
    for label, r in (("no rules", base), ("8 rules", ruled)):
        print(
            f"| {label} | {r['rate']:,.0f} | {r['p50_ms']:.1f} ms | {r['p95_ms']:.1f} ms | {r['queries']} |"
        )
    print(f"\nOverhead {overhead:.1f} %, {raised} alerts raised, {cleared} cleared. Machine: {machine}.")
    print("<!-- /bench/ioc_alerts.py -->")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
