"""Alert latency: a reading published over MQTT → `tiendo ingest` commits it → the shipped rules raise
(or clear) an alert → the event reaches an SSE client of `tiendo serve`, quiet and under ingest load.

    .venv/bin/python bench/ioc_alert_latency.py [--cycles 30] [--load-rate 2500]

1. recreates the PostgreSQL database BENCH_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_latency; its name must contain "bench"), migrates,
   loads province 51's units, the shipped IOC registry and its alert rules; a viewer at the province.
2. starts a Mosquitto of its own (the shipped settings, a free loopback port), `tiendo ingest` (defaults:
   batches of 2,000 or 200 ms) and `tiendo serve --workers 2`, both with TIENDO_REDIS_URL
   (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13); one SSE client reads /ioc/stream.
3. the baseline, quiet: C cycles of "the Trà Khúc gauge reads 7.0 m" (above alarm level III: three
   alerts raised) then "2.0 m" (below level I: the three cleared by themselves), QoS 1. Latency =
   the SSE client's arrival of the third alert event − the publish (same machine, same clock).
4. the same C cycles while a second publisher sends air-quality readings (12 series, QoS 1, their
   VN_AQI derived) at --load-rate messages/s; the rows the consumer stored in that time are counted.
5. prints the machine, p50 / p95 / max of both, the load reached; JSON on the last line. Exit 1 when
   an alert event did not arrive within 10 s.

Goal (issue 11): p95 ≤ 1 s under load.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import _ioc_live as common

from tiendo.ioc.mqtt_broker import Mosquitto

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_latency"
DEFAULT_REDIS = "redis://127.0.0.1:6379/13"
GAUGE_TOPIC = "tiendo/21025/wl-trakhuc-01/water_level"
LEVEL_RULES = {"muc-nuoc-bao-dong-1", "muc-nuoc-bao-dong-2", "muc-nuoc-bao-dong-3"}
LOAD_SERIES = [("21061", "aq-dungquat-01", m) for m in ("pm25", "pm10", "o3", "co", "no2", "so2")] + [
    ("21220", "aq-vsip-01", m) for m in ("pm25", "pm10", "o3", "co", "no2", "so2")
]
QUIET_VALUE = {"pm25": 12.0, "pm10": 30.0, "o3": 40.0, "co": 900.0, "no2": 20.0, "so2": 10.0}


class SseClient(threading.Thread):
    """Reads /ioc/stream; every alert event goes to `alerts` with its arrival time (wall clock)."""

    def __init__(self, base: str, cookies: dict[str, str]) -> None:
        super().__init__(daemon=True)
        self.base, self.cookies = base, cookies
        self.alerts: queue.Queue[tuple[float, dict]] = queue.Queue()
        self.open = threading.Event()
        self.error = ""

    def run(self) -> None:
        while True:  # the server ends each stream after 10 minutes; the client reconnects
            try:
                with httpx.stream(
                    "GET", self.base + "/ioc/stream", cookies=self.cookies, timeout=None
                ) as response:
                    if response.status_code != 200:
                        self.error = f"HTTP {response.status_code}"
                        self.open.set()
                        return
                    self.open.set()
                    for line in response.iter_lines():
                        if line.startswith("data: "):
                            data = json.loads(line[6:])
                            if data.get("type") == "alert":
                                self.alerts.put((time.time(), data))
            except httpx.HTTPError as exc:
                self.error = str(exc)
                time.sleep(0.5)


def connect(port: int, client_id: str) -> paho.Client:
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
    )
    client.max_inflight_messages_set(1000)
    client.connect("127.0.0.1", port)
    client.loop_start()
    return client


def load(port: int, rate: float, stop: threading.Event, sent: list[int]) -> None:
    """Air-quality readings at `rate` messages/s, each series' times one millisecond apart."""
    client = connect(port, "bench-load")
    base = datetime.now(UTC) - timedelta(hours=6)
    started, count = time.monotonic(), 0
    while not stop.is_set():
        due = started + count / rate
        pause = due - time.monotonic()
        if pause > 0:
            time.sleep(pause)
        unit, device, metric = LOAD_SERIES[count % len(LOAD_SERIES)]
        ts = base + timedelta(milliseconds=count // len(LOAD_SERIES))
        payload = json.dumps({"ts": ts.isoformat(), "value": QUIET_VALUE[metric]})
        client.publish(f"tiendo/{unit}/{device}/{metric}", payload, qos=1)
        count += 1
    sent.append(count)
    client.loop_stop()
    client.disconnect()


def cycles(publisher: paho.Client, sse: SseClient, count: int) -> tuple[list[float], list[str]]:
    """`count` × (raise the three alarms, clear them): each latency in ms, and what went wrong."""
    latencies, problems = [], []
    for _ in range(count):
        for level, status in ((7.0, "active"), (2.0, "cleared")):
            payload = json.dumps({"ts": datetime.now(UTC).isoformat(), "value": level})
            published = time.time()
            publisher.publish(GAUGE_TOPIC, payload, qos=1)
            seen: set[str] = set()
            deadline = time.monotonic() + 10
            while seen != LEVEL_RULES and time.monotonic() < deadline:
                try:
                    arrived, event = sse.alerts.get(timeout=max(0.01, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if event.get("status") == status and event.get("rule") in LEVEL_RULES:
                    seen.add(event["rule"])
                    if seen == LEVEL_RULES:
                        latencies.append((arrived - published) * 1000)
            if seen != LEVEL_RULES:
                problems.append(f"{status}: only {sorted(seen)} within 10 s")
            time.sleep(0.3)
    return latencies, problems


def summary(values: list[float]) -> dict[str, float | None]:
    return {
        "n": len(values),
        "p50": round(common.percentile(values, 0.50), 1) if values else None,
        "p95": round(common.percentile(values, 0.95), 1) if values else None,
        "max": round(max(values), 1) if values else None,
    }


def readings_stored() -> int:
    from tiendo.ioc.models import Reading

    return Reading.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cycles", type=int, default=30)
    parser.add_argument("--load-rate", type=float, default=2500.0, help="air-quality messages per second")
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS)
    print(f"machine: {common.machine()}", flush=True)
    common.prepare(database_url, redis_url)
    common.django_setup(database_url, redis_url)
    cookies = common.viewer_session()

    workdir = Path(tempfile.mkdtemp(prefix="tiendo-bench-latency-"))
    broker = Mosquitto(workdir / "broker").start()
    env = {**common.environment(database_url, redis_url), "TIENDO_MQTT_PORT": str(broker.port)}
    ingest = subprocess.Popen(
        [*common.TIENDO, "ingest", "--client-id", "bench-latency-ingest"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "ingest.log", "wb"),
    )
    server, base = common.serve(database_url, redis_url, workers=2)
    publisher = connect(broker.port, "bench-gauge")
    result: dict = {"cycles": args.cycles, "load_rate": args.load_rate}
    try:
        # the consumer is ready once a probe reading is stored
        probe = json.dumps({"ts": (datetime.now(UTC) - timedelta(days=1)).isoformat(), "value": 1.0})
        deadline = time.monotonic() + 60
        while readings_stored() == 0:
            if time.monotonic() > deadline or ingest.poll() is not None:
                sys.exit(
                    f"tiendo ingest did not store a probe: {(workdir / 'ingest.log').read_text()[-2000:]}"
                )
            publisher.publish(GAUGE_TOPIC, probe, qos=1)
            time.sleep(0.5)
        sse = SseClient(base, cookies)
        sse.start()
        if not sse.open.wait(30) or sse.error:
            sys.exit(f"the SSE stream did not open: {sse.error}")
        time.sleep(1)

        quiet, quiet_problems = cycles(publisher, sse, args.cycles)
        print(f"quiet: {summary(quiet)}", flush=True)

        stop, sent = threading.Event(), []
        before = readings_stored()
        loader = threading.Thread(target=load, args=(broker.port, args.load_rate, stop, sent))
        started = time.monotonic()
        loader.start()
        time.sleep(3)  # the load is running before the first cycle
        loaded, loaded_problems = cycles(publisher, sse, args.cycles)
        stop.set()
        loader.join()
        elapsed = time.monotonic() - started
        stored_during = readings_stored() - before
        print(f"under load: {summary(loaded)}", flush=True)
        result.update(
            quiet_ms=summary(quiet),
            loaded_ms=summary(loaded),
            load_seconds=round(elapsed, 1),
            load_sent=sent[0] if sent else 0,
            load_sent_per_s=round((sent[0] if sent else 0) / elapsed),
            stored_during_load=stored_during,
            stored_per_s_during_load=round(stored_during / elapsed),
            problems=quiet_problems + loaded_problems,
        )
    finally:
        publisher.loop_stop()
        publisher.disconnect()
        common.stop(server)
        common.stop(ingest)  # SIGTERM: the consumer commits what it holds, then leaves
        broker.stop()

    quiet_ms, loaded_ms = result["quiet_ms"], result["loaded_ms"]
    print()
    print("| measure | quiet (baseline) | under load |")
    print("| --- | --- | --- |")
    print(f"| alert latency p50 | {quiet_ms['p50']} ms | {loaded_ms['p50']} ms |")
    print(f"| alert latency p95 | {quiet_ms['p95']} ms | {loaded_ms['p95']} ms |")
    print(f"| alert latency max | {quiet_ms['max']} ms | {loaded_ms['max']} ms |")
    print(f"| alert events timed | {quiet_ms['n']} | {loaded_ms['n']} |")
    print(
        f"| load | — | {result['load_sent_per_s']} msg/s sent, {result['stored_per_s_during_load']} "
        f"readings/s stored ({result['load_seconds']} s) |"
    )
    met = loaded_ms["p95"] is not None and loaded_ms["p95"] <= 1000
    print(f"\ngoal p95 ≤ 1 s under load: {'met' if met else 'NOT met'}")
    for problem in result["problems"]:
        print(f"problem: {problem}")
    print(json.dumps(result))
    sys.exit(0 if not result["problems"] else 1)


if __name__ == "__main__":
    main()
