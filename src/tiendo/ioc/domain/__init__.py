"""Vietnam's domain rules on readings (VN_AQI, river alarm levels, vessel geofences).

`derive` turns a batch of stored readings into derived readings, inside the ingest transaction
(ioc/pipeline.py stores them like any other reading, one level deep: derived readings derive nothing).
A device gets a derived series by having the metric in the registry with `derived: true`:

- `aqi_h` — hourly VN_AQI (aqi.py) of an air-quality station, at each full hour T: from the hourly
  means of the 12 hours before T (NowCast for PM2.5, PM10; the hour [T−1h, T) for O3, CO, NO2, SO2).
  It is computed once, when the first reading at or after T arrives (the hour before T is then
  complete for a station that reports in order); a reading arriving later for an hour already
  indexed does not change it (a stored reading is never rewritten).
- `aqi_d` — daily VN_AQI of the province's day (from its 24 hourly means, 00:00–24:00 local, i.e. the
  decision's 01:00 … 00:00 by their end), at the day's start; computed once, by the first reading of a
  later day.
- `alarm_level` — 0..3 for each water-level reading against the station's alarm levels (water.py).
- `zone_state` — 0/1/2 for each vessel position (zones.py); lat and lon are paired by timestamp
  (in the batch, or the other coordinate's newest stored value when it has the same timestamp).

Cheap by construction: no query when the batch holds no source metric; then one query for the
devices' series, and one aggregate query for the hourly means only when an hour or a day needs
indexing.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import Avg, Count
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.ioc.domain import aqi, water, zones

if TYPE_CHECKING:
    from tiendo.ioc.ingest import IncomingReading, StoredReading

AQI_HOURLY = "aqi_h"
AQI_DAILY = "aqi_d"
ALARM_LEVEL = "alarm_level"
ZONE_STATE = "zone_state"
DERIVED_METRICS = (AQI_HOURLY, AQI_DAILY, ALARM_LEVEL, ZONE_STATE)
WATER_LEVEL = "water_level"
LATITUDE, LONGITUDE = "lat", "lon"
SOURCE_METRICS = frozenset({*aqi.POLLUTANTS, WATER_LEVEL, LATITUDE, LONGITUDE})
MAX_HOURS_PER_BATCH = 48  # a late backlog indexes its last 48 hours per station, not a year of them
MAX_DAYS_PER_BATCH = 7
HOUR, DAY = timedelta(hours=1), timedelta(days=1)


@dataclass(frozen=True)
class _Series:
    pk: int
    derived: bool
    last_ts: datetime | None
    last_value: float | None


@dataclass
class _DeviceSeries:
    code: str
    properties: dict[str, object]
    metrics: dict[str, _Series]
    created_at: datetime  # with the series' pk, the key of _ATTEMPTED (pks are reused on SQLite)

    def derives(self, code: str) -> bool:
        metric = self.metrics.get(code)
        return metric is not None and metric.derived

    def attempt_key(self, code: str) -> tuple[int, datetime]:
        return (self.metrics[code].pk, self.created_at)


# The latest hour (day) for which this process tried an index of a series and committed: an index that
# cannot be computed yet (too few hours of data, e.g. a station's first day) is then not recomputed by
# every later batch of the same hour (day). Bounded by the number of stations; lost on restart (then
# tried once more).
_ATTEMPTED: dict[tuple[int, datetime], datetime] = {}
_ATTEMPTED_MAX = 10_000


def _attempted(key: tuple[int, datetime], up_to: datetime) -> None:
    if len(_ATTEMPTED) >= _ATTEMPTED_MAX:
        _ATTEMPTED.clear()
    if key not in _ATTEMPTED or _ATTEMPTED[key] < up_to:
        _ATTEMPTED[key] = up_to


def _series_of(device_ids: Iterable[int]) -> dict[int, _DeviceSeries]:
    """The source and derived series of these devices: one query, plain values (no model instances)."""
    from tiendo.ioc.models import DeviceMetric

    found: dict[int, _DeviceSeries] = {}
    rows = DeviceMetric.objects.filter(
        device_id__in=list(device_ids), code__in=[*SOURCE_METRICS, *DERIVED_METRICS]
    ).values_list(
        "device_id",
        "pk",
        "code",
        "derived",
        "last_ts",
        "last_value",
        "device__code",
        "device__properties",
        "device__created_at",
    )
    for device_id, pk, code, derived, last_ts, last_value, device_code, properties, created_at in rows:
        entry = found.get(device_id)
        if entry is None:
            props = properties if isinstance(properties, dict) else {}
            entry = found[device_id] = _DeviceSeries(
                code=device_code, properties=props, metrics={}, created_at=created_at
            )
        entry.metrics[code] = _Series(pk=pk, derived=derived, last_ts=last_ts, last_value=last_value)
    return found


def floor_hour(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def derive(*, stored: list[StoredReading]) -> list[IncomingReading]:
    sources = [r for r in stored if r.metric in SOURCE_METRICS]
    if not sources:
        return []
    devices = _series_of({r.device_id for r in sources})
    by_device: dict[int, list[StoredReading]] = defaultdict(list)
    for reading in sources:
        by_device[reading.device_id].append(reading)
    derived: list[IncomingReading] = []
    hours_wanted: dict[int, list[datetime]] = {}
    days_wanted: dict[int, list[datetime]] = {}
    for device_id, readings in by_device.items():
        series = devices.get(device_id)
        if series is None:
            continue
        if series.derives(ALARM_LEVEL):
            derived += _alarm_levels(series, readings)
        if series.derives(ZONE_STATE):
            derived += _zone_states(series, readings)
        if series.derives(AQI_HOURLY) and (hours := _hours_to_index(series, readings)):
            hours_wanted[device_id] = hours
        if series.derives(AQI_DAILY) and (days := _days_to_index(series, readings)):
            days_wanted[device_id] = days
    if hours_wanted or days_wanted:
        derived += _aqi_readings(devices, hours_wanted, days_wanted)
    return derived


@dataclass(frozen=True)
class Meaning:
    """What a derived value means, for the live page, alerts and exports: text, and the legal colour
    where there is one (VN_AQI's bands)."""

    text: str
    colour: str = ""  # "#rrggbb"


def describe(metric: str, value: float) -> Meaning | None:
    """'Kém' (#ff7e00) for aqi_h 120, 'Báo động II' for alarm_level 2, 'Trong vùng cấm' for zone_state
    2; None for a metric that is not derived here."""
    if metric in (AQI_HOURLY, AQI_DAILY):
        band = aqi.band_of(aqi.round_half_up(value))
        return Meaning(text=band.label, colour=band.hex)
    if metric == ALARM_LEVEL:
        return Meaning(text=water.alarm_label(int(value)))
    if metric == ZONE_STATE:
        return Meaning(text=zones.zone_label(int(value)))
    return None


def derived_problems(
    *, metric: str, metrics: Collection[str], properties: object
) -> list[tuple[tuple[str, ...], str]]:
    """Why a device cannot have this derived metric, for the registry's checks: (where in the
    device's entry — "metric" for the metric itself —, the reason in Vietnamese); [] when it can."""
    problems: list[tuple[tuple[str, ...], str]] = []
    props = properties if isinstance(properties, dict) else {}
    if metric not in DERIVED_METRICS:
        known = ", ".join(DERIVED_METRICS)
        return [
            (("metric",), _("tiendo không tính chỉ số dẫn xuất này (chỉ có: %(known)s)") % {"known": known})
        ]
    if metric in (AQI_HOURLY, AQI_DAILY) and not any(p in metrics for p in aqi.table_required_any()):
        problems.append((("metric",), _("cần chỉ số pm25 hoặc pm10")))
    if metric == ALARM_LEVEL and WATER_LEVEL not in metrics:
        problems.append((("metric",), _("cần chỉ số water_level")))
    if metric == ZONE_STATE and not (LATITUDE in metrics and LONGITUDE in metrics):
        problems.append((("metric",), _("cần chỉ số lat và lon")))
    if metric == ALARM_LEVEL and water.alarm_levels_of(props) is None:
        problems.append(
            (("properties", water.ALARM_LEVELS_PROPERTY), _("cần 3 mức báo động I, II, III tăng dần (mét)"))
        )
    if metric == ZONE_STATE and str(props.get(zones.ZONE_PROPERTY, "")) not in zones.vessel_areas():
        known = ", ".join(sorted(zones.vessel_areas()))
        problems.append(
            (
                ("properties", zones.ZONE_PROPERTY),
                _("cần mã vùng biển có trong danh mục (%(known)s)") % {"known": known},
            )
        )
    return problems


def _reading(device: _DeviceSeries, metric: str, ts: datetime, value: float) -> IncomingReading:
    from tiendo.ioc.ingest import IncomingReading

    return IncomingReading(device=device.code, metric=metric, ts=ts, value=value, label=f"derive:{metric}")


def _alarm_levels(series: _DeviceSeries, readings: list[StoredReading]) -> list[IncomingReading]:
    levels = water.alarm_levels_of(series.properties)
    if levels is None:
        return []
    return [
        _reading(series, ALARM_LEVEL, r.ts, float(water.alarm_level(r.value, levels)))
        for r in readings
        if r.metric == WATER_LEVEL
    ]


def _zone_states(series: _DeviceSeries, readings: list[StoredReading]) -> list[IncomingReading]:
    area = zones.vessel_areas().get(str(series.properties.get(zones.ZONE_PROPERTY, "")))
    if area is None:
        return []
    positions: dict[datetime, dict[str, float]] = defaultdict(dict)
    for reading in readings:
        if reading.metric in (LATITUDE, LONGITUDE):
            positions[reading.ts][reading.metric] = reading.value
    out = []
    for ts, coordinates in sorted(positions.items()):
        for code in (LATITUDE, LONGITUDE):
            other = series.metrics.get(code)
            if (
                code not in coordinates
                and other is not None
                and other.last_ts == ts
                and other.last_value is not None
            ):
                coordinates[code] = other.last_value
        if LATITUDE in coordinates and LONGITUDE in coordinates:
            state = area.state(coordinates[LATITUDE], coordinates[LONGITUDE])
            out.append(_reading(series, ZONE_STATE, ts, float(state)))
    return out


def _hours_to_index(series: _DeviceSeries, readings: list[StoredReading]) -> list[datetime]:
    """The full hours T this batch completes (a pollutant reading at or after T) not indexed yet."""
    key = series.attempt_key(AQI_HOURLY)
    done = [t for t in (series.metrics[AQI_HOURLY].last_ts, _ATTEMPTED.get(key)) if t is not None]
    hours = {floor_hour(ts) for ts in {r.ts for r in readings if r.metric in aqi.POLLUTANTS}}
    hours = {hour for hour in hours if not done or hour > max(done)}
    if hours:
        transaction.on_commit(functools.partial(_attempted, key, max(hours)))
    return sorted(hours)[-MAX_HOURS_PER_BATCH:]


def floor_local_day(moment: datetime) -> datetime:
    """The start (UTC) of the province's day holding `moment`."""
    local = moment.astimezone(timezone.get_default_timezone())
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC)


def _days_to_index(series: _DeviceSeries, readings: list[StoredReading]) -> list[datetime]:
    """The province's days this batch completes (a pollutant reading on a later day) not indexed yet,
    by the start of each day."""
    key = series.attempt_key(AQI_DAILY)
    done = [t for t in (series.metrics[AQI_DAILY].last_ts, _ATTEMPTED.get(key)) if t is not None]
    days = {floor_local_day(ts) - DAY for ts in {r.ts for r in readings if r.metric in aqi.POLLUTANTS}}
    days = {day for day in days if not done or day > max(done)}
    if days:
        transaction.on_commit(functools.partial(_attempted, key, max(days)))
    return sorted(days)[-MAX_DAYS_PER_BATCH:]


def _hourly_means(
    devices: dict[int, _DeviceSeries], device_ids: Iterable[int], start: datetime, end: datetime
) -> dict[tuple[int, str], dict[datetime, float]]:
    """One aggregate query: the hourly means of every pollutant series of these stations, by UTC hour."""
    from tiendo.ioc.models import Reading

    series_ids = {
        devices[device_id].metrics[p].pk: (device_id, p)
        for device_id in device_ids
        for p in aqi.POLLUTANTS
        if p in devices[device_id].metrics
    }
    means: dict[tuple[int, str], dict[datetime, float]] = defaultdict(dict)
    rows = (
        Reading.objects.filter(series_id__in=list(series_ids), ts__gte=start, ts__lt=end)
        .annotate(hour=TruncHour("ts", tzinfo=UTC))
        .values("series_id", "hour")
        .annotate(mean=Avg("value"), n=Count("value"))
        .order_by()
    )
    for row in rows:
        means[series_ids[row["series_id"]]][floor_hour(row["hour"])] = row["mean"]
    return means


def _aqi_readings(
    devices: dict[int, _DeviceSeries],
    hours_wanted: dict[int, list[datetime]],
    days_wanted: dict[int, list[datetime]],
) -> list[IncomingReading]:
    """AQI^h at each hour T from the 12 hours before T; AQI^d of each day from its 24 hours (and the
    7 before, for O3's 8-hour means) — all from one query of hourly means."""
    table = aqi.vn_aqi_table()
    span = table.nowcast.hours
    starts = [hours[0] - span * HOUR for hours in hours_wanted.values()]
    starts += [days[0] - 7 * HOUR for days in days_wanted.values()]
    ends = [hours[-1] for hours in hours_wanted.values()] + [days[-1] + DAY for days in days_wanted.values()]
    means = _hourly_means(devices, {*hours_wanted, *days_wanted}, min(starts), max(ends))
    out = []
    for device_id, hours in hours_wanted.items():
        for hour in hours:
            window = [hour - (i + 1) * HOUR for i in range(span)]  # c1 = [T−1h, T), c2 = [T−2h, T−1h) …
            hourly = {p: [means[(device_id, p)].get(h) for h in window] for p in aqi.POLLUTANTS}
            result = aqi.hourly_aqi(
                {p: v for p, v in hourly.items() if any(c is not None for c in v)}, table=table
            )
            if result is not None:
                out.append(_reading(devices[device_id], AQI_HOURLY, hour, float(result.value)))
    for device_id, days in days_wanted.items():
        for day in days:
            day_hours = [day + i * HOUR for i in range(24)]  # the decision's 01:00 … 00:00, by their start
            daily = {p: [means[(device_id, p)].get(h) for h in day_hours] for p in aqi.POLLUTANTS}
            o3_before = [means[(device_id, "o3")].get(day - (7 - i) * HOUR) for i in range(7)]
            result = aqi.daily_aqi(
                {p: v for p, v in daily.items() if any(c is not None for c in v)},
                o3_before=o3_before,
                table=table,
            )
            if result is not None:
                out.append(_reading(devices[device_id], AQI_DAILY, day, float(result.value)))
    return out
