"""The live page (/ioc/), its event stream (/ioc/stream, Server-Sent Events) and snapshot
(/ioc/state.json), and the device pages. Reads go through ioc/selectors_live.py given the user."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from contextlib import aclosing
from typing import Any

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from tiendo.core.http import not_found_on_error
from tiendo.core.types import Actor
from tiendo.ioc import live
from tiendo.ioc.models import Device
from tiendo.ioc.selectors import device_get, subsystems_visible
from tiendo.ioc.selectors_live import (
    DEVICE_SORTS,
    LiveFilter,
    StreamScope,
    device_chart,
    device_search,
    indicator_wall,
    live_snapshot,
    province_of_devices,
    stream_scope,
    subsystems_with_devices,
    units_with_devices,
)
from tiendo.orgunits.boundaries import boundaries_for

HEARTBEAT_SECONDS = 15.0
STREAM_LIFETIME_SECONDS = 600.0  # then the browser reconnects: signed in and scoped again
RETRY_MS = 3000
DEVICES_PER_PAGE = 50


def _forbidden() -> JsonResponse:
    body = {
        "error": {
            "code": "forbidden",
            "message": _("Cần đăng nhập để xem trung tâm điều hành"),
            "field": None,
        }
    }
    return JsonResponse(body, status=403)


def _release_connections() -> None:
    """Close this request's database connections (back to the pool), unless a transaction holds
    them (a test's)."""
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close()


def sse_frame(event: live.LiveEvent) -> bytes:
    data = {k: v for k, v in event.data.items() if k != "path"}
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {event.id}\nevent: {event.type}\ndata: {body}\n\n".encode()


async def event_stream(
    *, after: str | None, scope: StreamScope, heartbeat: float, lifetime: float | None = None
) -> AsyncIterator[bytes]:
    """The SSE body: a retry hint, then each event the scope admits; a comment line when quiet.

    It ends after `lifetime` seconds: the browser reconnects with its Last-Event-ID (nothing is
    lost) and is authenticated and scoped again — a signed-out user or a withdrawn role stops
    receiving within that time."""
    # The request's database connection (the session, the user, the scope) is not needed any more:
    # give it back now, not when the stream ends, or 20 open streams would hold the whole pool.
    await sync_to_async(_release_connections)()
    ends = time.monotonic() + (STREAM_LIFETIME_SECONDS if lifetime is None else lifetime)
    yield f"retry: {RETRY_MS}\n: open\n\n".encode()
    try:
        async with aclosing(live.subscribe(after=after, heartbeat=heartbeat)) as events:
            async for event in events:
                if event is None:
                    yield b": heartbeat\n\n"
                elif scope.admits(event.data):
                    yield sse_frame(event)
                if time.monotonic() >= ends:
                    return
    except TimeoutError:  # Redis unreachable: end; the browser reconnects after `retry`
        yield b": unavailable\n\n"


@never_cache
async def stream(request: HttpRequest) -> HttpResponseBase:
    """/ioc/stream: the events the user may see, resumed after Last-Event-ID (or ?last_event_id=)."""
    user = await request.auser()
    if not user.is_authenticated:
        return _forbidden()
    scope = await sync_to_async(stream_scope)(user=user, live_filter=LiveFilter.from_query(request.GET))
    after = request.headers.get("Last-Event-ID") or request.GET.get("last_event_id") or ""
    if live.EventId.parse(after) is None:
        try:
            after = await live.position()
        except TimeoutError:  # Redis unreachable: the browser retries; the page polls meanwhile
            return JsonResponse(
                {
                    "error": {
                        "code": "unavailable",
                        "message": _("Luồng sự kiện tạm thời không sẵn sàng"),
                        "field": None,
                    }
                },
                status=503,
            )
    response = StreamingHttpResponse(
        event_stream(after=after, scope=scope, heartbeat=HEARTBEAT_SECONDS, lifetime=STREAM_LIFETIME_SECONDS),
        content_type="text/event-stream; charset=utf-8",
    )
    response["Cache-Control"] = "no-cache, no-store"
    response["X-Accel-Buffering"] = "no"  # nginx: pass each event on at once
    return response


@never_cache
def state(request: HttpRequest) -> JsonResponse:
    """/ioc/state.json: the snapshot the page paints first, and polls when the stream fails."""
    if not request.user.is_authenticated:
        return _forbidden()
    snapshot = live_snapshot(user=request.user, live_filter=LiveFilter.from_query(request.GET))
    return JsonResponse(snapshot, json_dumps_params={"ensure_ascii": False})


def _page_data(request: HttpRequest, user: Actor, live_filter: LiveFilter) -> dict[str, Any]:
    province = province_of_devices(user=user)
    query = request.GET.urlencode()
    return {
        "stateUrl": reverse("ioc-state") + (f"?{query}" if query else ""),
        "streamUrl": reverse("ioc-stream") + (f"?{query}" if query else ""),
        "mapUrl": reverse("boundaries", args=[province.code])
        if province and boundaries_for(province)
        else None,
        "alertUrl": reverse("ioc-live") + "alerts/",
        "deviceUrl": reverse("ioc-devices"),
        "labels": {
            "online": _("Trực tuyến"),
            "offline": _("Mất kết nối"),
            "never": _("Chưa từng gửi"),
            "simulated": _("mô phỏng"),
            "acknowledge": _("Xác nhận"),
            "clear": _("Kết thúc"),
            "acknowledged": _("Đã xác nhận"),
            "active": _("Đang xảy ra"),
            "noAlerts": _("Không có cảnh báo nào đang mở."),
            "unavailable": _("Chức năng xử lý cảnh báo chưa sẵn sàng."),
            "failed": _("Không thực hiện được"),
            "live": _("Trực tiếp"),
            "polling": _("Mất kết nối trực tiếp, đang cập nhật định kỳ"),
            "critical": _("Nghiêm trọng"),
            "major": _("Lớn"),
            "minor": _("Nhỏ"),
            "warning": _("Cảnh báo"),
        },
    }


@login_required
def live_page(request: HttpRequest) -> HttpResponse:
    """/ioc/: the map, the tiles, the open alerts and the plan's indicators (painted by ioc-live.js
    from state.json, then kept current by the stream)."""
    live_filter = LiveFilter.from_query(request.GET)
    plan, rows = indicator_wall(user=request.user)
    context = {
        "filter": live_filter,
        "subsystems": subsystems_with_devices(user=request.user),
        "units": units_with_devices(user=request.user),
        "plan": plan,
        "indicator_rows": rows,
        "page_data": _page_data(request, request.user, live_filter),
    }
    return render(request, "ioc/live_page.html", context)


@login_required
def device_list(request: HttpRequest) -> HttpResponse:
    """/ioc/devices/: search, filter, sort and pages."""
    params = {
        "q": request.GET.get("q", "").strip()[:100],
        "subsystem": request.GET.get("subsystem", "")[:60],
        "unit": request.GET.get("unit", "")[:40],
        "state": request.GET.get("state", "")[:10],
        "sort": request.GET.get("sort", "code") if request.GET.get("sort") in DEVICE_SORTS else "code",
    }
    devices = device_search(user=request.user, **params)
    page = Paginator(devices, DEVICES_PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "params": params,
        "query": query.urlencode(),
        "subsystems": subsystems_visible(user=request.user).filter(devices__isnull=False).distinct(),
        "units": units_with_devices(user=request.user),
        "states": Device.State.choices,
        "sorts": [
            ("code", _("Mã")),
            ("name", _("Tên")),
            ("state", _("Trạng thái")),
            ("-last_seen", _("Gửi gần nhất (mới trước)")),
            ("last_seen", _("Gửi gần nhất (cũ trước)")),
            ("unit", _("Đơn vị")),
        ],
    }
    return render(request, "ioc/live_devices.html", context)


@login_required
@not_found_on_error
def device_detail(request: HttpRequest, code: str) -> HttpResponse:
    """/ioc/devices/<code>/: its series with their latest values and the last 24 hours."""
    device = device_get(user=request.user, code=code)
    context = {
        "device": device,
        "metrics": list(device.metrics.all()),
        "chart": device_chart(user=request.user, device=device),
    }
    return render(request, "ioc/live_device.html", context)
