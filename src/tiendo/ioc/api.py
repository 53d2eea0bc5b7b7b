"""/api/v1/ioc/…: readings in (HTTP batch ingest), the registry, series and alerts out.

The same figures as the live page and the NGSI-LD face, for the rest of tiendo's API clients."""

from django.db.models import Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from tiendo.core.api_access import INGEST, SIGNED_IN, raises
from tiendo.core.api_paging import Pages
from tiendo.core.exceptions import ApplicationError
from tiendo.ioc.ingest import IncomingReading
from tiendo.ioc.models import Alert, Device, DeviceMetric, Severity
from tiendo.ioc.schemas import (
    AlertListIn,
    AlertOut,
    DeviceListIn,
    DeviceOut,
    ReadingOut,
    ReadingsIn,
    ReadingsOut,
    RollupOut,
    RollupWindowIn,
    SeriesWindowIn,
    SubsystemOut,
)
from tiendo.ioc.selectors import (
    alert_get,
    alerts_visible,
    device_get,
    devices_visible,
    series_readings,
    series_rollups,
    subsystems_visible,
)
from tiendo.ioc.services_ingest import readings_ingest_http

router = Router(tags=["ioc"], auth=SIGNED_IN)  # the IOC is not public: a signed-in user or system


def _choice(value: str | None, choices: list[str], field: str) -> str | None:
    if value and value not in choices:
        raise ApplicationError(
            _("%(field)s phải là một trong %(choices)s") % {"field": field, "choices": ", ".join(choices)},
            field=field,
        )
    return value or None


@router.post(
    "/ioc/readings",
    response=ReadingsOut,
    auth=INGEST,
    summary="Send a batch of readings (≤ 5,000; all or nothing; Idempotency-Key)",
    description=(
        "For systems that cannot speak MQTT. A token needs the `ingest` scope. Every bad reading is "
        "named in the 422 answer (`refusals`); nothing is stored then. A reading already stored "
        "(device, metric, ts) is counted as a duplicate, never stored twice. With an `Idempotency-Key` "
        "header, a retry of the same body gets the first answer (header `Idempotent-Replayed: true`)."
    ),
    openapi_extra=raises(403, 422),
)
def readings_push(request: HttpRequest, body: ReadingsIn, response: HttpResponse):
    answer = readings_ingest_http(
        user=request.user,
        readings=[
            IncomingReading(device=r.device, metric=r.metric, ts=r.ts, value=r.value, label=f"readings[{i}]")
            for i, r in enumerate(body.readings)
        ],
        body=request.body,
        idempotency_key=request.headers.get("Idempotency-Key"),
    )
    if answer.replayed:
        response["Idempotent-Replayed"] = "true"
    return answer.body


@router.get("/ioc/subsystems", response=list[SubsystemOut], summary="The IOC's subsystems")
def subsystems_list(request: HttpRequest):
    return [
        {
            "code": s.code,
            "name": s.name,
            "owner": s.owner.code if s.owner else None,
            "owner_name": s.owner_name,
            "year": s.year,
            "description": s.description,
            "source": s.source,
        }
        for s in subsystems_visible(user=request.user).select_related("owner")
    ]


def device_out(device: Device) -> dict:
    return {
        "id": device.ngsi_id,
        "code": device.code,
        "name": device.name,
        "subsystem": device.subsystem.code,
        "unit": device.unit.code,
        "owner": device.owner.code if device.owner else None,
        "kind": device.kind,
        "moving": device.moving,
        "latitude": device.latitude,
        "longitude": device.longitude,
        "simulated": device.simulated,
        "state": device.state,
        "last_seen_at": device.last_seen_at,
        "metrics": [
            {
                "code": m.code,
                "name": m.name,
                "unit_code": m.unit_code,
                "derived": m.derived,
                "last_value": m.last_value,
                "last_ts": m.last_ts,
            }
            for m in device.metrics.all()
        ],
    }


def _devices(request: HttpRequest, filters: DeviceListIn) -> QuerySet[Device]:
    devices = devices_visible(user=request.user).select_related("subsystem", "unit", "owner")
    devices = devices.prefetch_related(Prefetch("metrics", queryset=DeviceMetric.objects.order_by("code")))
    kind = _choice(filters.kind, Device.Kind.values, "kind")
    state = _choice(filters.state, Device.State.values, "state")
    if filters.q.strip():
        devices = devices.filter(Q(code__icontains=filters.q.strip()) | Q(name__icontains=filters.q.strip()))
    if filters.subsystem:
        devices = devices.filter(subsystem__code=filters.subsystem)
    if filters.unit:
        devices = devices.filter(unit__code=filters.unit)
    if kind:
        devices = devices.filter(kind=kind)
    if state:
        devices = devices.filter(state=state)
    return devices.order_by("code")


@router.get(
    "/ioc/devices",
    response=list[DeviceOut],
    summary="Devices the caller may see, with their metrics' latest values",
    openapi_extra=raises(400),
)
@paginate(Pages)
def devices_list(request: HttpRequest, filters: Query[DeviceListIn]):
    return [device_out(d) for d in _devices(request, filters)]


@router.get("/ioc/devices/{code}", response=DeviceOut, summary="One device (code or NGSI-LD id)")
def devices_get(request: HttpRequest, code: str):
    device = device_get(user=request.user, code=code)
    return device_out(
        Device.objects.select_related("subsystem", "unit", "owner")
        .prefetch_related(Prefetch("metrics", queryset=DeviceMetric.objects.order_by("code")))
        .get(pk=device.pk)
    )


@router.get(
    "/ioc/devices/{code}/metrics/{metric}/readings",
    response=list[ReadingOut],
    summary="Raw readings of one series in time order (kept TIENDO_IOC_RAW_DAYS days)",
    openapi_extra=raises(422),  # a window bound that is not a date-time, last_n out of 1…10,000
)
def series_readings_list(request: HttpRequest, code: str, metric: str, window: Query[SeriesWindowIn]):
    last_n = window.last_n if window.last_n is not None else (None if window.since else 1000)
    rows = series_readings(
        user=request.user,
        device_code=code,
        metric=metric,
        since=window.since,
        until=window.until,
        last_n=last_n,
    )
    return [{"ts": r.ts, "value": r.value} for r in rows]


@router.get(
    "/ioc/devices/{code}/metrics/{metric}/rollups",
    response=list[RollupOut],
    summary="5-minute, hourly or daily rollups of one series (kept for ever)",
    openapi_extra=raises(422),  # grain not 5m/1h/1d, a bound that is not a date-time
)
def series_rollups_list(request: HttpRequest, code: str, metric: str, window: Query[RollupWindowIn]):
    rows = series_rollups(
        user=request.user,
        device_code=code,
        metric=metric,
        grain=window.grain,
        since=window.since,
        until=window.until,
    )
    return [
        {
            "bucket": r.bucket,
            "count": r.count,
            "mean": r.total / r.count,
            "minimum": r.minimum,
            "maximum": r.maximum,
        }
        for r in rows
    ]


def alert_out(alert: Alert) -> dict:
    return {
        "id": alert.pk,
        "rule": alert.rule.code,
        "rule_name": alert.rule.name,
        "device": alert.device.code if alert.device else None,
        "unit": alert.unit.code,
        "severity": alert.severity,
        "status": alert.status,
        "message": alert.message,
        "value": alert.value,
        "started_at": alert.started_at,
        "last_at": alert.last_at,
        "acknowledged_at": alert.acknowledged_at,
        "cleared_at": alert.cleared_at,
    }


@router.get(
    "/ioc/alerts",
    response=list[AlertOut],
    summary="Alerts the caller may see, newest first",
    openapi_extra=raises(400),
)
@paginate(Pages)
def alerts_list(request: HttpRequest, filters: Query[AlertListIn]):
    alerts = alerts_visible(user=request.user).select_related("rule", "device", "unit")
    status = _choice(filters.status, Alert.Status.values, "status")
    severity = _choice(filters.severity, Severity.values, "severity")
    if status:
        alerts = alerts.filter(status=status)
    if severity:
        alerts = alerts.filter(severity=severity)
    if filters.unit:
        alerts = alerts.filter(unit__code=filters.unit)
    return [alert_out(a) for a in alerts.order_by("-started_at", "-pk")]


@router.get("/ioc/alerts/{alert_id}", response=AlertOut, summary="One alert")
def alerts_get(request: HttpRequest, alert_id: int):
    return alert_out(alert_get(user=request.user, alert_id=alert_id))
