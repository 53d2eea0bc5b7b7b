"""Two `tiendo serve` processes (uvicorn, ASGI) on one PostgreSQL database and one Redis: an event
published once reaches the browsers connected to either, and a browser that reconnects to the other
process resumes after its Last-Event-ID.

Needs PostgreSQL (the servers must share the test database) and Redis: under CI=true a missing Redis
fails; on SQLite the test is skipped (an in-memory database cannot be shared between processes)."""

from __future__ import annotations

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from tiendo.ioc import live
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.tests.test_live_stream import REDIS_TEST_URL, redis_or_fail

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(sys.platform == "win32", reason="POSIX processes"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def serve(port: int, **extra: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tiendo.settings",
        "DATABASE_URL": database_url(),
        "TIENDO_REDIS_URL": REDIS_TEST_URL,
        "TIENDO_SECRET_KEY": django_settings.SECRET_KEY,
        "TIENDO_DB_POOL": "false",
        **extra,
    }
    command = [sys.executable, "-c", "from tiendo.cli import main; main()", "serve", "--port", str(port)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def wait_until_serving(port: int, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(server.stderr.read().decode() if server.stderr else "the server stopped")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail("the server did not start")


def servers_running(count: int, **extra: str) -> Iterator[tuple[int, ...]]:
    if connection.vendor != "postgresql":
        pytest.skip("server processes need the shared test database (PostgreSQL)")
    redis_or_fail()
    ports = tuple(free_port() for _ in range(count))
    servers = [serve(port, **extra) for port in ports]
    try:
        for port, server in zip(ports, servers, strict=True):
            wait_until_serving(port, server)
        yield ports
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


@pytest.fixture
def two_servers() -> Iterator[tuple[int, ...]]:
    yield from servers_running(2)


@pytest.fixture
def server_with_a_small_pool() -> Iterator[tuple[int, ...]]:
    yield from servers_running(1, TIENDO_DB_POOL="true", TIENDO_DB_POOL_MAX="3")


class SseClient(threading.Thread):
    """A browser-like EventSource: reads one /ioc/stream and queues its events."""

    def __init__(self, url: str, cookies: dict[str, str], headers: dict[str, str] | None = None) -> None:
        super().__init__(daemon=True)
        self.url, self.cookies, self.headers = url, cookies, headers or {}
        self.events: queue.Queue[dict[str, Any]] = queue.Queue()
        self.connected = threading.Event()
        self.stop = False

    def run(self) -> None:
        try:
            self._read()
        except httpx.HTTPError:
            pass  # the server stopped at the end of the test

    def _read(self) -> None:
        with (
            httpx.Client(cookies=self.cookies, timeout=httpx.Timeout(5, read=30)) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            assert response.status_code == 200, response.status_code
            frame: dict[str, Any] = {}
            for line in response.iter_lines():
                if line.startswith("retry:"):
                    self.connected.set()
                if self.stop:
                    return
                if not line:
                    if "event" in frame:
                        self.events.put(frame)
                    frame = {}
                    continue
                name, _sep, value = line.partition(": ")
                if name in ("id", "event"):
                    frame[name] = value
                elif name == "data":
                    frame["data"] = json.loads(value)

    def next_event(
        self, kind: str = "reading", metric: str = "water_level", timeout: float = 10
    ) -> dict[str, Any]:
        """The next event of that kind (and, for readings, of that metric: the domain rules add
        derived readings, such as the river's alarm level, beside the one sent)."""
        deadline = time.monotonic() + timeout
        while True:
            event = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            if event["event"] == kind and (kind != "reading" or event["data"]["metric"] == metric):
                return event


def test_an_event_published_once_reaches_subscribers_of_both_server_processes_and_resumes_across_them(
    settings, client, camthanh_operator, two_servers
):
    settings.TIENDO_REDIS_URL = REDIS_TEST_URL
    port_a, port_b = two_servers
    client.force_login(camthanh_operator)
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    on_a = SseClient(f"http://127.0.0.1:{port_a}/ioc/stream", cookies)
    on_b = SseClient(f"http://127.0.0.1:{port_b}/ioc/stream", cookies)
    for subscriber in (on_a, on_b):
        subscriber.start()
        assert subscriber.connected.wait(15), "the stream did not open"

    now = timezone.now()
    readings_ingest(  # the ingest publishes after commit: through Redis to every server process
        readings=[
            IncomingReading(device="aq-dungquat-01", metric="pm25", ts=now, value=55.0),  # not Cẩm Thành's
            IncomingReading(device="wl-trakhuc-01", metric="water_level", ts=now, value=3.7),
        ],
        source="test",
    )
    first_a, first_b = on_a.next_event(), on_b.next_event()
    assert first_a["data"]["device"] == first_b["data"]["device"] == "wl-trakhuc-01"
    assert first_a["data"]["value"] == 3.7
    assert first_a["id"] == first_b["id"]  # one event, one id, whichever process delivers it

    later = timezone.now()
    readings_ingest(
        readings=[IncomingReading(device="wl-trakhuc-01", metric="water_level", ts=later, value=3.8)],
        source="test",
    )
    second_b = on_b.next_event()
    on_a.stop = on_b.stop = True
    # a browser that was on A reconnects to B with the last id it saw: it gets what it missed
    resumed = SseClient(f"http://127.0.0.1:{port_b}/ioc/stream", cookies, {"Last-Event-ID": first_a["id"]})
    resumed.start()
    missed = resumed.next_event()
    resumed.stop = True
    assert missed["id"] == second_b["id"]
    assert missed["data"]["value"] == 3.8
    assert live.EventId.parse(missed["id"]) > live.EventId.parse(first_a["id"])


def test_open_streams_hold_no_database_connection(
    settings, client, camthanh_operator, server_with_a_small_pool
):
    """Each stream gives its request's connection back once it starts: a pool of 3 serves 8 open
    streams and still answers a page."""
    (port,) = server_with_a_small_pool
    client.force_login(camthanh_operator)
    cookies = {name: morsel.value for name, morsel in client.cookies.items()}
    streams = [SseClient(f"http://127.0.0.1:{port}/ioc/stream", cookies) for _ in range(8)]
    for stream in streams:
        stream.start()
        assert stream.connected.wait(15), "a stream did not open"
    response = httpx.get(f"http://127.0.0.1:{port}/ioc/state.json", cookies=cookies, timeout=8)
    for stream in streams:
        stream.stop = True
    assert response.status_code == 200
    assert any(d["code"] == "wl-trakhuc-01" for d in response.json()["devices"])
