"""Reads of the live page and the device pages, always given the acting user (scope from
ioc/selectors.py: a commune's operator sees the devices of its own unit and the units below it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from tiendo.analytics.selectors import IndicatorRow, indicator_rows
from tiendo.core.types import Actor
from tiendo.ioc import live
from tiendo.ioc.models import Alert, Device, DeviceMetric, Rollup, Subsystem
from tiendo.ioc.selectors import alerts_visible, device_get, devices_visible, user_may_act_on_alert
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_scope_paths
from tiendo.plans.models import Plan
from tiendo.plans.selectors import plan_list

POSITION_METRICS = ("lat", "lon")  # a moving device (a vessel) reports where it is as two series
SPARK_HOURS = 24
TILE_LIMIT = 24  # tiles on the live page; the device list has the rest
ALERT_LIMIT = 200
DEVICE_SORTS = {
    "code": ("code",),
    "name": ("name", "code"),
    "state": ("state", "code"),
    "-last_seen": ("-last_seen_at", "code"),
    "last_seen": ("last_seen_at", "code"),
    "unit": ("unit__name", "code"),
}


@dataclass(frozen=True)
class LiveFilter:
    """The page's filters, from its query string: a subsystem's code and a unit's code."""

    subsystem: str = ""
    unit: str = ""

    @classmethod
    def from_query(cls, query: Any) -> LiveFilter:
        return cls(subsystem=str(query.get("subsystem", ""))[:60], unit=str(query.get("unit", ""))[:40])


@dataclass(frozen=True)
class StreamScope:
    """Which events a subscriber may receive: paths of its scope (None: everywhere), narrowed by
    the page's filters."""

    paths: tuple[str, ...] | None
    unit_path: str = ""
    subsystem: str = ""

    def admits(self, event: dict[str, Any]) -> bool:
        if event.get("type") == live.RESET:
            return True
        path = str(event.get("path") or "")
        if self.paths is not None and not (path and path.startswith(self.paths)):
            return False
        if self.unit_path and not path.startswith(self.unit_path):
            return False
        return not (self.subsystem and event.get("subsystem") not in (None, self.subsystem))


def stream_scope(*, user: Actor, live_filter: LiveFilter) -> StreamScope:
    paths = user_scope_paths(user)
    unit_path = ""
    if live_filter.unit:
        unit = OrgUnit.objects.filter(code=live_filter.unit).only("path").first()
        unit_path = unit.path if unit is not None else "/nowhere/"
    return StreamScope(
        paths=tuple(paths) if paths is not None else None,
        unit_path=unit_path,
        subsystem=live_filter.subsystem,
    )


def _filtered(devices: QuerySet[Device], live_filter: LiveFilter) -> QuerySet[Device]:
    if live_filter.subsystem:
        devices = devices.filter(subsystem__code=live_filter.subsystem)
    if live_filter.unit:
        unit = OrgUnit.objects.filter(code=live_filter.unit).only("path").first()
        devices = devices.filter(unit__path__startswith=unit.path) if unit else devices.none()
    return devices


def live_devices(*, user: Actor, live_filter: LiveFilter) -> QuerySet[Device]:
    metrics = Prefetch("metrics", queryset=DeviceMetric.objects.order_by("device_id", "derived", "code"))
    return _filtered(devices_visible(user=user).filter(active=True), live_filter).prefetch_related(metrics)


def open_alerts(*, user: Actor, live_filter: LiveFilter) -> QuerySet[Alert]:
    alerts = alerts_visible(user=user).exclude(status=Alert.Status.CLEARED)
    if live_filter.subsystem:
        alerts = alerts.filter(Q(device__subsystem__code=live_filter.subsystem) | Q(device__isnull=True))
    if live_filter.unit:
        unit = OrgUnit.objects.filter(code=live_filter.unit).only("path").first()
        alerts = alerts.filter(unit__path__startswith=unit.path) if unit else alerts.none()
    return alerts.order_by("-started_at")


def _position(device: Device, metrics: dict[str, DeviceMetric]) -> tuple[float | None, float | None]:
    lat, lon = metrics.get("lat"), metrics.get("lon")
    if device.moving and lat and lon and lat.last_value is not None and lon.last_value is not None:
        return lat.last_value, lon.last_value
    return device.latitude, device.longitude


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def device_row(device: Device) -> dict[str, Any]:
    metrics = {m.code: m for m in device.metrics.all()}
    lat, lon = _position(device, metrics)
    return {
        "code": device.code,
        "name": device.name,
        "kind": device.kind,
        "subsystem": device.subsystem.code,
        "unit": device.unit.code,
        "unit_name": device.unit.name,
        "state": device.state,
        "last_seen_at": _iso(device.last_seen_at),
        "moving": device.moving,
        "lat": lat,
        "lon": lon,
        "simulated": device.simulated,
        "metrics": [
            {
                "code": m.code,
                "name": m.name or m.code,
                "unit_code": m.unit_code,
                "derived": m.derived,
                "value": m.last_value,
                "ts": _iso(m.last_ts),
            }
            for m in metrics.values()
        ],
    }


def alert_row(alert: Alert, *, user: Actor) -> dict[str, Any]:
    return {
        "id": alert.pk,
        "rule": alert.rule.code,
        "device": alert.device.code if alert.device else None,
        "unit": alert.unit.code,
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "value": alert.value,
        "started_at": _iso(alert.started_at),
        "may_act": user_may_act_on_alert(user=user, alert=alert),
        "simulated": bool(alert.device and alert.device.simulated),
    }


def sparklines(*, series: list[DeviceMetric], now: datetime | None = None) -> dict[int, list[list[Any]]]:
    """Hourly means of the last 24 hours of each series, from the rollups: one query."""
    since = (now or timezone.now()) - timedelta(hours=SPARK_HOURS)
    points: dict[int, list[list[Any]]] = {s.pk: [] for s in series}
    rollups = (
        Rollup.objects.filter(series__in=series, grain=Rollup.Grain.HOUR, bucket__gte=since)
        .order_by("series_id", "bucket")
        .values_list("series_id", "bucket", "total", "count")
    )
    for series_id, bucket, total, count in rollups:
        points[series_id].append([bucket.isoformat(), round(total / count, 3) if count else None])
    return points


def live_snapshot(*, user: Actor, live_filter: LiveFilter) -> dict[str, Any]:
    """What the live page paints first (and polls when the stream is unavailable). The last event
    id is read before the rows: resuming the stream from it may repeat an event, never miss one."""
    last_id = live.last_event_id()
    devices = list(live_devices(user=user, live_filter=live_filter))
    tiles: list[tuple[Device, DeviceMetric]] = []
    for device in devices:
        for metric in device.metrics.all():
            if metric.code not in POSITION_METRICS and len(tiles) < TILE_LIMIT:
                tiles.append((device, metric))
    spark = sparklines(series=[m for _d, m in tiles])
    alerts = list(open_alerts(user=user, live_filter=live_filter)[:ALERT_LIMIT])
    return {
        "last_event_id": last_id,
        "generated_at": timezone.now().isoformat(),
        "devices": [device_row(d) for d in devices],
        "tiles": [
            {
                "device": d.code,
                "device_name": d.name,
                "metric": m.code,
                "name": m.name or m.code,
                "unit_code": m.unit_code,
                "value": m.last_value,
                "ts": _iso(m.last_ts),
                "simulated": d.simulated,
                "spark": spark.get(m.pk, []),
            }
            for d, m in tiles
        ],
        "alerts": [alert_row(a, user=user) for a in alerts],
    }


def subsystems_with_devices(*, user: Actor) -> QuerySet[Subsystem]:
    return Subsystem.objects.filter(devices__in=devices_visible(user=user)).distinct().order_by("name")


def units_with_devices(*, user: Actor) -> QuerySet[OrgUnit]:
    return OrgUnit.objects.filter(ioc_devices__in=devices_visible(user=user)).distinct().order_by("name")


def province_of_devices(*, user: Actor) -> OrgUnit | None:
    """The province whose communes the map draws: that of the first plan, else the first province."""
    plan = plan_list(user=user).first()
    if plan is not None:
        return plan.province
    return OrgUnit.objects.filter(kind=OrgUnit.Kind.PROVINCE).order_by("code").first()


def indicator_wall(*, user: Actor) -> tuple[Plan | None, list[IndicatorRow]]:
    """The plan of this year (else the latest) with each indicator's verdict, as the home page has."""
    plans = plan_list(user=user)
    plan = plans.filter(year=timezone.localdate().year).first() or plans.first()
    if plan is None:
        return None, []
    return plan, indicator_rows(user=user, plan=plan)


def device_search(
    *, user: Actor, q: str = "", subsystem: str = "", unit: str = "", state: str = "", sort: str = "code"
) -> QuerySet[Device]:
    devices = _filtered(devices_visible(user=user), LiveFilter(subsystem=subsystem, unit=unit))
    if state in Device.State.values:
        devices = devices.filter(state=state)
    for word in q.split():
        devices = devices.filter(Q(code__icontains=word) | Q(name__icontains=word))
    return devices.order_by(*DEVICE_SORTS.get(sort, DEVICE_SORTS["code"]))


def series_rollups_live(
    *, user: Actor, device_code: str, metric: str, grain: str, since: datetime, until: datetime | None = None
) -> list[Rollup]:
    """Rollups of one series the user may see, oldest first (until the coordinator's
    selectors.series_rollups is on main)."""
    device = device_get(user=user, code=device_code)
    rollups = Rollup.objects.filter(
        series__device=device, series__code=metric, grain=grain, bucket__gte=since
    )
    if until is not None:
        rollups = rollups.filter(bucket__lt=until)
    return list(rollups.order_by("bucket"))


def device_chart(*, user: Actor, device: Device, hours: int = 24) -> dict[str, Any]:
    """Every series of the device over the last `hours`: 5-minute means from the rollups, the raw
    readings when a series has no rollups yet."""
    from tiendo.ioc.models import Reading

    since = timezone.now() - timedelta(hours=hours)
    series = list(device.metrics.all())
    chart: dict[str, Any] = {"series": []}
    for metric in series:
        rollups = list(
            Rollup.objects.filter(series=metric, grain=Rollup.Grain.FIVE_MINUTES, bucket__gte=since)
            .order_by("bucket")
            .values_list("bucket", "total", "count")
        )
        if rollups:
            points = [[b.isoformat(), round(t / c, 3) if c else None] for b, t, c in rollups]
        else:
            readings = Reading.objects.filter(series=metric, ts__gte=since).order_by("-ts")[:2000]
            points = [[r.ts.isoformat(), r.value] for r in reversed(list(readings))]
        chart["series"].append(
            {
                "metric": metric.code,
                "name": metric.name or metric.code,
                "unit_code": metric.unit_code,
                "points": points,
            }
        )
    return chart
