from datetime import UTC, datetime, timedelta

import pytest

from tiendo.ioc.ingest import IncomingReading, ReadingsRefusedError, readings_ingest
from tiendo.ioc.models import Device, DeviceMetric, IngestRefusal, Reading

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def reading(value, *, minute=0, device="aq-dungquat-01", metric="pm25", unit=None, ts=None):
    return IncomingReading(
        device=device,
        metric=metric,
        ts=ts or (NOW - timedelta(minutes=60 - minute)).isoformat(),
        value=value,
        unit=unit,
    )


def test_readings_are_stored_and_the_series_and_device_remember_the_newest(ioc_registry):
    result = readings_ingest(
        readings=[reading(12.5, minute=1), reading(30.0, minute=5)], source="test", now=NOW
    )

    assert len(result.stored) == 2
    series = DeviceMetric.objects.get(device__code="aq-dungquat-01", code="pm25")
    assert Reading.objects.filter(series=series).count() == 2
    assert series.last_value == 30.0
    device = Device.objects.get(code="aq-dungquat-01")
    assert device.state == Device.State.ONLINE
    assert device.last_seen_at == NOW
    assert [d.code for d in result.came_online] == ["aq-dungquat-01"]


def test_a_reading_sent_twice_is_stored_once_and_counted_as_a_duplicate(ioc_registry):
    first = readings_ingest(readings=[reading(10.0)], source="test", now=NOW)
    again = readings_ingest(
        readings=[reading(10.0), reading(10.0), reading(11.0, minute=2)], source="test", now=NOW
    )

    assert len(first.stored) == 1
    assert len(again.stored) == 1  # the new one only
    assert again.duplicates == 2
    assert Reading.objects.count() == 2


def test_a_duplicate_with_another_value_keeps_the_first_value(ioc_registry):
    readings_ingest(readings=[reading(10.0)], source="test", now=NOW)
    readings_ingest(readings=[reading(99.0)], source="test", now=NOW)

    assert list(Reading.objects.values_list("value", flat=True)) == [10.0]


def test_an_older_reading_does_not_replace_the_series_last_value(ioc_registry):
    readings_ingest(readings=[reading(30.0, minute=30)], source="test", now=NOW)
    readings_ingest(readings=[reading(5.0, minute=1)], source="test", now=NOW)

    assert DeviceMetric.objects.get(device__code="aq-dungquat-01", code="pm25").last_value == 30.0


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        (reading(1.0, device="no-such-device"), "unknown_device"),
        (reading(1.0, metric="humidity"), "unknown_metric"),
        (reading(1.0, unit="21025"), "wrong_unit"),
        (reading(1.0, ts="yesterday"), "bad_time"),
        (reading(1.0, ts=(NOW + timedelta(minutes=10)).isoformat()), "future"),
        (reading("12"), "bad_value"),
        (reading(True), "bad_value"),
        (reading(float("nan")), "bad_value"),
    ],
)
def test_a_bad_reading_is_refused_with_its_reason_and_counted(ioc_registry, bad, reason):
    result = readings_ingest(readings=[bad, reading(1.0, minute=3)], source="mqtt", now=NOW)

    assert [r.reason for r in result.refused] == [reason]
    assert len(result.stored) == 1  # the good one is kept (MQTT: one bad message spoils nothing)
    refusal = IngestRefusal.objects.get(reason=reason)
    assert refusal.count == 1
    assert "mqtt" in refusal.last_detail


def test_refusals_of_the_same_day_reason_and_device_add_up(ioc_registry):
    readings_ingest(readings=[reading(1.0, device="ghost")] * 3, source="test", now=NOW)
    readings_ingest(readings=[reading(1.0, device="ghost")], source="test", now=NOW)

    assert IngestRefusal.objects.get(reason="unknown_device", device_ref="ghost").count == 4


def test_an_all_or_nothing_batch_with_bad_readings_stores_nothing_and_names_every_bad_one(ioc_registry):
    batch = [
        reading(1.0, minute=1),
        IncomingReading(device="ghost", metric="pm25", ts=NOW.isoformat(), value=1, label="readings[1]"),
        IncomingReading(device="aq-dungquat-01", metric="pm25", ts="soon", value=1, label="readings[2]"),
    ]
    with pytest.raises(ReadingsRefusedError) as caught:
        readings_ingest(readings=batch, source="http", all_or_nothing=True, now=NOW)

    assert [(r.label, r.reason) for r in caught.value.refusals] == [
        ("readings[1]", "unknown_device"),
        ("readings[2]", "bad_time"),
    ]
    assert Reading.objects.count() == 0
    assert IngestRefusal.objects.count() == 2  # counted even though nothing was stored


def test_an_ngsi_ld_device_id_is_accepted_for_the_device(ioc_registry):
    result = readings_ingest(
        readings=[reading(3.0, device="urn:ngsi-ld:Device:aq-dungquat-01")], source="test", now=NOW
    )
    assert len(result.stored) == 1


def test_a_time_without_offset_is_read_in_the_province_time_zone(ioc_registry):
    result = readings_ingest(readings=[reading(3.0, ts="2026-11-20T09:30:00")], source="test", now=NOW)

    assert result.stored[0].ts == datetime(2026, 11, 20, 2, 30, tzinfo=UTC)


def test_a_reading_sent_for_a_derived_metric_is_refused_so_tiendo_computes_it(ioc_registry):
    result = readings_ingest(readings=[reading(42.0, metric="aqi_h")], source="test", now=NOW)

    assert result.stored == []
    assert [r.reason for r in result.refused] == ["derived"]
    assert not Reading.objects.filter(series__code="aqi_h").exists()
