"""A brief cache for analytics answers that many people poll (dashboards, the drill-down).

An answer is kept for TIENDO_ANALYTICS_CACHE_SECONDS (1 s by default) in each server process, so a
figure is at most that old (plus, in the async form, the one computation that replaces it) — the
issue's "within a second" — while twenty people watching the same dashboard cost one computation
per second instead of twenty. No invalidation to get wrong: the answer's age is the only rule.
0 turns it off (the test suite does, to see every write at once).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import TypeVar

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

T = TypeVar("T")


def cached_briefly(key: str, build: Callable[[], T]) -> T:
    seconds = settings.TIENDO_ANALYTICS_CACHE_SECONDS
    if seconds <= 0:
        return build()
    found = cache.get(key)
    if found is not None:
        return found
    value = build()
    cache.set(key, value, seconds)
    return value


_building: dict[str, asyncio.Task] = {}


async def cached_briefly_async(key: str, build: Callable[[], T]) -> T:
    """The same for an async view, without a stampede when an answer expires.

    A hit is answered without leaving the event loop (the in-process cache is plain memory, read
    directly; its `aget` would hop to a thread). When the answer is older than the setting, one
    task of the process rebuilds it (database work, in a thread) while the others keep getting the
    previous one — so the figure is at most the setting plus one computation old — or, when there
    is none yet, wait for that one task instead of starting their own. The task is detached from
    the request that started it: a client closing its tab cancels its own wait, not everyone's.
    """
    seconds = settings.TIENDO_ANALYTICS_CACHE_SECONDS
    if seconds <= 0:
        return await sync_to_async(build)()
    loop = asyncio.get_running_loop()
    running = _building.get(key)
    if running is not None and running.get_loop() is not loop:  # another event loop (WSGI, tests)
        running = None
    found = cache.get(key)
    if found is not None:
        value, built_at = found
        if time.monotonic() - built_at < seconds or running is not None:
            return value
    if running is None:
        running = loop.create_task(_build(key, build, seconds))
        running.add_done_callback(_retrieved)
        _building[key] = running
    return await asyncio.shield(running)


async def _build(key: str, build: Callable[[], T], seconds: float) -> T:
    try:
        value = await sync_to_async(build)()
        cache.set(key, (value, time.monotonic()), seconds * 10)  # kept longer: served stale while rebuilding
        return value
    finally:
        if _building.get(key) is asyncio.current_task():
            del _building[key]


def _retrieved(task: asyncio.Task) -> None:
    """Mark a failed build's exception as seen (its waiters, if any, got it raised)."""
    if not task.cancelled():
        task.exception()
