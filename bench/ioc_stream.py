"""Many SSE subscribers on /ioc/stream: delivery latency from publish to receive, server memory.

    .venv/bin/python bench/ioc_stream.py [--subscribers 500] [--events 200] [--rate 20] [--workers 2]

1. recreates the PostgreSQL database BENCH_DATABASE_URL (default
   postgres://postgres@127.0.0.1:5432/tiendo_bench_ioc; its name must contain "bench"), migrates,
   loads province 51's units and the shipped IOC registry; a viewer at the province signs in.
2. starts `tiendo serve --workers W` with TIENDO_REDIS_URL (BENCH_REDIS_URL, default
   redis://127.0.0.1:6379/12) and measures its memory (RSS of the server and its workers, /proc).
3. opens S subscribers on loopback (raw asyncio sockets, HTTP/1.1 chunked, as an EventSource does),
   waits until each has its stream open, measures memory again.
4. publishes E reading events at R per second from this process through `live.publish_many`
   (one XADD each, like the ingest after a commit), each stamped with its wall-clock publish time;
   every subscriber notes when each arrives. Latency = arrival − publish (same machine, same clock).
5. prints the machine, delivered / expected, latency p50 / p95 / p99 / max, memory before, with the
   subscribers, after the events; JSON on the last line. Exit 1 when an event was not delivered to
   every subscriber within 10 s of the last publish.

Goal (issue 11): 500 concurrent subscribers, bounded; report p95 and the server's memory. Run it
short (--subscribers 50 --events 20) to check that it works; the full run is the coordinator's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "src"))

import _ioc_live as common

DEVICE = "aq-dungquat-01"


class Subscriber:
    def __init__(self, host: str, port: int, cookie: str) -> None:
        self.host, self.port, self.cookie = host, port, cookie
        self.open = asyncio.Event()
        self.arrivals: dict[int, float] = {}  # event's sequence number → arrival (wall clock)
        self.error: str = ""

    async def run(self) -> None:
        try:
            reader, writer = await asyncio.open_connection(self.host, self.port)
        except OSError as exc:
            self.error = str(exc)
            self.open.set()
            return
        writer.write(
            (
                f"GET /ioc/stream HTTP/1.1\r\nHost: {self.host}:{self.port}\r\nAccept: text/event-stream\r\n"
                f"Cookie: {self.cookie}\r\nCache-Control: no-cache\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        status = await reader.readline()
        if b" 200 " not in status:
            self.error = status.decode(errors="replace").strip()
            self.open.set()
            return
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        buffer = b""
        try:
            while True:
                size_line = await reader.readline()
                if not size_line:
                    return
                size = int(size_line.strip() or b"0", 16)
                if size == 0:
                    return
                chunk = await reader.readexactly(size + 2)
                now = time.time()
                buffer += chunk[:-2]
                while b"\n\n" in buffer:
                    frame, buffer = buffer.split(b"\n\n", 1)
                    self.frame(frame, now)
        except (asyncio.CancelledError, ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    def frame(self, frame: bytes, now: float) -> None:
        if frame.startswith(b"retry:"):
            self.open.set()
            return
        for line in frame.split(b"\n"):
            if line.startswith(b"data: "):
                data = json.loads(line[6:])
                if "bench_seq" in data:
                    self.arrivals[data["bench_seq"]] = now - data["bench_t"]


async def run(args: argparse.Namespace, base: str, cookie: str) -> dict:
    from asgiref.sync import sync_to_async

    from tiendo.ioc import live

    host, port = base.removeprefix("http://").split(":")
    subscribers = [Subscriber(host, int(port), cookie) for _ in range(args.subscribers)]
    tasks = []
    for index, subscriber in enumerate(subscribers):
        tasks.append(asyncio.create_task(subscriber.run()))
        if index % 50 == 49:
            await asyncio.sleep(0.05)  # no thundering herd of accepts
    await asyncio.wait_for(asyncio.gather(*(s.open.wait() for s in subscribers)), 120)
    failed = [s.error for s in subscribers if s.error]
    await asyncio.sleep(1)
    memory_connected = common.rss_mib(args.server_pid)
    publish = sync_to_async(live.publish_many, thread_sensitive=True)
    started = time.monotonic()
    for seq in range(args.events):
        due = started + seq / args.rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        event = {
            "type": "reading",
            "device": DEVICE,
            "metric": "pm25",
            "ts": "2026-12-03T08:00:00+07:00",
            "value": float(seq),
            "bench_seq": seq,
            "bench_t": time.time(),
        }
        ids = await publish([event])
        if not ids[0]:
            sys.exit("publish failed: is Redis running at BENCH_REDIS_URL?")
    deadline = time.monotonic() + 10
    expected = args.events * (args.subscribers - len(failed))
    while time.monotonic() < deadline and sum(len(s.arrivals) for s in subscribers) < expected:
        await asyncio.sleep(0.1)
    memory_after = common.rss_mib(args.server_pid)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    latencies = [v * 1000 for s in subscribers for v in s.arrivals.values()]
    return {
        "subscribers": args.subscribers,
        "refused": len(failed),
        "events": args.events,
        "rate_per_s": args.rate,
        "delivered": len(latencies),
        "expected": args.events * args.subscribers,
        "latency_ms": {
            "p50": round(common.percentile(latencies, 0.50), 1),
            "p95": round(common.percentile(latencies, 0.95), 1),
            "p99": round(common.percentile(latencies, 0.99), 1),
            "max": round(max(latencies), 1) if latencies else None,
        },
        "rss_mib": {"connected": memory_connected, "after": memory_after},
        "first_refusal": failed[0] if failed else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=500)
    parser.add_argument("--events", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0, help="events per second")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    database_url = os.environ.get("BENCH_DATABASE_URL", common.DEFAULT_DB)
    redis_url = os.environ.get("BENCH_REDIS_URL", common.DEFAULT_REDIS)

    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, args.subscribers * 2 + 256)), hard))
    print(f"machine: {common.machine()}")
    common.prepare(database_url, redis_url)
    common.django_setup(database_url, redis_url)
    cookie = "; ".join(f"{k}={v}" for k, v in common.viewer_session().items())
    server, base = common.serve(database_url, redis_url, workers=args.workers)
    try:
        time.sleep(1)
        memory_idle = common.rss_mib(server.pid)
        args.server_pid = server.pid
        result = asyncio.run(run(args, base, cookie))
        result["rss_mib"]["idle"] = memory_idle
        result["workers"] = args.workers
    finally:
        common.stop(server)
    latency, memory = result["latency_ms"], result["rss_mib"]
    print(
        f"{result['subscribers']} subscribers ({result['refused']} refused), {result['events']} events at "
        f"{result['rate_per_s']}/s, {args.workers} workers: delivered {result['delivered']}/{result['expected']}"
    )
    print(
        f"latency ms: p50 {latency['p50']} · p95 {latency['p95']} · p99 {latency['p99']} · max {latency['max']}"
    )
    print(
        f"server RSS MiB: idle {memory['idle']} · {result['subscribers']} connected {memory['connected']} · after {memory['after']}"
    )
    print(json.dumps(result))
    sys.exit(0 if result["delivered"] == result["expected"] else 1)


if __name__ == "__main__":
    main()
