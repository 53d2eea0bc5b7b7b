"""Readings in: checked, stored once, counted when refused — the one path MQTT and HTTP share.

A reading is (device, metric, ts, value). The key (series, ts) is the table's primary key, so a
reading sent twice (QoS 1 redelivery, a retried HTTP batch, the same key twice in one batch) is
stored once: the insert is `ON CONFLICT DO NOTHING RETURNING`, and only what it returns goes on to
the rollups, the alert rules and the live page. Refused readings are never dropped silently: each is
counted per day, reason and device in IngestRefusal, and named to the sender.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.exceptions import ApplicationError
from tiendo.ioc.models import NGSI_DEVICE_PREFIX, Device, DeviceMetric

FUTURE_SKEW = timedelta(minutes=2)  # clocks of field devices drift; later than this is "from the future"
INSERT_CHUNK = 1000  # rows per INSERT statement (3 parameters each: well under SQLite's limit)

REASONS = {
    "unknown_device": gettext_lazy("thiết bị không có trong danh mục"),
    "unknown_metric": gettext_lazy("thiết bị không có chỉ số đo này"),
    "wrong_unit": gettext_lazy("thiết bị không thuộc đơn vị trong chủ đề"),
    "bad_time": gettext_lazy("thời điểm không hợp lệ (ISO-8601)"),
    "future": gettext_lazy("thời điểm ở tương lai"),
    "bad_value": gettext_lazy("giá trị phải là một số hữu hạn"),
    "inactive": gettext_lazy("thiết bị đã ngừng hoạt động"),
    "derived": gettext_lazy("chỉ số này do tiendo tính từ số đo khác, không nhận từ bên ngoài"),
    "malformed": gettext_lazy('nội dung không đọc được: cần JSON {"ts": …, "value": …} hoặc một danh sách'),
}


@dataclass(frozen=True)
class IncomingReading:
    device: str
    metric: str
    ts: datetime | str
    value: object
    unit: str | None = None
    label: str = ""


@dataclass(frozen=True)
class StoredReading:
    series_id: int
    device_id: int
    device_code: str
    unit_code: str
    metric: str
    ts: datetime
    value: float


@dataclass(frozen=True)
class Refusal:
    label: str
    device: str
    metric: str
    reason: str

    @property
    def message(self) -> str:
        return str(REASONS[self.reason])


@dataclass
class IngestResult:
    stored: list[StoredReading] = field(default_factory=list)
    duplicates: int = 0
    refused: list[Refusal] = field(default_factory=list)
    came_online: list[Device] = field(default_factory=list)
    derived: int = 0  # of `stored`, how many the domain rules derived (VN_AQI, alarm level, zone)


class ReadingsRefusedError(ApplicationError):
    """An all-or-nothing batch with bad readings: nothing was stored; every bad reading is named."""

    status_code = 422
    code = "readings_refused"

    def __init__(self, refusals: list[Refusal]) -> None:
        first = refusals[0]
        super().__init__(
            _("%(n)s số đo bị từ chối, không số đo nào được lưu; đầu tiên: %(label)s: %(reason)s")
            % {"n": len(refusals), "label": first.label, "reason": first.message},
            field=first.label,
        )
        self.refusals = refusals


@dataclass(frozen=True)
class _Row:
    series: DeviceMetric
    device: Device
    ts: datetime
    value: float


def parse_ts(raw: datetime | str) -> datetime | None:
    """ISO-8601 text or a datetime; without an offset it is read in the province's time zone."""
    if isinstance(raw, datetime):
        moment = raw
    elif isinstance(raw, str):
        try:
            moment = datetime.fromisoformat(raw.strip())
        except ValueError:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def parse_value(raw: object) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    value = float(raw)
    return value if math.isfinite(value) and abs(value) < 1e15 else None


def device_code_of(ref: str) -> str:
    return ref[len(NGSI_DEVICE_PREFIX) :] if ref.startswith(NGSI_DEVICE_PREFIX) else ref


def _lookups(
    readings: Sequence[IncomingReading],
) -> tuple[dict[str, Device], dict[tuple[int, str], DeviceMetric]]:
    codes = {device_code_of(reading.device) for reading in readings}
    devices = {d.code: d for d in Device.objects.select_related("unit").filter(code__in=codes)}
    metrics = {
        (metric.device_id, metric.code): metric
        for metric in DeviceMetric.objects.filter(device__in=list(devices.values()))
    }
    return devices, metrics


def _check(
    reading: IncomingReading,
    devices: dict[str, Device],
    metrics: dict[tuple[int, str], DeviceMetric],
    now: datetime,
    unit_paths: tuple[str, ...] | None = None,
    allow_derived: bool = False,
) -> _Row | str:
    """The row to store, or the code of the reason it is refused. With `unit_paths`, a device outside
    those units is "unknown" to the sender (its existence is not revealed)."""
    device = devices.get(device_code_of(reading.device))
    if device is None or (unit_paths is not None and not device.unit.path.startswith(unit_paths)):
        return "unknown_device"
    if not device.active:
        return "inactive"
    if reading.unit is not None and reading.unit != device.unit.code:
        return "wrong_unit"
    series = metrics.get((device.pk, reading.metric))
    if series is None:
        return "unknown_metric"
    if series.derived and not allow_derived:
        return "derived"
    ts = parse_ts(reading.ts)
    if ts is None:
        return "bad_time"
    if ts > now + FUTURE_SKEW:
        return "future"
    value = parse_value(reading.value)
    if value is None:
        return "bad_value"
    return _Row(series=series, device=device, ts=ts, value=value)


def _resolve(
    readings: Sequence[IncomingReading],
    now: datetime,
    unit_paths: tuple[str, ...] | None = None,
    allow_derived: bool = False,
) -> tuple[list[_Row], list[Refusal]]:
    devices, metrics = _lookups(readings)
    rows: list[_Row] = []
    refused: list[Refusal] = []
    for index, reading in enumerate(readings):
        checked = _check(reading, devices, metrics, now, unit_paths, allow_derived)
        if isinstance(checked, str):
            label = reading.label or f"readings[{index}]"
            refused.append(Refusal(label=label, device=reading.device, metric=reading.metric, reason=checked))
        else:
            rows.append(checked)
    return rows, refused


def _insert(rows: list[_Row]) -> list[StoredReading]:
    """INSERT … ON CONFLICT DO NOTHING RETURNING: what comes back is what is new."""
    adapt = connection.ops.adapt_datetimefield_value
    unique: dict[tuple[int, datetime], _Row] = {}
    for row in rows:
        unique.setdefault((row.series.pk, row.ts), row)
    by_key = {(series_id, adapt(ts)): row for (series_id, ts), row in unique.items()}
    stored: list[StoredReading] = []
    items = list(by_key.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), INSERT_CHUNK):
            chunk = items[start : start + INSERT_CHUNK]
            params: list[Any]
            if connection.vendor == "postgresql":
                # three arrays, not 3 × n placeholders: the driver's parsing of a long VALUES list
                # was a seventh of the consumer's time
                source = "SELECT * FROM unnest(%s::bigint[], %s::timestamptz[], %s::double precision[])"
                params = [
                    [series_id for (series_id, _ts), _row in chunk],
                    [ts for (_series_id, ts), _row in chunk],
                    [row.value for _key, row in chunk],
                ]
            else:
                source = "VALUES " + ", ".join(["(%s, %s, %s)"] * len(chunk))
                params = []
                for (series_id, ts), row in chunk:
                    params += [series_id, ts, row.value]
            cursor.execute(
                "INSERT INTO ioc_reading (series_id, ts, value) "
                + source
                + " ON CONFLICT (series_id, ts) DO NOTHING RETURNING series_id, ts",
                params,
            )
            for series_id, ts in cursor.fetchall():
                row = by_key[(series_id, adapt(ts) if isinstance(ts, datetime) else ts)]
                stored.append(
                    StoredReading(
                        series_id=row.series.pk,
                        device_id=row.device.pk,
                        device_code=row.device.code,
                        unit_code=row.device.unit.code,
                        metric=row.series.code,
                        ts=row.ts,
                        value=row.value,
                    )
                )
    return stored


def _values_table(rows: Iterable[tuple[Any, ...]], width: int) -> tuple[str, list[Any]]:
    """(SELECT column1 AS c1, … FROM (VALUES …)): a literal table both SQLite and PostgreSQL read."""
    rows = list(rows)
    params: list[Any] = [value for row in rows for value in row]
    placeholders = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(rows))
    columns = ", ".join(f"column{i} AS c{i}" for i in range(1, width + 1))
    return f"(SELECT {columns} FROM (VALUES {placeholders}) AS literal)", params


def _touch_series(stored: list[StoredReading]) -> None:
    """Each series' last value: one UPDATE … FROM for the whole batch, only where newer."""
    latest: dict[int, StoredReading] = {}
    for reading in stored:
        if reading.series_id not in latest or reading.ts > latest[reading.series_id].ts:
            latest[reading.series_id] = reading
    if not latest:
        return
    adapt = connection.ops.adapt_datetimefield_value
    ordered = sorted(latest.values(), key=lambda r: r.series_id)  # one lock order for every consumer
    table, params = _values_table(((r.series_id, adapt(r.ts), r.value) for r in ordered), 3)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE ioc_devicemetric SET last_ts = v.c2, last_value = v.c3 FROM {table} AS v "
            "WHERE ioc_devicemetric.id = v.c1 "
            "AND (ioc_devicemetric.last_ts IS NULL OR ioc_devicemetric.last_ts < v.c2)",
            params,
        )


def _touch_devices(rows: list[_Row], now: datetime) -> list[Device]:
    """Devices heard from are online and seen now; returns those that were not online before."""
    devices = {row.device.pk: row.device for row in rows}
    if not devices:
        return []
    came_online = [device for device in devices.values() if device.state != Device.State.ONLINE]
    Device.objects.filter(pk__in=list(devices)).update(last_seen_at=now)
    if came_online:
        Device.objects.filter(pk__in=[d.pk for d in came_online]).update(
            state=Device.State.ONLINE, state_changed_at=now
        )
        for device in came_online:
            device.state, device.state_changed_at, device.last_seen_at = Device.State.ONLINE, now, now
    return came_online


def _count_refusals(refused: list[Refusal], *, source: str, now: datetime) -> None:
    if not refused:
        return
    counts: dict[tuple[str, str], tuple[int, str]] = {}
    for refusal in refused:
        key = (refusal.reason, refusal.device[:120])
        n, _detail = counts.get(key, (0, ""))
        counts[key] = (n + 1, f"{source}: {refusal.label} {refusal.metric}"[:500])
    adapt = connection.ops.adapt_datetimefield_value
    day = timezone.localdate(now)
    with connection.cursor() as cursor:
        for (reason, device_ref), (n, detail) in counts.items():
            cursor.execute(
                "INSERT INTO ioc_ingestrefusal (day, reason, device_ref, count, last_detail, last_at) "
                "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (day, reason, device_ref) DO UPDATE SET "
                "count = ioc_ingestrefusal.count + excluded.count, last_detail = excluded.last_detail, "
                "last_at = excluded.last_at",
                [connection.ops.adapt_datefield_value(day), reason, device_ref, n, detail, adapt(now)],
            )


def refusals_record(*, refusals: Sequence[Refusal], source: str, now: datetime | None = None) -> None:
    """Refusals decided before there was a reading to check (an MQTT payload that is not JSON):
    counted like the others, in the caller's transaction when there is one."""
    with transaction.atomic():
        _count_refusals(list(refusals), source=source, now=now or timezone.now())


def store_rows(readings: Sequence[IncomingReading], *, now: datetime) -> tuple[list[StoredReading], int]:
    """Derived readings (the pipeline's): stored and their series touched; no refusals expected."""
    rows, _refused = _resolve(readings, now, allow_derived=True)
    stored = _insert(rows)
    _touch_series(stored)
    return stored, len(rows) - len(stored)


def readings_ingest(
    *,
    readings: Sequence[IncomingReading],
    source: str,
    all_or_nothing: bool = False,
    now: datetime | None = None,
    unit_paths: tuple[str, ...] | None = None,
) -> IngestResult:
    """Store a batch of readings in one transaction; see the module's text for the guarantees.

    `unit_paths`: the sender may write only for devices of these units and those below them (HTTP
    ingest by a unit's operator); None for the trusted consumers (MQTT, the pipeline)."""
    from tiendo.ioc import pipeline

    now = now or timezone.now()
    rows, refused = _resolve(readings, now, unit_paths)
    if refused and all_or_nothing:
        with transaction.atomic():
            _count_refusals(refused, source=source, now=now)
        raise ReadingsRefusedError(refused)
    with transaction.atomic():
        _count_refusals(refused, source=source, now=now)
        stored = _insert(rows)
        _touch_series(stored)
        result = IngestResult(
            stored=stored,
            duplicates=len(rows) - len(stored),
            refused=refused,
            came_online=_touch_devices(rows, now),
        )
        pipeline.after_store(result, now=now)
    return result
