"""Monthly figures from readings, for the plan's data elements, with their provenance."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from tiendo.ioc.domain import feeds
from tiendo.ioc.models import Device, DeviceMetric, Reading

pytestmark = pytest.mark.django_db

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def put(device, metric, values_at):
    series = DeviceMetric.objects.get(device__code=device, code=metric)
    Reading.objects.bulk_create(Reading(series=series, ts=ts, value=value) for ts, value in values_at)


def local(day, hour, minute=30, month=11):
    return datetime(2026, month, day, hour, minute, tzinfo=VN).astimezone(UTC)


def test_days_with_a_good_or_moderate_daily_aqi_are_counted_per_month(ioc_registry):
    """1/11: PM2.5 20 all day → 50/25 × 20 = 40, Tốt — counted. 2/11: 60 → 100 + 50/30 × 10 = 116,7,
    Kém — not. 3/11: only 10 hours — no daily index (18 needed) — not. 4/11: two readings an hour, 30
    and 40, hourly mean 35 → 50 + 50/25 × 10 = 70, Trung bình — counted. So 2 days, from
    24 + 24 + 10 + 48 = 106 readings; those of 31/10 23:30 and 1/12 00:30 are outside the month."""
    put("aq-dungquat-01", "pm25", [(local(1, h), 20.0) for h in range(24)])
    put("aq-dungquat-01", "pm25", [(local(2, h), 60.0) for h in range(24)])
    put("aq-dungquat-01", "pm25", [(local(3, h), 10.0) for h in range(10)])
    put(
        "aq-dungquat-01",
        "pm25",
        [(local(4, h, 10), 30.0) for h in range(24)] + [(local(4, h, 40), 40.0) for h in range(24)],
    )
    put("aq-dungquat-01", "pm25", [(local(31, 23, month=10), 900.0), (local(1, 0, month=12), 900.0)])

    figure = feeds.aqi_good_days(device=Device.objects.get(code="aq-dungquat-01"), year=2026, month=11)

    assert (figure.value, figure.readings, figure.period) == (2, 106, "202611")
    assert figure.provenance == "từ 106 số đo của thiết bị aq-dungquat-01"
    assert figure.simulated and figure.unit_code == "21061"


def test_hours_whose_mean_level_reaches_alarm_one_are_counted(ioc_registry):
    """Trà Khúc, alarm I at 3,5 m: hour 08 (3,4 and 3,6 → mean 3,5) counts; hour 09 (3,49) does not;
    hour 10 (6,0) counts: 2 hours, from 4 readings."""
    put(
        "wl-trakhuc-01",
        "water_level",
        [(local(5, 8, 10), 3.4), (local(5, 8, 40), 3.6), (local(5, 9), 3.49), (local(5, 10), 6.0)],
    )

    figure = feeds.hours_above_alarm_one(device=Device.objects.get(code="wl-trakhuc-01"), year=2026, month=11)

    assert (figure.value, figure.readings) == (2, 4)
    assert figure.provenance == "từ 4 số đo của thiết bị wl-trakhuc-01"


def test_a_station_without_alarm_levels_has_no_figure(ioc_registry):
    Device.objects.filter(code="wl-anchi-01").update(properties={})
    put("wl-anchi-01", "water_level", [(local(5, 8), 9.0)])

    figure = feeds.hours_above_alarm_one(
        device=Device.objects.get(code="wl-anchi-01"), year=2026, month=12 - 1
    )

    assert figure.value is None and figure.readings == 1


def test_a_month_in_december_ends_at_the_new_year(ioc_registry):
    put("wl-trakhuc-01", "water_level", [(local(31, 23, month=12), 7.0)])

    figure = feeds.hours_above_alarm_one(device=Device.objects.get(code="wl-trakhuc-01"), year=2026, month=12)

    assert (figure.value, figure.period) == (1, "202612")
