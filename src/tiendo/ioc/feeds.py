"""The IOC's readings as the plan's data: monthly figures per unit, stored as DataValues (source
"feed") so indicators can be computed from sensors, each saying how much it stands on.

- IOC_AQI_GOOD_DAYS: days of the month with a daily VN_AQI in the Tốt or Trung bình bands
  (domain.feeds.aqi_good_days); where a unit has several stations, the lowest (every station must
  count a day for the unit to count it is not claimed; the lowest is the cautious figure);
- IOC_WL_HOURS_ABOVE_I: hours of the month with the mean river level at or above alarm level I
  (domain.feeds.hours_above_alarm_one); several gauges in a unit: the highest.

Provenance: "từ N số đo của thiết bị X" (each device named); simulated when any device is. A month
is recomputed whole each run (idempotent; unchanged figures are not rewritten).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from tiendo.ioc.domain.feeds import FeedFigure, aqi_good_days, hours_above_alarm_one
from tiendo.ioc.models import Device
from tiendo.reporting.services import FeedValue, feed_values_store

FEED = "tiendo ioc-feed"
ELEMENTS = {
    Device.Kind.AIR_QUALITY: ("IOC_AQI_GOOD_DAYS", aqi_good_days, min),
    Device.Kind.WATER_LEVEL: ("IOC_WL_HOURS_ABOVE_I", hours_above_alarm_one, max),
}


@dataclass(frozen=True)
class FeedReport:
    period: str
    figures: int
    changed: int


def sensor_feeds_apply(*, year: int, month: int) -> FeedReport:
    """Compute and store the month's figures for every active station (the worker runs it hourly)."""
    by_unit: dict[tuple[str, str], list[FeedFigure]] = defaultdict(list)
    devices = (
        Device.objects.filter(active=True, kind__in=list(ELEMENTS)).select_related("unit").order_by("code")
    )
    for device in devices:
        element, compute, _pick = ELEMENTS[Device.Kind(device.kind)]
        figure = compute(device=device, year=year, month=month)
        if figure.value is not None and figure.readings > 0:
            by_unit[(element, device.unit.code)].append(figure)
    values = []
    for (element, unit), figures in sorted(by_unit.items()):
        pick = next(p for e, _c, p in ELEMENTS.values() if e == element)
        chosen = pick(figures, key=lambda f: f.value or 0)
        values.append(
            FeedValue(
                element=element,
                unit=unit,
                period=chosen.period,
                value=Decimal(chosen.value or 0),
                source_detail="; ".join(f.provenance for f in figures),
                is_simulated=any(f.simulated for f in figures),
            )
        )
    changed = feed_values_store(values=values, feed=FEED)
    return FeedReport(period=f"{year:04d}{month:02d}", figures=len(values), changed=changed)
