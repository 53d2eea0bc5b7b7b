"""Reads of the live page and the device pages, always given the acting user (scope from
ioc/selectors.py: a commune's operator sees the devices of its own unit and the units below it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from tiendo.analytics.selectors import IndicatorRow, indicator_rows
from tiendo.core.types import Actor
from tiendo.ioc import live
from tiendo.ioc.models import Alert, Device, DeviceMetric, Rollup, Subsystem
from tiendo.ioc.selectors import (
    ACTING_ROLES,
    alerts_visible,
    devices_visible,
    series_readings,
    series_rollups,
)
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin, user_scope_paths
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
    return _filtered(devices_visible(user=user).filter(active=True), live_filter)


def open_alerts(*, user: Actor, live_filter: LiveFilter) -> QuerySet[Alert]:
    alerts = alerts_visible(user=user).exclude(status=Alert.Status.CLEARED)
    if live_filter.subsystem:
        alerts = alerts.filter(Q(device__subsystem__code=live_filter.subsystem) | Q(device__isnull=True))
    if live_filter.unit:
        unit = OrgUnit.objects.filter(code=live_filter.unit).only("path").first()
        alerts = alerts.filter(unit__path__startswith=unit.path) if unit else alerts.none()
    return alerts.order_by("-started_at")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


DEVICE_FIELDS = {  # the snapshot's name: the query's
    "code": "code",
    "name": "name",
    "kind": "kind",
    "subsystem": "subsystem__code",
    "unit": "unit__code",
    "unit_name": "unit__name",
    "state": "state",
    "last_seen_at": "last_seen_at",
    "moving": "moving",
    "lat": "latitude",
    "lon": "longitude",
    "simulated": "simulated",
}


def device_rows(devices: QuerySet[Device]) -> tuple[list[dict[str, Any]], dict[int, dict[str, Any]]]:
    """The devices as the snapshot has them, each with its series (two queries, no model instances:
    2,000 devices are read in tens of milliseconds); and the series by id, for the tiles.

    A moving device (a vessel) stands where its last lat / lon readings put it."""
    rows: dict[int, dict[str, Any]] = {}
    for values in devices.values("id", *DEVICE_FIELDS.values()):
        row = {name: values[field] for name, field in DEVICE_FIELDS.items()}
        row["last_seen_at"] = _iso(row["last_seen_at"])
        row["metrics"] = []
        rows[values["id"]] = row
    series: dict[int, dict[str, Any]] = {}
    metrics = (
        DeviceMetric.objects.filter(device__in=devices.values("id"))
        .order_by("device_id", "derived", "code")
        .values("id", "device_id", "code", "name", "unit_code", "derived", "last_value", "last_ts")
    )
    for m in metrics:
        owner = rows.get(m["device_id"])
        if owner is None:
            continue
        metric = {
            "code": m["code"],
            "name": m["name"] or m["code"],
            "unit_code": m["unit_code"],
            "derived": m["derived"],
            "value": m["last_value"],
            "ts": _iso(m["last_ts"]),
        }
        owner["metrics"].append(metric)
        series[m["id"]] = {"device": owner, "metric": metric}
        if owner["moving"] and m["code"] in POSITION_METRICS and m["last_value"] is not None:
            owner[m["code"]] = m["last_value"]
    return list(rows.values()), series


def acting_paths(*, user: Actor) -> tuple[str, ...] | None:
    """Where the user may acknowledge and clear alerts (selectors.user_may_act_on_alert's rule,
    asked once for a whole list): None everywhere (the office), else unit paths."""
    if user_is_office_admin(user):
        return None
    if not user.is_authenticated:
        return ()
    return tuple(
        Membership.objects.filter(user=user, role__in=ACTING_ROLES).values_list("unit__path", flat=True)
    )


def alert_row(alert: Alert, *, may_act: bool) -> dict[str, Any]:
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
        "may_act": may_act,
        "simulated": bool(alert.device and alert.device.simulated),
    }


def sparklines(*, series_ids: list[int], now: datetime | None = None) -> dict[int, list[list[Any]]]:
    """Hourly means of the last 24 hours of each series, from the rollups: one query."""
    since = (now or timezone.now()) - timedelta(hours=SPARK_HOURS)
    points: dict[int, list[list[Any]]] = {i: [] for i in series_ids}
    rollups = (
        Rollup.objects.filter(series_id__in=series_ids, grain=Rollup.Grain.HOUR, bucket__gte=since)
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
    devices, series = device_rows(live_devices(user=user, live_filter=live_filter))
    tile_ids = [i for i, s in series.items() if s["metric"]["code"] not in POSITION_METRICS][:TILE_LIMIT]
    spark = sparklines(series_ids=tile_ids)
    alerts = list(open_alerts(user=user, live_filter=live_filter)[:ALERT_LIMIT])
    paths = acting_paths(user=user)
    tiles = []
    for series_id in tile_ids:
        device, metric = series[series_id]["device"], series[series_id]["metric"]
        tiles.append(
            {
                "device": device["code"],
                "device_name": device["name"],
                "metric": metric["code"],
                "name": metric["name"],
                "unit_code": metric["unit_code"],
                "value": metric["value"],
                "ts": metric["ts"],
                "simulated": device["simulated"],
                "spark": spark[series_id],
            }
        )
    return {
        "last_event_id": last_id,
        "generated_at": timezone.now().isoformat(),
        "devices": devices,
        "tiles": tiles,
        "alerts": [alert_row(a, may_act=paths is None or a.unit.path.startswith(paths)) for a in alerts],
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


def device_chart(*, user: Actor, device: Device, hours: int = 24) -> dict[str, Any]:
    """Every series of the device over the last `hours`: 5-minute means from the rollups
    (selectors.series_rollups), the raw readings when a series has none yet."""
    now = timezone.now()
    since = now - timedelta(hours=hours)
    chart: dict[str, Any] = {"since": since.isoformat(), "until": now.isoformat(), "series": []}
    for metric in device.metrics.all():
        rollups = series_rollups(
            user=user,
            device_code=device.code,
            metric=metric.code,
            grain=Rollup.Grain.FIVE_MINUTES,
            since=since,
        )
        if rollups:
            points = [
                [r.bucket.isoformat(), round(r.total / r.count, 3) if r.count else None] for r in rollups
            ]
        else:
            readings = series_readings(
                user=user, device_code=device.code, metric=metric.code, since=since, last_n=2000
            )
            points = [[r.ts.isoformat(), r.value] for r in readings]
        chart["series"].append(
            {
                "metric": metric.code,
                "name": metric.name or metric.code,
                "unit_code": metric.unit_code,
                "points": points,
            }
        )
    return chart
