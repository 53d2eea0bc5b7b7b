"""`tiendo simulate`: SIMULATED readings for the registry's simulated devices, published over MQTT
exactly as a field device would (one connection per device, its last will on the $status topic,
QoS 1, `tiendo/<unit>/<device>/<metric>` with `{"ts", "value"}`).

Only devices marked `simulated` in the registry are ever used; what they publish is plausible, not
measured:
- air quality (µg/m³): PM2.5, PM10, CO, NO2, SO2 with morning and evening traffic peaks, O3 peaking
  in the early afternoon; the industrial zone a little dirtier; slow random drift;
- river water level (m): a slow swell whose crest passes the station's alarm level I (its
  `alarm_levels` property) for a while in every cycle (45 minutes by default: a demo, not a flood);
- vessels around Lý Sơn: latitude, longitude and speed (knots), moved by their own speed and kept
  within about 25 km of the island;
- cameras: vehicles counted in the last minute (traffic peaks), security events (rare);
- public services: dossiers received in the last hour (office hours), dossiers overdue.
`spike` forces a value (`wl-trakhuc-01:water_level=7.0`) for demos and tests.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from tiendo.ioc.models import Device
from tiendo.ioc.mqtt import reading_topic, status_topic

LOCAL = ZoneInfo("Asia/Ho_Chi_Minh")
LY_SON = (15.38, 109.12)
VESSEL_RANGE_DEG = 0.23  # ≈ 25 km
WATER_CYCLE_SECONDS = 45 * 60


@dataclass
class SimDevice:
    code: str
    unit: str
    kind: str
    metrics: list[str]
    properties: dict[str, Any]
    latitude: float | None
    longitude: float | None
    state: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Spike:
    device: str
    metric: str
    value: float


def parse_spike(text: str) -> Spike:
    """`device:metric=value` → Spike; ValueError with the expected form otherwise."""
    try:
        target, raw = text.split("=", 1)
        device, metric = target.split(":", 1)
        return Spike(device=device.strip(), metric=metric.strip(), value=float(raw))
    except ValueError as exc:
        raise ValueError(text) from exc


def simulated_devices(codes: list[str] | None = None) -> list[SimDevice]:
    """The registry's active simulated devices (all, or those named)."""
    devices = Device.objects.filter(simulated=True, active=True).select_related("unit")
    if codes:
        devices = devices.filter(code__in=codes)
    return [
        SimDevice(
            code=device.code,
            unit=device.unit.code,
            kind=device.kind,
            metrics=[m.code for m in device.metrics.filter(derived=False).order_by("code")],
            properties=device.properties or {},
            latitude=device.latitude,
            longitude=device.longitude,
        )
        for device in devices.prefetch_related("metrics")
    ]


# ------------------------------------------------------------------------------------- the models


def _drift(state: dict[str, float], key: str, rng: random.Random, *, keep: float = 0.97) -> float:
    """A slow random walk around 0 (AR(1)), for a value's day-to-day wobble."""
    state[key] = keep * state.get(key, 0.0) + math.sqrt(1 - keep * keep) * rng.gauss(0, 1)
    return state[key]


def _poisson(rng: random.Random, lam: float) -> int:
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    threshold, k, product = math.exp(-lam), 0, rng.random()
    while product > threshold:
        k += 1
        product *= rng.random()
    return k


def _hour(now: datetime) -> float:
    local = now.astimezone(LOCAL)
    return local.hour + local.minute / 60 + local.second / 3600


def _traffic(hour: float) -> float:
    """1 at night, about 2.5 at the 7–8 h and 17–18 h peaks."""
    return 1 + 1.4 * math.exp(-(((hour - 7.5) / 1.5) ** 2)) + 1.6 * math.exp(-(((hour - 17.5) / 1.8) ** 2))


def air_quality(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, float]:
    hour, traffic = _hour(now), _traffic(_hour(now))
    industry = 1.35 if "dungquat" in device.code else 1.0
    sun = max(0.0, math.sin(math.pi * (hour - 7) / 11))  # 7 h → 18 h, highest at 12–13 h

    def wobble(metric: str) -> float:
        return math.exp(0.18 * _drift(device.state, metric, rng))

    pm25 = 18 * industry * traffic * wobble("pm25")
    values = {
        "pm25": pm25,
        "pm10": pm25 * 1.65 * wobble("pm10"),
        "co": 850 * industry * traffic * wobble("co"),
        "no2": 22 * industry * traffic * wobble("no2"),
        "so2": 14 * industry**2 * wobble("so2"),
        "o3": (35 + 95 * sun) * wobble("o3"),
    }
    return {metric: round(value, 1) for metric, value in values.items()}


def water_level(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, float]:
    levels = device.properties.get("alarm_levels") or [3.0, 4.0, 5.0]
    alarm_one = float(levels[0])
    low, crest = alarm_one - 1.6, alarm_one + 0.3
    phase = (sum(map(ord, device.code)) % 97) / 97  # stations do not crest together
    swell = 0.5 - 0.5 * math.cos(2 * math.pi * (now.timestamp() / WATER_CYCLE_SECONDS + phase))
    return {"water_level": round(low + (crest - low) * swell + rng.gauss(0, 0.01), 2)}


def vessel(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, float]:
    state = device.state
    if "lat" not in state:
        state["lat"] = device.latitude or LY_SON[0]
        state["lon"] = device.longitude or LY_SON[1]
        state["heading"] = rng.uniform(0, 2 * math.pi)
        state["speed"] = rng.uniform(3, 8)
        state["at"] = now.timestamp()
    dt = max(0.0, now.timestamp() - state["at"])
    state["at"] = now.timestamp()
    state["speed"] = min(10.0, max(0.0, state["speed"] + rng.gauss(0, 0.3)))
    state["heading"] += rng.gauss(0, 0.08)
    d_lat, d_lon = state["lat"] - LY_SON[0], state["lon"] - LY_SON[1]
    if math.hypot(d_lat, d_lon) > VESSEL_RANGE_DEG:  # head back towards the island
        state["heading"] = math.atan2(-d_lon, -d_lat) + rng.gauss(0, 0.3)
    degrees = state["speed"] * 1.852 * dt / 3600 / 111.0  # knots → km → degrees of latitude
    state["lat"] += degrees * math.cos(state["heading"])
    state["lon"] += degrees * math.sin(state["heading"]) / math.cos(math.radians(state["lat"]))
    return {"lat": round(state["lat"], 5), "lon": round(state["lon"], 5), "speed": round(state["speed"], 1)}


def camera(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, float]:
    per_minute = 25 * _traffic(_hour(now))
    return {"vehicles": float(_poisson(rng, per_minute)), "events": float(_poisson(rng, 0.03))}


def service_counter(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, float]:
    local = now.astimezone(LOCAL)
    hour = _hour(now)
    office = local.weekday() < 5 and (7.5 <= hour < 11.5 or 13.5 <= hour < 17)
    received = _poisson(rng, 45 if office else 4)  # online filings never stop
    overdue = device.state.get("overdue", 3.0) + rng.choice((-1, 0, 0, 0, 1))
    device.state["overdue"] = min(20.0, max(0.0, overdue))
    return {"dossiers_received": float(received), "dossiers_overdue": device.state["overdue"]}


MODELS: dict[str, Callable[[SimDevice, datetime, random.Random], dict[str, float]]] = {
    Device.Kind.AIR_QUALITY: air_quality,
    Device.Kind.WATER_LEVEL: water_level,
    Device.Kind.VESSEL: vessel,
    Device.Kind.CAMERA: camera,
    Device.Kind.SERVICE_COUNTER: service_counter,
}


def round_values(device: SimDevice, now: datetime, rng: random.Random) -> dict[str, float]:
    """This round's values of the device's metrics (metrics its model does not know: a slow drift)."""
    model = MODELS.get(device.kind)
    values = model(device, now, rng) if model else {}
    for metric in device.metrics:
        if metric not in values:
            values[metric] = round(50 + 10 * _drift(device.state, metric, rng), 2)
    return {metric: values[metric] for metric in device.metrics}


# ------------------------------------------------------------------------------------- publishing


@dataclass
class SimulatorRun:
    devices: int = 0
    rounds: int = 0
    published: int = 0
    acknowledged: int = 0


class Simulator:
    """One MQTT connection per device (its own last will); `run(stop)` publishes round after round."""

    def __init__(
        self,
        devices: list[SimDevice],
        *,
        host: str,
        port: int,
        rate: float = 1.0,
        seed: int | None = None,
        spikes: list[Spike] | None = None,
        spike_seconds: float = 0.0,
        client_prefix: str = "tiendo-sim",
    ) -> None:
        self.devices = devices
        self.host, self.port = host, port
        self.rate = rate
        self.rng = random.Random(seed)
        self.spikes = spikes or []
        self.spike_seconds = spike_seconds
        self.client_prefix = client_prefix
        self.report = SimulatorRun(devices=len(devices))
        self._lock = threading.Lock()
        self._clients: dict[str, paho.Client] = {}

    def _on_publish(self, *_args: Any) -> None:
        with self._lock:
            self.report.acknowledged += 1

    def connect(self, timeout: float = 10.0) -> None:
        for device in self.devices:
            client = paho.Client(
                callback_api_version=CallbackAPIVersion.VERSION2,
                client_id=f"{self.client_prefix}-{device.code}",
                protocol=paho.MQTTv5,
            )
            client.max_inflight_messages_set(100)
            client.on_publish = self._on_publish
            client.will_set(status_topic(device.unit, device.code), "offline", qos=1, retain=True)
            client.connect(self.host, self.port, keepalive=30)
            client.loop_start()
            self._clients[device.code] = client
        deadline = time.monotonic() + timeout
        while not all(c.is_connected() for c in self._clients.values()):
            if time.monotonic() > deadline:
                raise ConnectionError(f"MQTT broker {self.host}:{self.port} did not accept the devices")
            time.sleep(0.02)
        for device in self.devices:
            self._publish(
                device, STATUS_WORD_ONLINE, topic=status_topic(device.unit, device.code), retain=True
            )

    def _publish(self, device: SimDevice, payload: str, *, topic: str, retain: bool = False) -> None:
        self._clients[device.code].publish(topic, payload, qos=1, retain=retain)
        with self._lock:
            self.report.published += 1

    def publish_round(self, now: datetime, *, spiking: bool) -> None:
        stamp = now.astimezone(UTC).isoformat(timespec="milliseconds")
        for device in self.devices:
            values = round_values(device, now, self.rng)
            if spiking:
                for spike in self.spikes:
                    if spike.device == device.code and spike.metric in values:
                        values[spike.metric] = spike.value
            for metric, value in values.items():
                payload = json.dumps({"ts": stamp, "value": value})
                self._publish(device, payload, topic=reading_topic(device.unit, device.code, metric))
        self.report.rounds += 1

    def run(self, stop: threading.Event, *, duration: float = 0.0, once: bool = False) -> SimulatorRun:
        """Round after round at `rate` per second until `stop`, `duration` seconds, or one round."""
        self.connect()
        started = time.monotonic()
        period = 1.0 / self.rate
        next_round = started
        last: datetime | None = None
        try:
            while not stop.is_set():
                now = datetime.now(UTC)
                if last is not None and now <= last:  # a reading per series per instant
                    now = last + timedelta(milliseconds=1)
                last = now
                self.publish_round(
                    now, spiking=time.monotonic() - started <= self.spike_seconds or self.report.rounds == 0
                )
                if once or (duration and time.monotonic() - started >= duration):
                    break
                next_round += period
                stop.wait(max(0.0, next_round - time.monotonic()))
            self._wait_acknowledged(timeout=10.0)
        finally:
            self.disconnect(offline=not once)
        return self.report

    def _wait_acknowledged(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self.report.acknowledged < self.report.published and time.monotonic() < deadline:
            time.sleep(0.02)

    def disconnect(self, *, offline: bool) -> None:
        """offline: the devices go away as if they had died (the broker sends their last will);
        otherwise a normal disconnect, as a device that reports now and then."""
        with_will = ReasonCode(PacketTypes.DISCONNECT, "Disconnect with will message")
        for client in self._clients.values():
            if offline:
                client.disconnect(reasoncode=with_will)
            else:
                client.disconnect()
            client.loop_stop()
        self._clients.clear()


STATUS_WORD_ONLINE = "online"
