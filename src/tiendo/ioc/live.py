"""Small JSON deltas for the live page (/ioc/stream): what changed, in the order it was committed.

`publish_many` gives every event an id and fans it out; it never raises into the caller (it runs
after the ingest's commit: a lost delta is repaired by the page's next snapshot, a raised error
would look like a failed ingest). Two transports:

- with settings.TIENDO_REDIS_URL: XADD to the Redis Stream `tiendo:ioc:events` (trimmed to about
  10,000 entries). Every web process (uvicorn workers, other machines) reads the stream, so an event
  published by the MQTT consumer or by any web process reaches every browser. The stream's id
  ("1733212345678-0") is the SSE id: a browser that reconnects with Last-Event-ID resumes with XRANGE
  from there. Redis Streams rather than PostgreSQL LISTEN/NOTIFY: NOTIFY keeps nothing, so a resume
  after a dropped connection would need a table of its own, and each listening process would hold a
  database connection for ever; the stream keeps the recent past, trims itself and costs one XADD.
- without it: a ring buffer in this process (one process only: tests, `tiendo demo`).

Each process reads Redis once (one XREAD BLOCK loop per event loop, the "hub") into a ring of the
recent events; subscribers wait on it, so 500 browsers cost one Redis connection, not 500.

Every event carries `path`, the tree path of its unit ("/51/21061/"): the stream shows an event to a
user only when that path lies in the user's scope (a commune's operator sees its own devices).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
import weakref
from collections import deque
from collections.abc import AsyncGenerator, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from tiendo.ioc.ingest import StoredReading
    from tiendo.ioc.models import Alert, Device

logger = logging.getLogger(__name__)

STREAM_KEY = "tiendo:ioc:events"
STREAM_MAXLEN = 10_000  # approximate (MAXLEN ~): Redis trims whole nodes, cheaply
RING_SIZE = 5_000  # recent events each process keeps for its subscribers
READ_COUNT = 1_000  # entries per XREAD / XRANGE
BLOCK_MS = 5_000
REDIS_TIMEOUT = 2.0  # seconds: a publisher never waits longer than this on a dead Redis


# --- events -------------------------------------------------------------------------------------


def device_event(device: Device) -> dict[str, Any]:
    return {
        "type": "device",
        "device": device.code,
        "unit": device.unit.code,
        "path": device.unit.path,
        "state": device.state,
        "last_seen_at": device.last_seen_at.isoformat() if device.last_seen_at else None,
    }


def reading_events(stored: list[StoredReading]) -> list[dict[str, Any]]:
    """One event per series: its newest value in this batch."""
    latest: dict[int, StoredReading] = {}
    for reading in stored:
        if reading.series_id not in latest or reading.ts > latest[reading.series_id].ts:
            latest[reading.series_id] = reading
    return [
        {
            "type": "reading",
            "device": r.device_code,
            "unit": r.unit_code,
            "metric": r.metric,
            "ts": r.ts.isoformat(),
            "value": r.value,
        }
        for r in latest.values()
    ]


def alert_event(alert: Alert) -> dict[str, Any]:
    return {
        "type": "alert",
        "id": alert.pk,
        "rule": alert.rule.code,
        "device": alert.device.code if alert.device else None,
        "unit": alert.unit.code,
        "path": alert.unit.path,
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "value": alert.value,
        "started_at": alert.started_at.isoformat(),
    }


# --- event ids ----------------------------------------------------------------------------------


@dataclass(frozen=True, order=True)
class EventId:
    """A Redis stream id, "<milliseconds>-<sequence>"; the in-process ring makes the same kind."""

    ms: int
    seq: int

    def __str__(self) -> str:
        return f"{self.ms}-{self.seq}"

    @classmethod
    def parse(cls, text: str | bytes | None) -> EventId | None:
        if isinstance(text, bytes):
            text = text.decode("ascii", "replace")
        if not text:
            return None
        ms, _sep, seq = text.strip().partition("-")
        if not ms.isdigit() or (seq and not seq.isdigit()) or len(ms) > 15 or len(seq) > 15:
            return None
        return cls(int(ms), int(seq or 0))


ZERO = EventId(0, 0)


@dataclass(frozen=True)
class LiveEvent:
    id: EventId
    data: dict[str, Any]

    @property
    def type(self) -> str:
        return str(self.data.get("type", "message"))


RESET = "reset"  # a subscriber's Last-Event-ID is older than what is kept: reload the snapshot


# --- the ring every subscriber of an event loop waits on ------------------------------------------


class Ring:
    """The recent events, in id order, and the subscribers waiting for more (on any event loop)."""

    def __init__(self, size: int = RING_SIZE) -> None:
        self._events: deque[LiveEvent] = deque(maxlen=size)
        self._lock = threading.Lock()
        self._waiters: dict[asyncio.AbstractEventLoop, set[asyncio.Event]] = {}
        self.base = ZERO  # every event after `base` that was ever added is still in the ring
        self.last = ZERO

    def add(self, events: Iterable[LiveEvent]) -> None:
        with self._lock:
            for event in events:
                if event.id <= self.last:
                    continue
                if len(self._events) == self._events.maxlen:
                    self.base = self._events[0].id
                self._events.append(event)
                self.last = event.id
            waiters, self._waiters = self._waiters, {}
        for loop, flags in waiters.items():
            try:
                loop.call_soon_threadsafe(_set_all, flags)
            except RuntimeError:  # that loop is closed: its subscribers are gone
                pass

    def after(self, cursor: EventId) -> tuple[list[LiveEvent], bool]:
        """The events after `cursor`, and whether some are missing (cursor older than the ring)."""
        with self._lock:
            if cursor >= self.last:
                return [], False
            gap = cursor < self.base
            return [e for e in self._events if e.id > cursor], gap

    async def wait_after(self, cursor: EventId, timeout: float) -> bool:
        """True as soon as an event later than `cursor` is in the ring; False after `timeout`."""
        flag = asyncio.Event()
        loop = asyncio.get_running_loop()
        with self._lock:
            if self.last > cursor:
                return True
            self._waiters.setdefault(loop, set()).add(flag)
        try:
            await asyncio.wait_for(flag.wait(), timeout)
            return True
        except TimeoutError:
            return False
        finally:
            with self._lock:
                self._waiters.get(loop, set()).discard(flag)


def _set_all(flags: set[asyncio.Event]) -> None:
    for flag in flags:
        flag.set()


# --- publishing -----------------------------------------------------------------------------------


class _LocalIds:
    """Ids for the in-process transport: milliseconds since the epoch, then a sequence."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last = ZERO

    def next(self) -> EventId:
        with self._lock:
            ms = time.time_ns() // 1_000_000
            self._last = EventId(ms, 0) if ms > self._last.ms else EventId(self._last.ms, self._last.seq + 1)
            return self._last


_local_ring = Ring()
_local_ids = _LocalIds()
_sync_clients: dict[str, Any] = {}


def redis_url() -> str:
    return str(getattr(settings, "TIENDO_REDIS_URL", "") or "")


def _sync_redis(url: str) -> Any:
    client = _sync_clients.get(url)
    if client is None:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT)
        _sync_clients[url] = client
    return client


def _add_scope(events: list[dict[str, Any]]) -> None:
    """Give each event the path of its unit (whom it may reach), its subsystem and whether it is
    simulated: one query per batch for the devices named, one for units named without a device."""
    from tiendo.ioc.models import Device
    from tiendo.orgunits.models import OrgUnit

    codes = {e["device"] for e in events if e.get("device") and "subsystem" not in e}
    if codes:
        rows = Device.objects.filter(code__in=codes).values_list(
            "code", "unit__code", "unit__path", "subsystem__code", "simulated"
        )
        known = {code: (unit, path, subsystem, simulated) for code, unit, path, subsystem, simulated in rows}
        for event in events:
            if event.get("device") in known and "subsystem" not in event:
                unit, path, subsystem, simulated = known[event["device"]]
                event.setdefault("unit", unit)
                event.setdefault("path", path)
                event["subsystem"], event["simulated"] = subsystem, simulated
    units = {e["unit"] for e in events if e.get("unit") and not e.get("path")}
    if units:
        paths = dict(OrgUnit.objects.filter(code__in=units).values_list("code", "path"))
        for event in events:
            if not event.get("path") and event.get("unit") in paths:
                event["path"] = paths[event["unit"]]


def publish_many(events: list[dict[str, Any]]) -> list[str]:
    """Fan the events out; returns their ids ("" for those not sent). Never raises."""
    if not events:
        return []
    try:
        events = [dict(e) for e in events]
        try:
            _add_scope(events)
        except Exception:  # the database is gone: publish without a path (only the office sees it)
            logger.exception("ioc live: could not scope %d events", len(events))
        url = redis_url()
        if url:
            return _publish_redis(url, events)
        published = [LiveEvent(_local_ids.next(), e) for e in events]
        _local_ring.add(published)
        return [str(p.id) for p in published]
    except Exception:
        logger.exception("ioc live: %d events not published", len(events))
        return [""] * len(events)


def _publish_redis(url: str, events: list[dict[str, Any]]) -> list[str]:
    try:
        pipe = _sync_redis(url).pipeline(transaction=False)
        for event in events:
            pipe.xadd(
                STREAM_KEY,
                {"e": json.dumps(event, separators=(",", ":"), default=str)},
                maxlen=STREAM_MAXLEN,
                approximate=True,
            )
        return [i.decode() if isinstance(i, bytes) else str(i) for i in pipe.execute()]
    except Exception:
        _sync_clients.pop(url, None)  # reconnect next time
        logger.exception("ioc live: Redis refused %d events", len(events))
        return [""] * len(events)


def publish(event: dict[str, Any]) -> str:
    ids = publish_many([event])
    return ids[0] if ids else ""


def last_event_id() -> str:
    """The id of the newest event ("0-0" when none): a snapshot taken after asking for it, then a
    stream resumed from it, misses nothing."""
    url = redis_url()
    if not url:
        return str(_local_ring.last)
    try:
        newest = _sync_redis(url).xrevrange(STREAM_KEY, "+", "-", count=1)
    except Exception:
        _sync_clients.pop(url, None)
        logger.exception("ioc live: Redis unreachable")
        return ""
    return newest[0][0].decode() if newest else "0-0"


# --- subscribing ----------------------------------------------------------------------------------


def _decode(entries: list[Any]) -> list[LiveEvent]:
    decoded = []
    for raw_id, fields in entries:
        event_id = EventId.parse(raw_id)
        try:
            data = json.loads(fields.get(b"e") or fields.get("e"))
        except (TypeError, ValueError):
            continue
        if event_id is not None and isinstance(data, dict):
            decoded.append(LiveEvent(event_id, data))
    return decoded


class RedisHub:
    """One XREAD BLOCK loop per event loop, filling a ring for that loop's subscribers."""

    def __init__(self, url: str) -> None:
        import redis.asyncio

        self.url = url
        self.ring = Ring()
        # redis-py's default socket timeout (5 s) would cut XREAD's BLOCK short
        self.client = redis.asyncio.Redis.from_url(
            url, socket_connect_timeout=REDIS_TIMEOUT, socket_timeout=BLOCK_MS / 1000 + 5
        )
        self.ready = asyncio.Event()
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self.task is None or self.task.done():
            self.task = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        cursor: EventId | None = None
        while True:
            try:
                if cursor is None:
                    newest = await self.client.xrevrange(STREAM_KEY, "+", "-", count=1)
                    cursor = EventId.parse(newest[0][0]) if newest else ZERO
                    self.ring.base = self.ring.last = cursor or ZERO
                    self.ready.set()
                reply: Any = await self.client.xread(
                    {STREAM_KEY: str(cursor)}, count=READ_COUNT, block=BLOCK_MS
                )
                for _key, entries in reply.items() if isinstance(reply, dict) else reply or []:
                    events = _decode(entries)
                    if entries:
                        cursor = EventId.parse(entries[-1][0]) or cursor
                    self.ring.add(events)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.warning("ioc live: Redis read failed; retrying in 1 s", exc_info=True)
                await asyncio.sleep(1)

    async def range_after(self, cursor: EventId) -> tuple[list[LiveEvent], bool]:
        """Events after `cursor` from Redis itself, and whether some were trimmed away."""
        entries: Any = await self.client.xrange(STREAM_KEY, f"({cursor}", "+", count=READ_COUNT)
        oldest = await self.client.xrange(STREAM_KEY, "-", "+", count=1)
        oldest_id = EventId.parse(oldest[0][0]) if oldest else None
        # the cursor was an event's id: when the stream no longer holds it, some may be gone
        trimmed = cursor != ZERO and (oldest_id is None or oldest_id > cursor)
        return _decode(entries), trimmed


_hubs: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, RedisHub] = weakref.WeakKeyDictionary()


async def _hub(url: str) -> RedisHub:
    loop = asyncio.get_running_loop()
    hub = _hubs.get(loop)
    if hub is None or hub.url != url:
        if hub is not None and hub.task is not None:  # the setting changed (tests): a new reader
            hub.task.cancel()
        hub = _hubs[loop] = RedisHub(url)
    hub.start()
    await asyncio.wait_for(hub.ready.wait(), REDIS_TIMEOUT * 5)
    return hub


async def position() -> str:
    """Where a new subscriber starts ("from now on"): fixed when it connects, so that an event
    published between the connection and the first read is not skipped."""
    url = redis_url()
    ring = (await _hub(url)).ring if url else _local_ring
    return str(ring.last)


async def hub_stop() -> None:
    """Stop this event loop's Redis reader (tests; a server stops with its loop)."""
    hub = _hubs.pop(asyncio.get_running_loop(), None)
    if hub is not None and hub.task is not None:
        hub.task.cancel()
        try:
            await hub.task
        except (asyncio.CancelledError, Exception):
            pass
        await hub.client.aclose()


async def subscribe(*, after: str | None, heartbeat: float) -> AsyncGenerator[LiveEvent | None, None]:
    """Events published after the id `after` (None: from now on), for ever; None every `heartbeat`
    seconds without one. An event of type "reset" says some were lost: reload the snapshot."""
    url = redis_url()
    hub = await _hub(url) if url else None
    ring = hub.ring if hub is not None else _local_ring
    start = EventId.parse(after) if after else None
    cursor = start if start is not None else ring.last
    while True:
        events, gap = ring.after(cursor)
        if gap:  # the cursor is older than the ring: read Redis itself, or say what was lost
            lost = True
            if hub is not None:
                events, lost = await hub.range_after(cursor)
            if lost:
                yield LiveEvent(cursor, {"type": RESET})
            if not events:
                cursor = ring.base
                continue
        for event in events:
            cursor = event.id
            yield event
        if not events and not await ring.wait_after(cursor, heartbeat):
            yield None
