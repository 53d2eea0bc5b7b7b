"""The IOC and the plan as NGSI-LD entities (ETSI GS CIM 009), in FIWARE Smart Data Models' shapes.

Read-only. Entity types: `Device` (a device of the registry), `DeviceMeasurement` (one series: a
device's metric, its latest value), `AirQualityObserved` (an air-quality station's latest pollutants
and VN_AQI), `KeyPerformanceIndicator` (an indicator of the plan with its value and standing). Ids are
URNs `urn:ngsi-ld:<Type>:<key>`. Who sees what is the selectors': the IOC's for devices, the
plans' and analytics' for indicators. Simulated data says so (`dataProvider` "simulated").
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

from django.db.models import Prefetch
from django.utils import timezone

from tiendo.analytics.selectors import IndicatorRow, indicator_history, indicator_rows
from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.ioc.models import Device, DeviceMetric, Reading
from tiendo.ioc.selectors import devices_visible
from tiendo.plans.models import Indicator
from tiendo.plans.selectors import plan_list
from tiendo.reporting.periods import parse_period

CORE_CONTEXT = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
CONTEXTS = {
    "Device": "https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld",
    "DeviceMeasurement": "https://raw.githubusercontent.com/smart-data-models/dataModel.Device/master/context.jsonld",
    "AirQualityObserved": (
        "https://raw.githubusercontent.com/smart-data-models/dataModel.Environment/master/context.jsonld"
    ),
    "KeyPerformanceIndicator": (
        "https://raw.githubusercontent.com/smart-data-models/dataModel.KeyPerformanceIndicator/master/context.jsonld"
    ),
}
TYPES = tuple(CONTEXTS)
POLLUTANTS = ("pm25", "pm10", "o3", "co", "no2", "so2")
CONTROLLED: dict[str, list[str]] = {
    Device.Kind.AIR_QUALITY: ["airPollution"],
    Device.Kind.WATER_LEVEL: ["waterLevel"],
    Device.Kind.VESSEL: ["location"],
    Device.Kind.CAMERA: ["trafficFlow"],
    Device.Kind.WEATHER: ["temperature", "humidity", "windSpeed", "precipitation"],
}
# Open SDG's progress (and the verdicts) → the KPI model's currentStanding
STANDING = {"dat": "veryGood", "chua_dat": "bad", "chua_den_han": "fair", "thieu_so_lieu": None}


def context_for(types: list[str]) -> list[str]:
    return sorted({CONTEXTS[t] for t in types if t in CONTEXTS}) + [CORE_CONTEXT]


def urn(kind: str, *parts: str) -> str:
    return f"urn:ngsi-ld:{kind}:" + ":".join(parts)


def prop(value: Any, *, observed_at: datetime | None = None, unit_code: str | None = None) -> dict[str, Any]:
    attribute: dict[str, Any] = {"type": "Property", "value": value}
    if observed_at is not None:
        attribute["observedAt"] = iso(observed_at)
    if unit_code:
        attribute["unitCode"] = unit_code
    return attribute


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def date_time(moment: datetime) -> dict[str, Any]:
    return {"type": "Property", "value": {"@type": "DateTime", "@value": iso(moment)}}


def relationship(target: str) -> dict[str, Any]:
    return {"type": "Relationship", "object": target}


def geo(device: Device) -> dict[str, Any] | None:
    if device.latitude is None or device.longitude is None:
        return None
    return {
        "type": "GeoProperty",
        "value": {"type": "Point", "coordinates": [device.longitude, device.latitude]},
    }


def _provider(device: Device) -> dict[str, Any]:
    return prop(
        "simulated" if device.simulated else (device.owner.name if device.owner else device.unit.name)
    )


def device_entity(device: Device) -> dict[str, Any]:
    metrics = list(device.metrics.all())
    entity: dict[str, Any] = {
        "id": device.ngsi_id,
        "type": "Device",
        "name": prop(device.name),
        "category": prop(["sensor"]),
        "controlledProperty": prop(CONTROLLED.get(device.kind, [m.code for m in metrics])),
        "deviceState": prop(device.state),
        "supportedProtocol": prop(["mqtt", "http"]),
        "owner": prop([device.owner.code if device.owner else device.unit.code]),
        "areaServed": prop(device.unit.name),
        "dataProvider": _provider(device),
        "source": prop(device.subsystem.name),
    }
    if device.last_seen_at is not None:
        entity["dateLastValueReported"] = date_time(device.last_seen_at)
    if (location := geo(device)) is not None:
        entity["location"] = location
    for metric in metrics:
        if metric.last_value is not None and metric.last_ts is not None:
            entity[metric.code] = prop(
                metric.last_value, observed_at=metric.last_ts, unit_code=metric.unit_code
            )
    return entity


def measurement_entity(device: Device, metric: DeviceMetric) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": urn("DeviceMeasurement", device.code, metric.code),
        "type": "DeviceMeasurement",
        "name": prop(f"{device.name} — {metric.name}"),
        "refDevice": relationship(device.ngsi_id),
        "controlledProperty": prop(metric.code),
        "measurementType": prop("derived" if metric.derived else "measured"),
        "unit": prop(metric.unit_code),
        "deviceType": prop(device.kind),
        "dataProvider": _provider(device),
    }
    if metric.last_value is not None and metric.last_ts is not None:
        entity["numValue"] = prop(metric.last_value, observed_at=metric.last_ts, unit_code=metric.unit_code)
        entity["dateObserved"] = date_time(metric.last_ts)
    if (location := geo(device)) is not None:
        entity["location"] = location
    return entity


def air_quality_entity(device: Device) -> dict[str, Any]:
    metrics = {m.code: m for m in device.metrics.all()}
    entity: dict[str, Any] = {
        "id": urn("AirQualityObserved", device.code),
        "type": "AirQualityObserved",
        "name": prop(device.name),
        "refDevice": relationship(device.ngsi_id),
        "areaServed": prop(device.unit.name),
        "dataProvider": _provider(device),
        "reliability": prop(0.0 if device.simulated else 1.0),
        "typeofLocation": prop("outdoor"),
    }
    newest: datetime | None = None
    for code in POLLUTANTS:
        metric = metrics.get(code)
        if metric is not None and metric.last_value is not None and metric.last_ts is not None:
            entity[code] = prop(metric.last_value, observed_at=metric.last_ts, unit_code=metric.unit_code)
            newest = max(newest, metric.last_ts) if newest else metric.last_ts
    index = metrics.get("aqi_h")
    if index is not None and index.last_value is not None and index.last_ts is not None:
        entity["airQualityIndex"] = prop(index.last_value, observed_at=index.last_ts)
        entity["referenceSpecification"] = prop("VN_AQI, Quyết định 1459/QĐ-TCMT (2019)")
    if newest is not None:
        entity["dateObserved"] = date_time(newest)
    if (location := geo(device)) is not None:
        entity["location"] = location
    return entity


def kpi_id(indicator: Indicator) -> str:
    return urn("KeyPerformanceIndicator", indicator.plan.code, indicator.number)


def kpi_entity(row: IndicatorRow) -> dict[str, Any]:
    indicator, evaluation = row.indicator, row.evaluation
    plan = indicator.plan
    entity: dict[str, Any] = {
        "id": kpi_id(indicator),
        "type": "KeyPerformanceIndicator",
        "name": prop(f"{indicator.number}. {indicator.name}"),
        "description": prop(indicator.name_en or indicator.name),
        "category": prop(["quantitative"] if indicator.target_value is not None else ["qualitative"]),
        "businessTarget": prop(indicator.target_text),
        "organization": prop({"name": indicator.lead_text or plan.title}),
        "process": prop(plan.title),
        "calculationFrequency": prop("yearly"),
        "calculationMethod": prop("automatic" if evaluation.basis == "computed" else "manual"),
        "calculationPeriod": prop({"from": plan.starts_on.isoformat(), "to": plan.ends_on.isoformat()}),
        "verdict": prop(evaluation.verdict),
    }
    if evaluation.value is not None:
        entity["kpiValue"] = prop(float(evaluation.value), unit_code=None)
    elif evaluation.value_text:
        entity["kpiValue"] = prop(evaluation.value_text)
    standing = STANDING.get(evaluation.verdict)
    if standing:
        entity["currentStanding"] = prop(standing)
    data_value = evaluation.data_value
    if data_value is not None:
        entity["dataProvider"] = prop(
            "simulated" if data_value.is_simulated else data_value.source or "tiendo"
        )
        entity["updatedAt"] = date_time(data_value.stored_at)
    return entity


def _devices(user: Actor) -> Iterator[Device]:
    metrics = Prefetch("metrics", queryset=DeviceMetric.objects.order_by("code"))
    yield from (
        devices_visible(user=user)
        .filter(active=True)
        .select_related("unit", "owner", "subsystem")
        .prefetch_related(metrics)
        .order_by("code")
    )


def entities_of_type(*, user: Actor, entity_type: str) -> Iterator[dict[str, Any]]:
    """Every entity of one type the user may see, in id order within the type."""
    if entity_type == "Device":
        yield from (device_entity(d) for d in _devices(user))
    elif entity_type == "DeviceMeasurement":
        yield from (measurement_entity(d, m) for d in _devices(user) for m in d.metrics.all())
    elif entity_type == "AirQualityObserved":
        yield from (air_quality_entity(d) for d in _devices(user) if d.kind == Device.Kind.AIR_QUALITY)
    elif entity_type == "KeyPerformanceIndicator":
        for plan in plan_list(user=user):
            yield from (kpi_entity(row) for row in indicator_rows(user=user, plan=plan))


@dataclass(frozen=True)
class Target:
    """What an entity id names: its type and the objects behind it."""

    entity_type: str
    device: Device | None = None
    metric: DeviceMetric | None = None
    indicator: Indicator | None = None


def target_of(*, user: Actor, entity_id: str) -> Target:
    """The entity an id names, if the user may see it; NotFoundError otherwise."""
    parts = entity_id.split(":")
    if len(parts) < 4 or parts[:2] != ["urn", "ngsi-ld"] or parts[2] not in TYPES:
        raise NotFoundError()
    kind, keys = parts[2], parts[3:]
    if kind == "KeyPerformanceIndicator":
        if len(keys) != 2:
            raise NotFoundError()
        for plan in plan_list(user=user):
            if plan.code == keys[0]:
                indicator = plan.indicators.filter(number=keys[1]).select_related("plan").first()
                if indicator is not None:
                    return Target(kind, indicator=indicator)
        raise NotFoundError()
    device = next((d for d in _devices_by_code(user, keys[0])), None)
    if device is None or (kind == "AirQualityObserved" and device.kind != Device.Kind.AIR_QUALITY):
        raise NotFoundError()
    if kind == "DeviceMeasurement":
        metric = next((m for m in device.metrics.all() if len(keys) == 2 and m.code == keys[1]), None)
        if metric is None:
            raise NotFoundError()
        return Target(kind, device=device, metric=metric)
    if len(keys) != 1:
        raise NotFoundError()
    return Target(kind, device=device)


def _devices_by_code(user: Actor, code: str) -> Iterator[Device]:
    metrics = Prefetch("metrics", queryset=DeviceMetric.objects.order_by("code"))
    yield from (
        devices_visible(user=user)
        .filter(code=code, active=True)
        .select_related("unit", "owner", "subsystem")
        .prefetch_related(metrics)
    )


def entity_of(*, user: Actor, entity_id: str) -> dict[str, Any]:
    target = target_of(user=user, entity_id=entity_id)
    if target.indicator is not None:
        plan = target.indicator.plan
        row = next(r for r in indicator_rows(user=user, plan=plan) if r.indicator.pk == target.indicator.pk)
        return kpi_entity(row)
    assert target.device is not None
    if target.entity_type == "DeviceMeasurement":
        assert target.metric is not None
        return measurement_entity(target.device, target.metric)
    if target.entity_type == "AirQualityObserved":
        return air_quality_entity(target.device)
    return device_entity(target.device)


@dataclass(frozen=True)
class TimeWindow:
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    last_n: int | None = None


def _instances(metric: DeviceMetric, window: TimeWindow) -> list[tuple[float, datetime]]:
    readings = Reading.objects.filter(series=metric)
    if window.since is not None:
        readings = readings.filter(ts__gte=window.since)
    if window.until is not None:
        readings = readings.filter(ts__lt=window.until)
    if window.last_n is not None:
        rows = list(readings.order_by("-ts").values_list("value", "ts")[: window.last_n])
        return list(reversed(rows))
    return list(readings.order_by("ts").values_list("value", "ts"))


def temporal_of(
    *, user: Actor, entity_id: str, window: TimeWindow, attrs: list[str] | None
) -> dict[str, Any]:
    """The entity's history: each attribute as a list of (value, observedAt) instances."""
    target = target_of(user=user, entity_id=entity_id)
    series: dict[str, list[tuple[Any, datetime]]] = {}
    unit_codes: dict[str, str] = {}
    if target.indicator is not None:
        for point in indicator_history(user=user, indicator=target.indicator):
            value = point.data_value.value
            if value is not None:
                end = parse_period(point.data_value.period).end
                moment = timezone.make_aware(datetime.combine(end, time(23, 59, 59)))
                series.setdefault("kpiValue", []).append((float(value), moment))
        if window.last_n is not None and "kpiValue" in series:
            series["kpiValue"] = series["kpiValue"][-window.last_n :]
    else:
        assert target.device is not None
        metrics = {m.code: m for m in target.device.metrics.all()}
        if target.entity_type == "DeviceMeasurement":
            assert target.metric is not None
            chosen = {"numValue": target.metric}
        elif target.entity_type == "AirQualityObserved":
            chosen = {code: metrics[code] for code in POLLUTANTS if code in metrics}
            if "aqi_h" in metrics:
                chosen["airQualityIndex"] = metrics["aqi_h"]
        else:
            chosen = metrics
        for name, metric in chosen.items():
            if attrs and name not in attrs:
                continue
            series[name] = list(_instances(metric, window))
            unit_codes[name] = metric.unit_code
    entity: dict[str, Any] = {"id": entity_id, "type": target.entity_type}
    for name, instances in series.items():
        if attrs and name not in attrs:
            continue
        entity[name] = [
            prop(value, observed_at=moment, unit_code=unit_codes.get(name) or None)
            for value, moment in instances
        ]
    return entity


def temporal_values(entity: dict[str, Any]) -> dict[str, Any]:
    """The simplified temporal representation (options=temporalValues): [[value, observedAt], …]."""
    simplified: dict[str, Any] = {"id": entity["id"], "type": entity["type"]}
    for name, instances in entity.items():
        if name in ("id", "type", "@context"):
            continue
        simplified[name] = {"type": "Property", "values": [[i["value"], i["observedAt"]] for i in instances]}
    return simplified


def key_values(entity: dict[str, Any]) -> dict[str, Any]:
    """The simplified representation (options=keyValues / format=simplified)."""
    simple: dict[str, Any] = {}
    for name, attribute in entity.items():
        if isinstance(attribute, dict) and "type" in attribute and name not in ("@context",):
            simple[name] = attribute.get("value", attribute.get("object"))
        else:
            simple[name] = attribute
    return simple
