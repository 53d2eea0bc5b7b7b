"""Derived readings in the ingest path: hourly VN_AQI, a river's alarm level, a vessel's zone state."""

from datetime import UTC, datetime, timedelta

import pytest

from tiendo.core.yamlfile import FileValidationError
from tiendo.ioc.domain import derive, describe
from tiendo.ioc.ingest import IncomingReading, StoredReading, readings_ingest
from tiendo.ioc.models import DeviceMetric, Reading
from tiendo.ioc.registry import registry_load

pytestmark = pytest.mark.django_db

T = datetime(2026, 11, 20, 21, 0, tzinfo=UTC)  # the hour indexed
DECISION_PM25 = [20.6, 19.6, 22.4, 20.3, 16.5, 19.0, 16.5, 19.5, 23.5, 20.5, 24.7, 26.9]  # c1 … c12


def r(device, metric, ts, value):
    return IncomingReading(device=device, metric=metric, ts=ts, value=value)


def ingest(*readings, now=None):
    return readings_ingest(readings=list(readings), source="test", now=now or T + timedelta(minutes=30))


def values(device, metric):
    return list(
        Reading.objects.filter(series__device__code=device, series__code=metric)
        .order_by("ts")
        .values_list("ts", "value")
    )


def decision_hours(device="aq-dungquat-01"):
    """The decision's 12 PM2.5 hourly values, one reading at half past each hour 09:30 … 20:30 UTC."""
    return [
        r(device, "pm25", T - timedelta(minutes=30) - i * timedelta(hours=1), c)
        for i, c in enumerate(DECISION_PM25)
    ]


def test_the_registry_marks_the_derived_series_of_the_seed_devices(ioc_registry):
    derived = set(DeviceMetric.objects.filter(derived=True).values_list("device__code", "code"))

    assert ("aq-dungquat-01", "aqi_h") in derived
    assert ("wl-trakhuc-01", "alarm_level") in derived
    assert ("vms-qng-9001-ts", "zone_state") in derived
    assert not DeviceMetric.objects.get(device__code="aq-dungquat-01", code="pm25").derived


def test_a_registry_refuses_derived_metrics_tiendo_cannot_compute_naming_each_line(shipped_data, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "subsystems:\n"
        "  - {code: env, name: Môi trường}\n"
        "devices:\n"
        "  - code: wl-1\n"
        "    name: Trạm 1\n"
        "    subsystem: env\n"
        "    unit: '21025'\n"
        "    properties: {alarm_levels: [5.0, 3.5, 6.5]}\n"
        "    metrics:\n"
        "      - {code: water_level, name: Mực nước, unit_code: MTR}\n"
        "      - {code: alarm_level, name: Báo động, derived: true}\n"
        "      - {code: aqi_d, name: AQI ngày, derived: true}\n"
        "      - {code: flood_risk, name: Nguy cơ lũ, derived: true}\n"
        "  - code: vms-1\n"
        "    name: Tàu 1\n"
        "    subsystem: env\n"
        "    unit: '21548'\n"
        "    properties: {zone: hoang-sa}\n"
        "    metrics:\n"
        "      - {code: lat, name: Vĩ độ, unit_code: DD}\n"
        "      - {code: zone_state, name: Vùng, derived: true}\n",
        encoding="utf-8",
    )
    with pytest.raises(FileValidationError) as caught:
        registry_load(path=bad)

    text = "\n".join(caught.value.errors)
    assert "bad.yaml:8 devices[0].properties.alarm_levels: alarm_level: cần 3 mức báo động I, II, III" in text
    assert "bad.yaml:12 devices[0].metrics[2].code: aqi_d: cần chỉ số pm25 hoặc pm10" in text
    assert "bad.yaml:13 devices[0].metrics[3].code: flood_risk: tiendo không tính chỉ số dẫn xuất này" in text
    assert "bad.yaml:21 devices[1].metrics[1].code: zone_state: cần chỉ số lat và lon" in text
    zone = "bad.yaml:18 devices[1].properties.zone: zone_state: cần mã vùng biển có trong danh mục (ly-son)"
    assert zone in text


def test_a_water_level_reading_stores_its_alarm_level_at_the_same_instant(ioc_registry):
    """Trà Khúc's levels are 3,5 / 5,0 / 6,5 m: 5,2 m is at alarm II, 3,4 m below alarm I."""
    ingest(
        r("wl-trakhuc-01", "water_level", T, 5.2),
        r("wl-trakhuc-01", "water_level", T + timedelta(minutes=5), 3.4),
    )

    assert values("wl-trakhuc-01", "alarm_level") == [(T, 2.0), (T + timedelta(minutes=5), 0.0)]
    assert DeviceMetric.objects.get(device__code="wl-trakhuc-01", code="alarm_level").last_value == 0.0


def test_a_vessel_position_in_the_protected_area_stores_zone_state_two(ioc_registry):
    ingest(r("vms-qng-9001-ts", "lat", T, 15.42), r("vms-qng-9001-ts", "lon", T, 109.10))

    assert values("vms-qng-9001-ts", "zone_state") == [(T, 2.0)]


def test_a_position_whose_coordinates_arrive_in_two_batches_is_placed_when_both_are_known(ioc_registry):
    ingest(r("vms-qng-9002-ts", "lat", T, 16.5))
    assert values("vms-qng-9002-ts", "zone_state") == []

    ingest(r("vms-qng-9002-ts", "lon", T, 110.5))
    assert values("vms-qng-9002-ts", "zone_state") == [(T, 1.0)]  # far outside the allowed zone


def test_the_hourly_aqi_is_indexed_once_when_the_hour_is_complete(ioc_registry):
    """PM2.5 hours 20:00 … 09:00 are the decision's example: NowCast 20,27 → 50/25 × 20,27 = 40,5 → 41;
    NO2 118,7 in the hour before 21:00 → 50 + 50/100 × 18,7 = 59,35 → 59. A reading at 21:05 completes
    that hour: AQI^h at 21:00 = 59. A later reading in the same hour changes nothing."""
    ingest(*decision_hours(), r("aq-dungquat-01", "no2", T - timedelta(minutes=20), 118.7))
    before = dict(values("aq-dungquat-01", "aqi_h"))
    assert T not in before  # the 20:00 hour is not complete yet

    ingest(r("aq-dungquat-01", "pm25", T + timedelta(minutes=5), 80.0))
    ingest(r("aq-dungquat-01", "pm25", T + timedelta(minutes=10), 300.0))

    indexed = dict(values("aq-dungquat-01", "aqi_h"))
    assert indexed[T] == 59.0
    assert len(indexed) == len(before) + 1


def test_a_backlog_indexes_every_hour_it_completes_once_two_recent_hours_exist(ioc_registry):
    """Readings 09:30 … 20:30 and 21:05 in one batch: hours 10:00 … 21:00 close; 10:00 has only c1
    (needs 2 of c1–c3), so 11:00 … 21:00 are indexed: 11 values. At 11:00, c1 = 24,7 and c2 = 26,9:
    w = 24,7/26,9 = 0,9182 (so w·c2 = c1); NowCast = (24,7 + 24,7) / 1,9182 = 25,753 →
    50 + 50/25 × 0,753 = 51,51 → 52. At 21:00 the decision's 12 hours: NowCast 20,27 → 40,5 → 41."""
    ingest(*decision_hours(), r("aq-dungquat-01", "pm25", T + timedelta(minutes=5), 20.0))

    indexed = dict(values("aq-dungquat-01", "aqi_h"))
    assert sorted(indexed) == [T - timedelta(hours=h) for h in range(10, -1, -1)]
    assert indexed[T - timedelta(hours=10)] == 52.0
    assert indexed[T] == 41.0


def test_the_daily_aqi_of_the_provinces_day_is_indexed_by_the_first_reading_of_the_next_day(ioc_registry):
    """PM2.5 55,7 every hour of 20/11 (local, UTC+7) → 24-hour mean 55,7 → 100 + 50/30 × 5,7 = 109,5 →
    110 (Kém), as the decision's example 2.3 c. Stored at the start of the local day, 20/11 00:00+07."""
    day_start = datetime(2026, 11, 19, 17, 0, tzinfo=UTC)  # 20/11 00:00 in Quảng Ngãi
    next_day = day_start + timedelta(days=1)
    ingest(
        *[r("aq-vsip-01", "pm25", day_start + timedelta(minutes=30 + 60 * h), 55.7) for h in range(24)],
        now=next_day,
    )
    assert values("aq-vsip-01", "aqi_d") == []

    ingest(
        r("aq-vsip-01", "pm25", next_day + timedelta(minutes=5), 10.0), now=next_day + timedelta(minutes=10)
    )

    assert values("aq-vsip-01", "aqi_d") == [(day_start, 110.0)]


def test_a_station_without_particulate_readings_gets_no_index(ioc_registry):
    ingest(
        r("aq-vsip-01", "o3", T - timedelta(minutes=30), 150.0),
        r("aq-vsip-01", "o3", T + timedelta(minutes=1), 150.0),
    )

    assert values("aq-vsip-01", "aqi_h") == []


def _stored(device, metric, ts, value):
    series = DeviceMetric.objects.select_related("device").get(device__code=device, code=metric)
    return StoredReading(
        series_id=series.pk,
        device_id=series.device_id,
        device_code=device,
        unit_code="",
        metric=metric,
        ts=ts,
        value=value,
    )


def test_derive_asks_nothing_of_the_database_for_readings_no_rule_uses(
    ioc_registry, django_assert_num_queries
):
    stored = [
        _stored("cam-camthanh-01", "vehicles", T, 12.0),
        _stored("wl-trakhuc-01", "alarm_level", T, 1.0),
    ]

    with django_assert_num_queries(0):
        assert derive(stored=stored) == []  # derived readings derive nothing


def test_derive_indexes_a_batch_of_stations_in_two_queries(ioc_registry, django_assert_num_queries):
    series = {
        code: DeviceMetric.objects.get(device__code=code, code="pm25")
        for code in ("aq-dungquat-01", "aq-vsip-01")
    }
    Reading.objects.bulk_create(
        Reading(series=s, ts=T - timedelta(minutes=m), value=30.0)
        for s in series.values()
        for m in (20, 80, 140)
    )
    stored = [_stored(code, "pm25", T + timedelta(minutes=1), 30.0) for code in series]
    stored += [_stored("wl-trakhuc-01", "water_level", T, 7.0)]

    with django_assert_num_queries(2):  # the devices' series, the hourly means
        derived = derive(stored=stored)

    assert sorted((d.device, d.metric, d.value) for d in derived) == [
        ("aq-dungquat-01", "aqi_h", 60.0),  # NowCast 30 → 50 + 50/25 × 5 = 60
        ("aq-vsip-01", "aqi_h", 60.0),
        ("wl-trakhuc-01", "alarm_level", 3.0),
    ]


def test_an_index_that_cannot_be_computed_yet_is_not_retried_by_every_batch(
    ioc_registry, django_capture_on_commit_callbacks, django_assert_num_queries
):
    """A station's first reading: the hour before and the day before have no data, so no index; once
    that batch is committed, the next batch of the same hour does not query the hourly means again."""
    with django_capture_on_commit_callbacks(execute=True):
        ingest(r("aq-vsip-01", "pm25", T + timedelta(minutes=1), 30.0))
    assert values("aq-vsip-01", "aqi_h") == []

    stored = [_stored("aq-vsip-01", "pm25", T + timedelta(minutes=2), 30.0)]
    with django_assert_num_queries(1):  # the devices' series only
        assert derive(stored=stored) == []


@pytest.mark.parametrize(
    ("metric", "value", "text", "colour"),
    [
        ("aqi_h", 120.0, "Kém", "#ff7e00"),
        ("aqi_d", 50.0, "Tốt", "#00e400"),
        ("aqi_h", 50.5, "Trung bình", "#ffff00"),  # rounded half up first
        ("alarm_level", 2.0, "Báo động II", ""),
        ("zone_state", 2.0, "Trong vùng cấm", ""),
    ],
)
def test_a_derived_value_is_described_in_words_and_with_the_legal_colour(metric, value, text, colour):
    meaning = describe(metric, value)

    assert meaning is not None and (meaning.text, meaning.colour) == (text, colour)


def test_a_metric_not_derived_here_has_no_description():
    assert describe("pm25", 40.0) is None
