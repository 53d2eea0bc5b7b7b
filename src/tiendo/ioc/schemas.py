"""One input and one output schema per operation of /api/v1/ioc/…"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Schema


class ReadingIn(Schema):
    device: str = Field(..., max_length=200, description="device code or urn:ngsi-ld:Device:<code>")
    metric: str = Field(..., max_length=60)
    ts: Any = Field(None, description="ISO-8601; without an offset, the province's time zone")
    value: Any = Field(None, description="a finite number")


class ReadingsIn(Schema):
    readings: list[ReadingIn] = Field(..., min_length=1, max_length=5000)


class ReadingsOut(Schema):
    received: int
    stored: int
    duplicates: int


class SubsystemOut(Schema):
    code: str
    name: str
    owner: str | None
    owner_name: str
    year: int | None
    description: str
    source: str


class MetricOut(Schema):
    code: str
    name: str
    unit_code: str
    derived: bool
    last_value: float | None
    last_ts: datetime | None


class DeviceListIn(Schema):
    q: str = Field("", max_length=100)
    subsystem: str | None = Field(None, max_length=60)
    unit: str | None = Field(None, max_length=40)
    kind: str | None = Field(None, max_length=30)
    state: str | None = Field(None, max_length=10)


class DeviceOut(Schema):
    id: str
    code: str
    name: str
    subsystem: str
    unit: str
    owner: str | None
    kind: str
    moving: bool
    latitude: float | None
    longitude: float | None
    simulated: bool
    state: str
    last_seen_at: datetime | None
    metrics: list[MetricOut]


class SeriesWindowIn(Schema):
    since: datetime | None = None
    until: datetime | None = None
    last_n: int | None = Field(None, ge=1, le=10000)


class ReadingOut(Schema):
    ts: datetime
    value: float


class RollupWindowIn(Schema):
    grain: str = Field("1h", pattern="^(5m|1h|1d)$")
    since: datetime | None = None
    until: datetime | None = None


class RollupOut(Schema):
    bucket: datetime
    count: int
    mean: float
    minimum: float
    maximum: float


class AlertListIn(Schema):
    status: str | None = Field(None, max_length=20)
    severity: str | None = Field(None, max_length=20)
    unit: str | None = Field(None, max_length=40)


class AlertOut(Schema):
    id: int
    rule: str
    rule_name: str
    device: str | None
    unit: str
    severity: str
    status: str
    message: str
    value: float | None
    started_at: datetime
    last_at: datetime | None
    acknowledged_at: datetime | None
    cleared_at: datetime | None
