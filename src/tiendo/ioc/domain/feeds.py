"""Readings that feed the plan's data elements: monthly figures per station, with their provenance.

- "số ngày có VN_AQI ở mức Tốt hoặc Trung bình": days of the month (province time) whose daily VN_AQI
  (aqi.daily_aqi, from the day's hourly means) is at most 100;
- "số giờ mực nước vượt báo động I": hours of the month whose mean water level is at or above the
  station's alarm level I (an hourly mean, as the hydrological record keeps hourly values).

Each figure says where it comes from: "từ N số đo của thiết bị X" (N raw readings in the month). The
values are returned, not stored: writing them as DataValues (source "feed", the provenance in
source_detail, simulated when the device is) belongs to a service of the reporting side.
The caller has checked that the acting user may see the device (ioc.selectors.device_get).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Avg, Count
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.ioc.domain import aqi, water

if TYPE_CHECKING:
    from tiendo.ioc.models import Device

AQI_GOOD_DAYS = "aqi_good_days"
HOURS_ABOVE_ALARM_I = "hours_above_alarm_1"
GOOD_OR_MODERATE_MAX = 100  # Bảng 1: 0–50 Tốt, 51–100 Trung bình


@dataclass(frozen=True)
class FeedFigure:
    device_code: str
    unit_code: str
    figure: str  # AQI_GOOD_DAYS or HOURS_ABOVE_ALARM_I
    period: str  # DHIS2 monthly period, e.g. 202611
    value: int | None  # None: the device has no rule for this figure
    readings: int
    simulated: bool
    provenance: str


def _month(year: int, month: int) -> tuple[datetime, datetime, list[date]]:
    """The month's bounds in the province's time zone, and its days."""
    zone = timezone.get_default_timezone()
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    days = [first + timedelta(days=i) for i in range((following - first).days)]
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    end = datetime(following.year, following.month, 1, tzinfo=zone)
    return start, end, days


def _hourly(
    device: Device, metrics: tuple[str, ...], start: datetime, end: datetime
) -> dict[str, dict[datetime, tuple[float, int]]]:
    """(mean, count) per metric and UTC hour; one aggregate query."""
    from tiendo.ioc.models import Reading

    series = {m.pk: m.code for m in device.metrics.filter(code__in=metrics)}
    out: dict[str, dict[datetime, tuple[float, int]]] = defaultdict(dict)
    rows = (
        Reading.objects.filter(series_id__in=list(series), ts__gte=start, ts__lt=end)
        .annotate(hour=TruncHour("ts", tzinfo=UTC))
        .values("series_id", "hour")
        .annotate(mean=Avg("value"), n=Count("value"))
        .order_by()
    )
    for row in rows:
        out[series[row["series_id"]]][row["hour"].astimezone(UTC)] = (row["mean"], row["n"])
    return out


def _figure(device: Device, figure: str, start: datetime, value: int | None, readings: int) -> FeedFigure:
    return FeedFigure(
        device_code=device.code,
        unit_code=device.unit.code,
        figure=figure,
        period=f"{start:%Y%m}",
        value=value,
        readings=readings,
        simulated=device.simulated,
        provenance=_("từ %(n)s số đo của thiết bị %(device)s") % {"n": readings, "device": device.code},
    )


def aqi_good_days(*, device: Device, year: int, month: int) -> FeedFigure:
    """Days of the month with a daily VN_AQI of Tốt or Trung bình (a day without an index does not count)."""
    start, end, days = _month(year, month)
    zone = timezone.get_default_timezone()
    hourly = _hourly(device, aqi.POLLUTANTS, start - 7 * timedelta(hours=1), end)
    readings = sum(n for by_hour in hourly.values() for hour, (_m, n) in by_hour.items() if hour >= start)
    good = 0
    for day in days:
        day_start = datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)
        hours = [day_start + timedelta(hours=i) for i in range(24)]
        before = [day_start - timedelta(hours=7 - i) for i in range(7)]
        means = {p: [hourly[p].get(h, (None, 0))[0] for h in hours] for p in aqi.POLLUTANTS if p in hourly}
        o3_before = [hourly["o3"].get(h, (None, 0))[0] for h in before] if "o3" in hourly else []
        result = aqi.daily_aqi(means, o3_before=o3_before)
        if result is not None and result.value <= GOOD_OR_MODERATE_MAX:
            good += 1
    return _figure(device, AQI_GOOD_DAYS, start, good, readings)


def hours_above_alarm_one(*, device: Device, year: int, month: int) -> FeedFigure:
    """Hours of the month whose mean water level is at or above alarm level I; None without levels."""
    start, end, _days = _month(year, month)
    levels = water.alarm_levels_of(device.properties)
    hourly = _hourly(device, ("water_level",), start, end).get("water_level", {})
    readings = sum(n for _mean, n in hourly.values())
    hours = None if levels is None else sum(1 for mean, _n in hourly.values() if mean >= levels[0])
    return _figure(device, HOURS_ABOVE_ALARM_I, start, hours, readings)
