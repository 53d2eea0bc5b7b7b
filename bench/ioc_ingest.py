"""IOC ingest: MQTT (Mosquitto) → `tiendo ingest` → PostgreSQL, beside the broker's own floor, and the
zero-loss run (kill -9 of the consumer and a broker restart mid-stream), in one command.

    .venv/bin/python bench/ioc_ingest.py [--messages 100000] [--zero-loss 30000]

What it does, in one run:

1. drops and recreates the PostgreSQL database `BENCH_DATABASE_URL` (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_mqtt; its name must contain "bench"); `tiendo migrate`,
   `load-units --province 51`, `load-ioc` (the shipped registry).
2. starts a Mosquitto of its own (tiendo/ioc/mosquitto/tiendo.conf: persistence, no queue cap) on a
   free loopback port — never the machine's broker.
3. the floor: a paho publisher (QoS 1, 1,000 in flight) sends M messages to a subscriber in another
   process that only counts them (QoS 1 subscription, automatic PUBACK): messages/s end to end.
4. sustained ingest: the same publisher, the same M messages (one reading each, `{"ts", "value"}`,
   12 air-quality series with plausible concentrations: VN_AQI derived, the shipped rules watching,
   none firing), to `tiendo ingest` (another process, defaults: batches of 2,000 or
   200 ms, Receive Maximum 8,000), until PostgreSQL holds all M rows (commit included): messages/s,
   and its ratio to the floor (goal ≥ 50%).
5. zero loss: a fresh broker with persistence; Z messages published with QoS 1 at --zero-rate/s while
   the consumer is killed with SIGKILL (at 25%), started again (at 35%), and the broker is stopped and
   started again (SIGTERM, at 60%: a clean restart, the broker saves its sessions). The publisher
   retries what was not acknowledged. Counted, not assumed: every publish the broker acknowledged
   (PUBACK) must be in the table exactly once; rows stored that the publisher never saw acknowledged
   are reported too.
6. prints the machine, the figures, the goals, and a Markdown block for docs/benchmarks.md.

Exit status: 0 when every acknowledged message was stored exactly once (both runs), 1 otherwise.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import paho.mqtt.client as paho
import psycopg
from paho.mqtt.enums import CallbackAPIVersion
from psycopg import sql

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))
from tiendo.ioc.mqtt_broker import Mosquitto  # noqa: E402  (no Django needed)

VENV_BIN = ROOT / ".venv" / "bin"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/tiendo_bench_mqtt"
GOAL_RATIO = 0.5
PUBLISHER_INFLIGHT = 1000  # ≤ max_inflight_messages of the shipped broker settings
# the ingest run's series: the two air-quality stations × six pollutants (unit code, device, metric)
INGEST_SERIES = [("21061", "aq-dungquat-01", m) for m in ("pm25", "pm10", "o3", "co", "no2", "so2")] + [
    ("21220", "aq-vsip-01", m) for m in ("pm25", "pm10", "o3", "co", "no2", "so2")
]
ZERO_SERIES = [("21025", "cam-camthanh-01", "vehicles"), ("21061", "cam-vantuong-01", "vehicles")]


class BenchError(Exception):
    pass


def log(message: str = "") -> None:
    print(message, flush=True)


# ---------------------------------------------------------------------------------------- machine


def machine_facts(pg_version: str, mosquitto: str) -> dict[str, str]:
    cpu, ram = "unknown", "unknown"
    try:
        cpu = next(
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.lower().startswith("model name")
        )
        kib = next(
            int(line.split()[1])
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal:")
        )
        ram = f"{kib / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration):
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
        "Mosquitto": mosquitto,
        "packages": ", ".join(f"{n} {version(n)}" for n in ("Django", "paho-mqtt", "psycopg")),
    }


def loadavg() -> str:
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "?"


def mosquitto_version(binary: str) -> str:
    try:
        out = subprocess.run([binary, "-h"], capture_output=True, text=True, timeout=5).stdout
        return out.splitlines()[0].strip()
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


# ---------------------------------------------------------------------------------------- database


def prepare_database(url: str, env: dict[str, str]) -> str:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if "bench" not in name:
        raise SystemExit(f"refusing to drop database {name!r}: its name must contain 'bench'")
    maintenance = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(maintenance, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        version = conn.execute("SHOW server_version").fetchone()[0]
    tiendo = str(VENV_BIN / "tiendo") if (VENV_BIN / "tiendo").exists() else "tiendo"
    for step in (["migrate", "-v0"], ["load-units", "--province", "51"], ["load-ioc"]):
        started = time.perf_counter()
        done = subprocess.run([tiendo, *step], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode:
            raise BenchError(f"tiendo {' '.join(step)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
        log(f"  tiendo {' '.join(step):<28} {time.perf_counter() - started:6.1f} s")
    return f"PostgreSQL {version}"


def series_ids(url: str, series: list[tuple[str, str, str]]) -> list[int]:
    with psycopg.connect(url) as conn:
        ids = []
        for _unit, device, metric in series:
            row = conn.execute(
                "SELECT m.id FROM ioc_devicemetric m JOIN ioc_device d ON d.id = m.device_id "
                "WHERE d.code = %s AND m.code = %s",
                [device, metric],
            ).fetchone()
            if row is None:
                raise BenchError(f"series {device}/{metric} missing: is the registry loaded?")
            ids.append(row[0])
        return ids


def stored_count(conn: psycopg.Connection, ids: list[int]) -> int:
    return conn.execute("SELECT count(*) FROM ioc_reading WHERE series_id = ANY(%s)", [ids]).fetchone()[0]


# ---------------------------------------------------------------------------------------- messages


def messages(
    count: int, series: list[tuple[str, str, str]], start: datetime, *, plausible: bool = False
) -> list[tuple[str, bytes]]:
    """(topic, payload) with a distinct (series, ts) each: message i's value is i, or with `plausible`
    a concentration of 5–44 (the air of an ordinary day: VN_AQI is derived, no alert rule fires —
    bench/ioc_alerts.py measures what alerts cost)."""
    out = []
    for i in range(count):
        unit, device, metric = series[i % len(series)]
        ts = (start + timedelta(milliseconds=10 * (i // len(series)))).isoformat(timespec="milliseconds")
        value = 5 + i % 40 if plausible else i
        out.append((f"tiendo/{unit}/{device}/{metric}", json.dumps({"ts": ts, "value": value}).encode()))
    return out


class Publisher:
    """paho, MQTT v5, QoS 1; counts PUBACKs (success codes only) and remembers which ones."""

    def __init__(self, port: int, client_id: str) -> None:
        self.acked: set[int] = set()
        self.failed = 0
        self._by_mid: dict[int, int] = {}
        self._early: dict[int, bool] = {}
        self._lock = threading.Lock()
        self._answered = threading.Condition(self._lock)
        self.published = 0
        self.answers = 0  # PUBACKs of any kind (an index published twice is answered twice)
        self.client = paho.Client(
            callback_api_version=CallbackAPIVersion.VERSION2, client_id=client_id, protocol=paho.MQTTv5
        )
        # the window is ours (publish() waits while PUBLISHER_INFLIGHT are unanswered): paho's own
        # limit would walk its whole outgoing queue on every PUBACK
        self.client.max_inflight_messages_set(0)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self.client.on_publish = self._on_publish
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()
        deadline = time.monotonic() + 10
        while not self.client.is_connected():
            if time.monotonic() > deadline:
                raise BenchError("the publisher could not connect")
            time.sleep(0.01)

    # paho calls on_publish holding its own lock, which publish() takes too: never hold ours around
    # publish(); a PUBACK that arrives before publish() has returned waits in _early.
    def _on_publish(self, _client, _userdata, mid, reason, _props) -> None:
        with self._lock:
            index = self._by_mid.pop(mid, None)
            if index is None:
                self._early[mid] = reason.is_failure
            else:
                self._count(index, reason.is_failure)

    def _count(self, index: int, failed: bool) -> None:
        if failed:
            self.failed += 1
        else:
            self.acked.add(index)
        self.answers += 1
        self._answered.notify()

    def publish(self, index: int, topic: str, payload: bytes) -> None:
        # never more than the in-flight window outstanding (the broker's max_inflight_messages): with
        # 100,000 messages queued in paho the floor's publisher stalled at ~67,000
        if self.published - self.answers >= PUBLISHER_INFLIGHT:
            with self._answered:
                self._answered.wait_for(
                    lambda: self.published - self.answers < PUBLISHER_INFLIGHT, timeout=30
                )
        self.published += 1
        info = self.client.publish(topic, payload, qos=1)
        with self._lock:
            if info.mid in self._early:
                self._count(index, self._early.pop(info.mid))
            else:
                self._by_mid[info.mid] = index

    def wait_all(self, total: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while len(self.acked) + self.failed < total and time.monotonic() < deadline:
            time.sleep(0.02)
        return len(self.acked) + self.failed >= total

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


# ---------------------------------------------------------------------------------------- floor


COUNTER = """
import sys, time
import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.subscribeoptions import SubscribeOptions
port, total = int(sys.argv[1]), int(sys.argv[2])
seen = 0
def on_connect(client, userdata, flags, reason, props):
    client.subscribe("$share/floor/tiendo/+/+/+", options=SubscribeOptions(qos=1))
def on_subscribe(client, userdata, mid, reasons, props):
    print("ready", flush=True)
def on_message(client, userdata, message):
    global seen
    seen += 1
    if seen == total:
        print(f"done {time.time():.6f}", flush=True)
client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2, client_id="bench-floor-counter",
                     protocol=paho.MQTTv5)
client.on_connect, client.on_subscribe, client.on_message = on_connect, on_subscribe, on_message
client.connect("127.0.0.1", port, clean_start=True)
client.loop_forever()
"""


def floor_run(port: int, batch: list[tuple[str, bytes]], timeout: float) -> dict[str, float]:
    counter = subprocess.Popen(
        [sys.executable, "-c", COUNTER, str(port), str(len(batch))], stdout=subprocess.PIPE, text=True
    )
    try:
        assert counter.stdout is not None
        if counter.stdout.readline().strip() != "ready":
            raise BenchError("the counting subscriber did not subscribe")
        publisher = Publisher(port, "bench-floor-publisher")
        started = time.time()
        for index, (topic, payload) in enumerate(batch):
            publisher.publish(index, topic, payload)
        publish_done = time.time() - started
        result: list[str] = []

        def read() -> None:
            result.append(counter.stdout.readline() if counter.stdout else "")

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        line = result[0].strip() if result else ""
        publisher.close()
        if not line.startswith("done "):
            raise BenchError(
                f"the counting subscriber did not receive {len(batch)} messages in {timeout:.0f} s"
            )
        wall = float(line.split()[1]) - started
        return {"messages": len(batch), "seconds": wall, "rate": len(batch) / wall, "publish_s": publish_done}
    finally:
        counter.kill()
        counter.wait()


# ---------------------------------------------------------------------------------------- ingest


def start_consumer(
    port: int, client_id: str, env: dict[str, str], log_path: Path, extra: list[str]
) -> subprocess.Popen:
    tiendo = str(VENV_BIN / "tiendo") if (VENV_BIN / "tiendo").exists() else "tiendo"
    handle = open(log_path, "ab")
    return subprocess.Popen(
        [tiendo, "ingest", "--port", str(port), "--client-id", client_id, "--stats-every", "5", *extra],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )


def stop_consumer(consumer: subprocess.Popen) -> int:
    if consumer.poll() is None:
        consumer.send_signal(signal.SIGTERM)
        try:
            consumer.wait(timeout=30)
        except subprocess.TimeoutExpired:
            consumer.kill()
            consumer.wait()
    return consumer.returncode


def wait_rows(
    conn: psycopg.Connection, ids: list[int], total: int, timeout: float, every: float = 0.1
) -> tuple[int, float]:
    started = time.time()
    count = 0
    while time.time() - started < timeout:
        count = stored_count(conn, ids)
        if count >= total:
            return count, time.time()
        time.sleep(every)
    return count, time.time()


def warm_up(port: int, conn: psycopg.Connection, ids: list[int], timeout: float = 60) -> None:
    """One reading through the consumer: it is connected, subscribed and has its database connection."""
    publisher = Publisher(port, "bench-warm-up")
    unit, device, metric = INGEST_SERIES[0]
    ts = (datetime.now(UTC) - timedelta(days=3)).isoformat()
    before = stored_count(conn, ids)
    deadline = time.monotonic() + timeout
    while stored_count(conn, ids) == before:
        if time.monotonic() > deadline:
            raise BenchError("the consumer did not store the warm-up reading")
        publisher.publish(-1, f"tiendo/{unit}/{device}/{metric}", json.dumps({"ts": ts, "value": 1}).encode())
        time.sleep(0.5)
    publisher.close()


def ingest_run(
    port: int,
    env: dict[str, str],
    url: str,
    batch: list[tuple[str, bytes]],
    tmp: Path,
    extra: list[str],
    timeout: float,
    consumers: int = 1,
) -> dict:
    ids = series_ids(url, INGEST_SERIES)
    if consumers == 1:
        logs = [tmp / "ingest.log"]
        processes = [start_consumer(port, "bench-ingest", env, logs[0], extra)]
    else:  # several processes share the load through one shared subscription
        logs = [tmp / f"ingest-{n}.log" for n in range(1, consumers + 1)]
        processes = [
            start_consumer(port, f"bench-ingest-{n}", env, path, [*extra, "--group", "bench"])
            for n, path in enumerate(logs, start=1)
        ]
    try:
        deadline = time.monotonic() + 60
        while not all(path.exists() and consumer_subscribed(path) for path in logs):
            if time.monotonic() > deadline:
                raise BenchError("the ingest consumers did not subscribe")
            time.sleep(0.1)
        with psycopg.connect(url, autocommit=True) as conn:
            warm_up(port, conn, ids)
            base = stored_count(conn, ids)
            publisher = Publisher(port, "bench-ingest-publisher")
            started = time.time()
            for index, (topic, payload) in enumerate(batch):
                publisher.publish(index, topic, payload)
            publish_done = time.time() - started
            count, finished = wait_rows(conn, ids, base + len(batch), timeout)
            publisher.wait_all(len(batch), 30)
            publisher.close()
            wall = finished - started
            stored = count - base
            ok = stored == len(batch) and len(publisher.acked) == len(batch)
            return {
                "messages": len(batch),
                "stored": stored,
                "acked": len(publisher.acked),
                "seconds": wall,
                "rate": stored / wall,
                "publish_s": publish_done,
                "ok": ok,
            }
    finally:
        for process, path in zip(processes, logs, strict=True):
            stop_consumer(process)
            lines = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
            log(f"  consumer {path.stem}: " + (lines[-1][:180] if lines else "(no log)"))


def consumer_subscribed(log_path: Path) -> int:
    return log_path.read_text(errors="replace").count("subscribed")


def zero_loss_run(
    env: dict[str, str], url: str, total: int, rate: float, tmp: Path, extra: list[str], timeout: float
) -> dict:
    broker = Mosquitto(tmp / "zero-broker").start()
    ids = series_ids(url, ZERO_SERIES)
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=2)
    batch = messages(total, ZERO_SERIES, start)
    log_path = tmp / "zero-consumer.log"
    events: list[str] = []
    consumer = start_consumer(broker.port, "bench-zero", env, log_path, extra)
    publisher: Publisher | None = None
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            # the consumer's session and subscription exist before the first publish
            deadline = time.monotonic() + 30
            while "subscribed" not in log_path.read_text(errors="replace"):
                if time.monotonic() > deadline:
                    raise BenchError("the zero-loss consumer did not connect")
                time.sleep(0.1)
            publisher = Publisher(broker.port, "bench-zero-publisher")
            kill_at, restart_at, broker_at = int(total * 0.25), int(total * 0.35), int(total * 0.6)
            started, restarted = time.monotonic(), False
            for index, (topic, payload) in enumerate(batch):
                if index == kill_at:
                    consumer.send_signal(signal.SIGKILL)
                    consumer.wait()
                    events.append(
                        f"consumer killed (SIGKILL) at message {index:,}, {stored_count(conn, ids):,} rows stored"
                    )
                elif index == restart_at:
                    consumer = start_consumer(broker.port, "bench-zero", env, log_path, extra)
                    events.append(f"consumer started again at message {index:,}")
                elif index >= broker_at and not restarted and consumer_subscribed(log_path) >= 2:
                    # while the consumer started again is connected and has messages in hand
                    broker.restart()
                    restarted = True
                    events.append(
                        f"broker stopped (SIGTERM) and started again at message {index:,}, "
                        f"{len(publisher.acked):,} acknowledged so far, {stored_count(conn, ids):,} rows stored"
                    )
                publisher.publish(index, topic, payload)
                due = started + (index + 1) / rate
                pause = due - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
            if not restarted:
                broker.restart()
                events.append("broker stopped (SIGTERM) and started again after the last message")
            all_answered = publisher.wait_all(total, timeout)
            acked = set(publisher.acked)
            count, _finished = wait_rows(conn, ids, total, timeout, every=0.25)
            time.sleep(1.0)  # a double would arrive now
            rows = conn.execute(
                "SELECT value, count(*) OVER (PARTITION BY series_id, ts) FROM ioc_reading WHERE series_id = ANY(%s)",
                [ids],
            ).fetchall()
        stored_values = [int(value) for value, _n in rows]
        stored_set = set(stored_values)
        missing = sorted(acked - stored_set)
        duplicated = len(stored_values) - len(stored_set)
        return {
            "published": total,
            "acked": len(acked),
            "failed": publisher.failed,
            "all_answered": all_answered,
            "stored": len(stored_values),
            "missing": len(missing),
            "missing_sample": missing[:10],
            "duplicated": duplicated,
            "extra": len(stored_set - acked),
            "events": events,
            "ok": not missing and duplicated == 0 and len(acked) == total == len(stored_set),
        }
    finally:
        if publisher is not None:
            publisher.close()
        stop_consumer(consumer)
        broker.stop()
        shutil.copy(log_path, tmp / "zero-consumer.kept.log")


# ---------------------------------------------------------------------------------------- main


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000, help="messages of the floor and ingest runs")
    parser.add_argument("--zero-loss", type=int, default=30_000, help="messages of the zero-loss run")
    parser.add_argument(
        "--zero-rate", type=float, default=2000.0, help="messages/s published in the zero-loss run"
    )
    parser.add_argument("--batch-size", type=int, default=2000)
    parser.add_argument("--batch-ms", type=int, default=200)
    parser.add_argument("--receive-maximum", type=int, default=8000)
    parser.add_argument(
        "--consumers",
        type=int,
        default=1,
        help="ingest processes; more than one share the load through $share/bench/… (the zero-loss run keeps one)",
    )
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds each run may take")
    parser.add_argument(
        "--keep", action="store_true", help="keep the broker and consumer logs (printed path)"
    )
    args = parser.parse_args()
    if args.messages < 1 or args.zero_loss < 10 or args.zero_rate <= 0 or args.consumers < 1:
        parser.error("sizes must be positive (--zero-loss ≥ 10)")
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "tiendo.settings"}
    extra = ["--batch-size", str(args.batch_size), "--batch-ms", str(args.batch_ms)]
    extra += ["--receive-maximum", str(args.receive_maximum)]
    tmp = Path(tempfile.mkdtemp(prefix="tiendo-bench-ioc-"))
    broker: Mosquitto | None = None
    try:
        log("Preparing the database")
        pg_version = prepare_database(url, env)
        broker = Mosquitto(tmp / "broker").start()
        facts = machine_facts(pg_version, mosquitto_version(broker.binary))
        load_start = loadavg()
        log("\nMachine")
        for key, value in facts.items():
            log(f"  {key:<10} {value}")
        start = datetime.now(UTC).replace(microsecond=0) - timedelta(days=1)
        batch = messages(args.messages, INGEST_SERIES, start, plausible=True)

        log(
            f"\n1. Broker floor: {args.messages:,} messages, paho publisher QoS 1 → subscriber that only counts"
        )
        floor = floor_run(broker.port, batch, args.timeout)
        log(
            f"   {floor['rate']:,.0f} messages/s ({floor['seconds']:.2f} s; publisher done in {floor['publish_s']:.2f} s)"
        )

        log(
            f"\n2. Sustained ingest: the same {args.messages:,} messages → tiendo ingest → PostgreSQL (commit included)"
        )
        ingest = ingest_run(broker.port, env, url, batch, tmp, extra, args.timeout, args.consumers)
        ratio = ingest["rate"] / floor["rate"]
        log(
            f"   {ingest['rate']:,.0f} messages/s ({ingest['seconds']:.2f} s), {ingest['stored']:,} rows for "
            f"{ingest['messages']:,} messages, {ingest['acked']:,} acknowledged; {ratio:.0%} of the floor"
        )
        broker.stop()
        broker = None

        log(
            f"\n3. Zero loss: {args.zero_loss:,} messages at {args.zero_rate:,.0f}/s; kill -9 of the consumer, broker restart"
        )
        zero = zero_loss_run(env, url, args.zero_loss, args.zero_rate, tmp, extra, args.timeout)
        for event in zero["events"]:
            log(f"   {event}")
        log(
            f"   published {zero['published']:,}, acknowledged by the broker {zero['acked']:,} (refused "
            f"{zero['failed']}), stored {zero['stored']:,}: missing {zero['missing']} "
            f"{zero['missing_sample'] or ''}, duplicated {zero['duplicated']}, stored without a PUBACK seen {zero['extra']}"
        )
        load_end = loadavg()

        full = args.messages >= 100_000 and args.zero_loss >= 30_000
        goals = [
            (f"ingest ≥ {GOAL_RATIO:.0%} of the broker's floor (QoS 1)", ratio >= GOAL_RATIO, f"{ratio:.0%}"),
            (
                "every message of the ingest run stored once",
                ingest["ok"],
                f"{ingest['stored']:,}/{ingest['messages']:,}",
            ),
            (
                "zero loss: every acknowledged publish stored exactly once",
                zero["ok"],
                f"{zero['stored']:,} rows for {zero['acked']:,} acknowledged, {zero['missing']} missing, "
                f"{zero['duplicated']} duplicated",
            ),
        ]
        log("\nGoals")
        for name, met, measured in goals:
            verdict = "MET" if met else "NOT MET"
            if not full:
                verdict += " (short run)"
            log(f"  {name:<58} {verdict:<8} {measured}")
        log(f"  load avg {load_start} → {load_end}")

        md = [f"### IOC ingest (MQTT → PostgreSQL) — {time.strftime('%Y-%m-%d')}", ""]
        md.append(
            f"`.venv/bin/python bench/ioc_ingest.py --messages {args.messages} --zero-loss {args.zero_loss} "
            f"--zero-rate {args.zero_rate:g}"
            + (f" --consumers {args.consumers}" if args.consumers > 1 else "")
            + "`"
        )
        md += ["", "| machine | |", "| --- | --- |"]
        md += [f"| {key} | {value} |" for key, value in facts.items()]
        md.append(f"| load average (start → end) | {load_start} → {load_end} |")
        md.append(
            f"| consumer | `tiendo ingest --batch-size {args.batch_size} --batch-ms {args.batch_ms} "
            f"--receive-maximum {args.receive_maximum}`, "
            + (
                "one process"
                if args.consumers == 1
                else f"{args.consumers} processes sharing `$share/bench/tiendo/+/+/+` (the zero-loss run: one)"
            )
            + ", PostgreSQL on the same machine |"
        )
        md += ["", "| measurement | result | baseline in the same run |", "| --- | --- | --- |"]
        md.append(
            f"| {args.messages:,} QoS 1 messages → tiendo ingest → PostgreSQL, commit included | "
            f"{ingest['rate']:,.0f} msg/s ({ingest['seconds']:.1f} s), {ingest['stored']:,} rows | broker floor "
            f"(paho publisher → counting subscriber): {floor['rate']:,.0f} msg/s; ingest = {ratio:.0%} of it |"
        )
        md.append(
            f"| zero loss: {args.zero_loss:,} QoS 1 messages, kill -9 of the consumer and a broker restart | "
            f"{zero['acked']:,} acknowledged, {zero['stored']:,} stored, {zero['missing']} missing, "
            f"{zero['duplicated']} duplicated | |"
        )
        md += ["", "| goal | met |", "| --- | --- |"]
        md += [
            f"| {name} | {'yes' if met else 'no'} ({measured}){'' if full else ' — short run'} |"
            for name, met, measured in goals
        ]
        log("\nMarkdown for docs/benchmarks.md:\n")
        log("<!-- bench/ioc_ingest.py -->")
        log("\n".join(md))
        log("<!-- /bench/ioc_ingest.py -->")
        return 0 if ingest["ok"] and zero["ok"] else 1
    except BenchError as exc:
        log(f"\nFAILED: {exc}")
        return 1
    except Exception:
        log("\nFAILED with an exception:\n" + traceback.format_exc())
        return 1
    finally:
        if broker is not None:
            broker.stop()
        if args.keep:
            log(f"\nlogs kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
