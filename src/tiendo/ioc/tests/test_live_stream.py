"""The live events: published once, delivered over /ioc/stream to those who may see them, resumed
after Last-Event-ID — in one process (the ring) and through Redis (the stream every process reads)."""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from django.test import AsyncClient

from tiendo.conftest import IN_CI
from tiendo.ioc import live, views_live
from tiendo.ioc.live import EventId, LiveEvent, Ring

REDIS_TEST_URL = "redis://127.0.0.1:6379/11"  # a database of its own: other tests use 0


def redis_or_fail(url: str = REDIS_TEST_URL) -> None:
    """Skip on a developer's machine without Redis; under CI=true a missing Redis fails."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        message = f"Redis is not reachable at {url}: {exc}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture(params=["ring", "redis"])
def transport(request, settings):
    """Each test runs on the in-process ring and on Redis."""
    if request.param == "redis":
        redis_or_fail()
        import redis

        redis.Redis.from_url(REDIS_TEST_URL).delete(live.STREAM_KEY)
        settings.TIENDO_REDIS_URL = REDIS_TEST_URL
    else:
        settings.TIENDO_REDIS_URL = ""
    return request.param


def signed_in(client, user) -> AsyncClient:
    client.force_login(user)
    async_client = AsyncClient()
    async_client.cookies = client.cookies
    return async_client


def reading(device: str, value: float, metric: str = "pm25") -> dict[str, Any]:
    return {
        "type": "reading",
        "device": device,
        "metric": metric,
        "ts": "2026-12-03T08:00:00+07:00",
        "value": value,
    }


def parse_frames(text: str) -> list[dict[str, Any]]:
    frames = []
    for block in text.split("\n\n"):
        fields: dict[str, Any] = {}
        for line in block.splitlines():
            name, _sep, value = line.partition(": ")
            if name in ("id", "event", "data"):
                fields[name] = value
        if "event" in fields:
            fields["data"] = json.loads(fields["data"])
            frames.append(fields)
    return frames


async def read_until(
    response, *, frames: int = 1, comments: tuple[str, ...] = (), timeout: float = 5, iterator=None
) -> str:
    """Read the SSE body until `frames` events (or each of `comments`) arrived, or time out."""
    iterator = iterator or response.streaming_content.__aiter__()
    text = ""
    try:
        while len(parse_frames(text)) < frames or not all(c in text for c in comments):
            text += (await asyncio.wait_for(iterator.__anext__(), timeout)).decode()
    except TimeoutError:
        pass
    finally:
        await iterator.aclose()
        await live.hub_stop()
    return text


def stream_then(
    async_client, publish: list[dict[str, Any]], *, frames: int, headers=None, path="/ioc/stream"
):
    """Connect, then publish, then read what arrives."""

    async def run() -> str:
        response = await async_client.get(path, headers=headers or {})
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/event-stream")
        iterator = response.streaming_content.__aiter__()
        first = (await asyncio.wait_for(iterator.__anext__(), 5)).decode()  # the stream is listening
        assert first.startswith("retry:")
        await sync_to_async(live.publish_many)(publish)
        return await read_until(response, frames=frames, iterator=iterator)

    return async_to_sync(run)()


def test_an_event_published_after_commit_reaches_a_subscriber_of_the_stream(
    client, office_admin, ioc_registry, transport
):
    text = stream_then(signed_in(client, office_admin), [reading("aq-dungquat-01", 42.5)], frames=1)
    [frame] = parse_frames(text)
    assert frame["event"] == "reading"
    assert frame["data"]["device"] == "aq-dungquat-01"
    assert frame["data"]["value"] == 42.5
    assert frame["data"]["simulated"] is True
    assert frame["data"]["subsystem"] == "quan-trac-moi-truong"
    assert "path" not in frame["data"]
    assert EventId.parse(frame["id"]) is not None


def test_a_stream_resumed_with_last_event_id_gets_only_the_later_events(
    client, office_admin, ioc_registry, transport
):
    ids = live.publish_many([reading("aq-dungquat-01", v) for v in (1.0, 2.0, 3.0)])
    assert all(ids) and len(set(ids)) == 3
    async_client = signed_in(client, office_admin)

    async def resume(headers=None, path="/ioc/stream") -> list[dict[str, Any]]:
        response = await async_client.get(path, headers=headers or {})
        return parse_frames(await read_until(response, frames=2, timeout=2))

    by_header = async_to_sync(resume)({"Last-Event-ID": ids[0]})
    assert [f["data"]["value"] for f in by_header] == [2.0, 3.0]
    assert [f["id"] for f in by_header] == ids[1:]
    by_query = async_to_sync(resume)(None, f"/ioc/stream?last_event_id={ids[1]}")
    assert [f["data"]["value"] for f in by_query] == [3.0]


def test_a_commune_operator_does_not_receive_another_units_events(
    client, camthanh_operator, ioc_registry, transport
):
    events = [reading("aq-dungquat-01", 99.0), reading("wl-trakhuc-01", 4.2, metric="water_level")]
    frames = parse_frames(stream_then(signed_in(client, camthanh_operator), events, frames=2))
    assert [f["data"]["device"] for f in frames] == ["wl-trakhuc-01"]


def test_the_unit_filter_narrows_the_stream_of_the_office(client, office_admin, ioc_registry, transport):
    events = [reading("aq-dungquat-01", 99.0), reading("wl-trakhuc-01", 4.2, metric="water_level")]
    text = stream_then(signed_in(client, office_admin), events, frames=2, path="/ioc/stream?unit=21061")
    assert [f["data"]["device"] for f in parse_frames(text)] == ["aq-dungquat-01"]


def test_an_alert_event_of_another_unit_is_not_sent_to_a_commune_operator(
    client, camthanh_operator, ioc_registry, transport
):
    alert = {
        "type": "alert",
        "id": 7,
        "unit": "21061",
        "device": None,
        "status": "active",
        "message": "PM2.5",
    }
    own = {"type": "alert", "id": 8, "unit": "21025", "device": None, "status": "active", "message": "lũ"}
    frames = parse_frames(stream_then(signed_in(client, camthanh_operator), [alert, own], frames=2))
    assert [f["data"]["id"] for f in frames] == [8]


def test_a_quiet_stream_sends_a_heartbeat_comment(client, office_admin, ioc_registry, monkeypatch, transport):
    monkeypatch.setattr(views_live, "HEARTBEAT_SECONDS", 0.2)
    async_client = signed_in(client, office_admin)

    async def run() -> str:
        response = await async_client.get("/ioc/stream")
        return await read_until(response, frames=0, comments=(": heartbeat",), timeout=3)

    assert ": heartbeat\n\n" in async_to_sync(run)()


def test_an_anonymous_visitor_is_refused_the_stream_and_the_snapshot(client, ioc_registry):
    assert client.get("/ioc/stream").status_code == 403
    assert client.get("/ioc/state.json").status_code == 403


def test_publishing_never_raises_when_redis_is_down(settings, ioc_registry):
    settings.TIENDO_REDIS_URL = "redis://127.0.0.1:1/0"
    assert live.publish_many([reading("aq-dungquat-01", 1.0)]) == [""]
    assert live.last_event_id() == ""


def test_publishing_names_each_event_with_the_path_of_its_unit(settings, ioc_registry):
    settings.TIENDO_REDIS_URL = ""
    live.publish_many([reading("wl-trakhuc-01", 3.0, metric="water_level")])
    events, _gap = live._local_ring.after(EventId(0, 0))
    assert events[-1].data["path"].endswith("/21025/")


def test_the_ring_says_when_a_cursor_is_older_than_what_it_keeps():
    ring = Ring(size=3)
    ring.add([LiveEvent(EventId(1, n), {"n": n}) for n in range(5)])
    events, gap = ring.after(EventId(1, 0))
    assert gap is True and [e.data["n"] for e in events] == [2, 3, 4]
    events, gap = ring.after(EventId(1, 2))
    assert gap is False and [e.data["n"] for e in events] == [3, 4]


def test_a_subscriber_whose_cursor_fell_out_of_the_ring_is_told_to_reload(settings, monkeypatch):
    settings.TIENDO_REDIS_URL = ""
    ring = Ring(size=2)
    monkeypatch.setattr(live, "_local_ring", ring)
    ring.add([LiveEvent(EventId(5, n), {"type": "reading", "n": n}) for n in range(4)])

    async def run() -> list[str]:
        seen = []
        async for event in live.subscribe(after="5-0", heartbeat=0.1):
            if event is None:
                break
            seen.append(event.type + str(event.data.get("n", "")))
        return seen

    assert async_to_sync(run)() == ["reset", "reading2", "reading3"]


def test_event_ids_are_read_strictly():
    assert EventId.parse("1733212345678-3") == EventId(1733212345678, 3)
    assert EventId.parse("42") == EventId(42, 0)
    assert EventId.parse("abc") is None
    assert EventId.parse("1-2-3") is None
    assert EventId.parse(str(uuid.uuid4())) is None


def test_an_ingested_reading_is_published_once_its_transaction_commits(
    settings, ioc_registry, django_capture_on_commit_callbacks
):
    from django.utils import timezone

    from tiendo.ioc.ingest import IncomingReading, readings_ingest

    settings.TIENDO_REDIS_URL = ""
    before = live._local_ring.last
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        readings_ingest(
            readings=[
                IncomingReading(device="wl-anchi-01", metric="water_level", ts=timezone.now(), value=4.1)
            ],
            source="test",
        )
        assert live._local_ring.last == before  # nothing before the commit
    assert callbacks
    events, _gap = live._local_ring.after(before)
    assert (events[0].type, events[0].data["device"], events[0].data["state"]) == (
        "device",
        "wl-anchi-01",
        "online",
    )
    [level] = [e for e in events if e.type == "reading" and e.data["metric"] == "water_level"]
    assert level.data["value"] == 4.1 and level.data["path"].endswith("/21364/")


def test_a_stream_ends_after_its_lifetime_so_the_browser_signs_in_again(
    client, office_admin, ioc_registry, monkeypatch, transport
):
    monkeypatch.setattr(views_live, "HEARTBEAT_SECONDS", 0.1)
    monkeypatch.setattr(views_live, "STREAM_LIFETIME_SECONDS", 0.3)
    async_client = signed_in(client, office_admin)

    async def run() -> str:
        response = await async_client.get("/ioc/stream")
        text = ""
        async for chunk in response.streaming_content:  # ends by itself
            text += chunk.decode()
        await live.hub_stop()
        return text

    text = async_to_sync(asyncio.wait_for)(run(), 5)
    assert text.startswith("retry:") and ": heartbeat" in text
