"""The live page's first paint with many devices and a month of hourly rollups.

    .venv/bin/python bench/ioc_page.py [--devices 2000] [--days 30] [--repeat 5] [--no-browser]

1. recreates the PostgreSQL database BENCH_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_ioc; its name must contain "bench"), migrates,
   loads province 51's units, the two shipped plans (the page's wall of indicators) and the IOC
   registry; adds D devices (one PM2.5 series each, spread over the communes, 90 % online, every one
   marked simulated) with D × days × 24 hourly rollups (INSERT … SELECT generate_series) and 50 open
   alerts; the communes' boundaries when ../shared/geo/quang-ngai-communes-2025.geojson is there;
   a viewer at the province signs in (sees them all).
2. starts `tiendo serve` (1 worker) and times, over loopback: GET /ioc/state.json (the snapshot the
   page paints from: every device with its values, the tiles' sparklines from the rollups, the open
   alerts) and GET /ioc/ (the HTML with the indicators' verdicts) — the first request (cold) and the
   median and max of --repeat more; with their sizes.
3. with Chromium at /usr/bin/chromium (unless --no-browser): opens /ioc/ and times until the map has
   drawn every marker and the tiles are there (`#ioc-map[data-ready]`, `#ioc-tiles .ioc-tile`),
   plus the browser's first-contentful-paint.
Prints the machine and the figures, JSON on the last line.

Goal (issue 11): "the live page's first paint with 2,000 devices and 30 days of rollups" — measured
and recorded, no threshold given. Run it short (--devices 200 --days 3) to check that it works.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import _ioc_live as common

CHROMIUM = Path(os.environ.get("TIENDO_CHROMIUM", "/usr/bin/chromium"))
PLANS = ["quang-ngai-2025.yaml", "quang-ngai-2026.yaml"]
# the communes' boundaries the map draws, when the file is beside the checkout (as the tests use it)
GEO = common.ROOT.parent / "shared" / "geo" / "quang-ngai-communes-2025.geojson"


def populate(devices: int, days: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from tiendo.ioc.models import Alert, AlertRule, Device, DeviceMetric, Severity, Subsystem
    from tiendo.orgunits.models import OrgUnit
    from tiendo.plans.services import SHIPPED_PLANS_DIR, plan_load

    started = time.perf_counter()
    for name in PLANS:
        plan_load(path=SHIPPED_PLANS_DIR / name)
    rng = random.Random(11)
    communes = list(OrgUnit.objects.filter(parent__code="51", kind=OrgUnit.Kind.COMMUNE))
    subsystem = Subsystem.objects.get(code="quan-trac-moi-truong")
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    with transaction.atomic():
        created = Device.objects.bulk_create(
            Device(
                code=f"bench-aq-{i:05d}",
                name=f"Trạm đo thử {i}",
                subsystem=subsystem,
                unit=communes[i % len(communes)],
                kind=Device.Kind.AIR_QUALITY,
                latitude=rng.uniform(14.6, 15.4),
                longitude=rng.uniform(108.5, 109.0),
                simulated=True,
                state=Device.State.ONLINE if rng.random() < 0.9 else Device.State.OFFLINE,
                last_seen_at=now,
            )
            for i in range(devices)
        )
        metrics = DeviceMetric.objects.bulk_create(
            DeviceMetric(
                device=d,
                code="pm25",
                name="PM2.5",
                unit_code="GQ",
                last_value=rng.uniform(5, 120),
                last_ts=now,
            )
            for d in created
        )
        rule = AlertRule.objects.create(code="bench-pm25", name="PM2.5 cao", severity=Severity.MAJOR)
        Alert.objects.bulk_create(
            Alert(
                rule=rule,
                device=d,
                unit=d.unit,
                severity=Severity.MAJOR,
                message=f"PM2.5 cao tại {d.name}",
                value=150.0,
                started_at=now,
                last_at=now,
            )
            for d in created[:50]
        )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO ioc_rollup (series_id, grain, bucket, count, total, minimum, maximum)
            SELECT m.id, '1h', b, 12, 12 * (40 + 20 * sin(extract(epoch FROM b) / 7200 + m.id)),
                   15, 70
            FROM ioc_devicemetric m
            CROSS JOIN generate_series(%s::timestamptz - %s * interval '1 day', %s::timestamptz, interval '1 hour') b
            WHERE m.id = ANY(%s)
            """,
            [now, days, now, [m.pk for m in metrics]],
        )
        rollups = cursor.rowcount
        cursor.execute("ANALYZE ioc_rollup; ANALYZE ioc_device; ANALYZE ioc_devicemetric")
    return {"devices": devices, "rollups": rollups, "seconds": round(time.perf_counter() - started, 1)}


def timed_get(base: str, path: str, cookies: dict[str, str], repeat: int) -> dict:
    import httpx

    with httpx.Client(base_url=base, cookies=cookies, timeout=120) as client:
        times, size = [], 0
        for _ in range(repeat + 1):
            started = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                sys.exit(f"GET {path}: {response.status_code}")
            size = len(response.content)
    rest = times[1:] or times
    return {
        "cold_ms": round(times[0], 1),
        "median_ms": round(statistics.median(rest), 1),
        "max_ms": round(max(rest), 1),
        "bytes": size,
    }


def browser_paint(base: str, cookies: dict[str, str]) -> dict | None:
    if not CHROMIUM.exists():
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"]
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_cookies([{"name": k, "value": v, "url": base} for k, v in cookies.items()])
        page = context.new_page()
        page.goto(base + "/ioc/")  # warm: static files cached as a returning operator has them
        page.wait_for_selector("#ioc-map[data-ready='true']", timeout=120_000)
        started = time.perf_counter()
        page.goto(base + "/ioc/")
        page.wait_for_selector("#ioc-map[data-ready='true']", timeout=120_000)
        page.wait_for_selector("#ioc-tiles .ioc-tile")
        ready_ms = (time.perf_counter() - started) * 1000
        fcp = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime || null"
        )
        browser.close()
    return {
        "map_and_tiles_ms": round(ready_ms, 1),
        "first_contentful_paint_ms": round(fcp, 1) if fcp else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--devices", type=int, default=2000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-browser", action="store_true")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", common.DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", common.DEFAULT_REDIS)
    print(f"machine: {common.machine()}")
    common.prepare(database_url, redis_url)
    if GEO.exists():
        env = common.environment(database_url, redis_url)
        subprocess.run(
            [*common.TIENDO, "load-boundaries", str(GEO)], env=env, check=True, stdout=subprocess.DEVNULL
        )
    common.django_setup(database_url, redis_url)
    data = populate(args.devices, args.days)
    data["boundaries"] = GEO.exists()
    print(
        f"data: {data['devices']} devices, {data['rollups']} hourly rollups ({data['seconds']} s to create)"
    )
    cookies = common.viewer_session()
    server, base = common.serve(database_url, redis_url, workers=1)
    try:
        state = timed_get(base, "/ioc/state.json", cookies, args.repeat)
        html = timed_get(base, "/ioc/", cookies, args.repeat)
        paint = None if args.no_browser else browser_paint(base, cookies)
    finally:
        common.stop(server)
    print(
        f"state.json: cold {state['cold_ms']} ms, median {state['median_ms']} ms, max {state['max_ms']} ms, "
        f"{state['bytes'] / 1024:.0f} KiB"
    )
    print(
        f"/ioc/ HTML: cold {html['cold_ms']} ms, median {html['median_ms']} ms, max {html['max_ms']} ms, "
        f"{html['bytes'] / 1024:.0f} KiB"
    )
    if paint:
        print(
            f"Chromium: map and tiles drawn {paint['map_and_tiles_ms']} ms after navigation "
            f"(first contentful paint {paint['first_contentful_paint_ms']} ms)"
        )
    print(json.dumps({"data": data, "state_json": state, "page_html": html, "browser": paint}))


if __name__ == "__main__":
    main()
