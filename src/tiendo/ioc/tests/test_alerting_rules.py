"""Alert rules on readings as they arrive: conditions, debouncing, auto-clear, one open alert."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tiendo.core.models import AuditLog
from tiendo.ioc.alerting import AUTO_CLEAR_COMMENT
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.models import Alert, AlertEvent, AlertRule, Device, RuleState, Severity

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def send(value, *, at=T0, device="aq-dungquat-01", metric="pm25"):
    """One reading through the real ingest path (one transaction, the pipeline, the rules)."""
    return readings_ingest(
        readings=[IncomingReading(device=device, metric=metric, ts=at, value=value)],
        source="test",
        now=at + timedelta(seconds=30),
    )


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def rule(**fields):
    values = {
        "code": "pm25-high",
        "name": "PM2.5 cao",
        "severity": Severity.MAJOR,
        "metric": "pm25",
        "operator": ">",
        "threshold": 50,
    }
    return AlertRule.objects.create(**(values | fields))


def open_alerts():
    return Alert.objects.exclude(status=Alert.Status.CLEARED)


@pytest.mark.parametrize(
    ("operator", "threshold", "breach", "normal"),
    [(">", 50, 50.5, 50), (">=", 50, 50, 49.9), ("<", 10, 9.9, 10), ("<=", 10, 10, 10.1), ("=", 0, 0, 0.1)],
)
def test_each_threshold_operator_raises_on_a_breach_and_not_on_a_normal_value(
    ioc_registry, operator, threshold, breach, normal
):
    rule(operator=operator, threshold=threshold)

    send(normal, at=minutes(0))
    assert not Alert.objects.exists()

    result = send(breach, at=minutes(1))
    alert = Alert.objects.get()
    assert alert.status == Alert.Status.ACTIVE and alert.value == breach
    assert alert.device.code == "aq-dungquat-01" and alert.unit.code == "21061"
    assert alert.severity == Severity.MAJOR and alert.started_at == minutes(1)
    device = alert.device
    assert alert.message.startswith(f"{alert.rule.name}: {device.name}, PM2.5 = {breach:g} (")
    assert result.stored  # the readings were stored with the alert, in one transaction


def test_a_breach_must_hold_for_the_duration_before_the_alert_is_raised(ioc_registry):
    rule(duration_seconds=600)

    for minute in (0, 4, 9, 9.9):
        send(80, at=minutes(minute))
    assert not Alert.objects.exists()

    send(80, at=minutes(10))
    alert = Alert.objects.get()
    assert alert.started_at == minutes(10)
    assert list(alert.events.values_list("kind", flat=True)) == ["raised"]


def test_a_normal_reading_inside_the_duration_starts_the_wait_again(ioc_registry):
    rule(duration_seconds=600)

    send(80, at=minutes(0))
    send(20, at=minutes(6))
    send(80, at=minutes(7))
    send(80, at=minutes(12))  # 12 minutes after the first breach, 5 after the breach began again
    assert not Alert.objects.exists()

    send(80, at=minutes(17))
    assert Alert.objects.get().started_at == minutes(17)


def test_an_alert_needs_the_repeat_count_of_breaches_in_a_row(ioc_registry):
    rule(repeat_count=3)

    send(80, at=minutes(0))
    send(80, at=minutes(1))
    send(10, at=minutes(2))  # the run is broken
    send(80, at=minutes(3))
    send(80, at=minutes(4))
    assert not Alert.objects.exists()

    send(80, at=minutes(5))
    assert Alert.objects.get().started_at == minutes(5)


def test_repeat_and_duration_are_counted_inside_one_batch_too(ioc_registry):
    rule(repeat_count=3)
    readings = [
        IncomingReading(device="aq-dungquat-01", metric="pm25", ts=minutes(m), value=v)
        for m, v in [(0, 80), (1, 80), (2, 80), (3, 10)]
    ]

    readings_ingest(readings=readings, source="test", now=minutes(4))

    alert = Alert.objects.get()
    assert alert.started_at == minutes(2)
    assert alert.status == Alert.Status.CLEARED and alert.cleared_at == minutes(3)


def test_a_rate_rule_compares_the_change_per_n_minutes_with_the_series_previous_reading(ioc_registry):
    rule(
        code="river-rising",
        name="Nước lên nhanh",
        metric="water_level",
        condition=AlertRule.Condition.RATE,
        operator=">",
        threshold=0.5,
        params={"per_minutes": 60},
    )

    send(1.0, at=minutes(0), device="wl-trakhuc-01", metric="water_level")
    send(1.2, at=minutes(30), device="wl-trakhuc-01", metric="water_level")  # 0.4 m an hour
    assert not Alert.objects.exists()

    send(1.6, at=minutes(60), device="wl-trakhuc-01", metric="water_level")  # 0.8 m an hour
    alert = Alert.objects.get()
    assert alert.value == pytest.approx(0.8)
    assert alert.unit.code == "21025"

    send(1.7, at=minutes(90), device="wl-trakhuc-01", metric="water_level")  # 0.2 m an hour
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLEARED


def test_a_rate_rule_created_after_data_arrived_starts_from_the_stored_previous_reading(ioc_registry):
    send(1.0, at=minutes(0), device="wl-trakhuc-01", metric="water_level")
    rule(
        code="river-rising",
        metric="water_level",
        condition=AlertRule.Condition.RATE,
        operator=">",
        threshold=0.5,
        params={"per_minutes": 60},
    )

    send(2.0, at=minutes(60), device="wl-trakhuc-01", metric="water_level")

    assert Alert.objects.get().value == pytest.approx(1.0)


def test_the_alert_clears_itself_when_the_value_returns_to_normal(ioc_registry):
    rule()
    send(80, at=minutes(0))

    send(30, at=minutes(1))

    alert = Alert.objects.get()
    assert alert.status == Alert.Status.CLEARED
    assert alert.cleared_by is None and alert.clear_comment == AUTO_CLEAR_COMMENT
    assert alert.cleared_at == minutes(1)
    assert list(alert.events.values_list("kind", flat=True)) == ["raised", "cleared"]
    assert AuditLog.objects.filter(action="ioc.alert_cleared", actor_label="ioc").exists()


def test_an_acknowledged_alert_also_clears_itself_when_the_value_is_normal(ioc_registry, office_admin):
    from tiendo.ioc.services import alert_acknowledge

    rule()
    send(80, at=minutes(0))
    alert_acknowledge(actor=office_admin, alert=Alert.objects.get(), comment="đang xử lý")

    send(30, at=minutes(1))

    assert Alert.objects.get().status == Alert.Status.CLEARED


def test_a_breach_that_goes_on_keeps_one_open_alert_and_updates_its_last_value(ioc_registry):
    rule()

    for minute, value in enumerate([60, 70, 80, 90, 75]):
        send(value, at=minutes(minute))

    alert = open_alerts().get()
    assert Alert.objects.count() == 1
    assert alert.started_at == minutes(0) and alert.last_at == minutes(4) and alert.value == 75
    assert AlertEvent.objects.filter(kind="raised").count() == 1


def test_after_a_clear_a_new_breach_opens_a_new_alert(ioc_registry):
    rule()

    send(80, at=minutes(0))
    send(10, at=minutes(1))
    send(90, at=minutes(2))

    assert Alert.objects.count() == 2
    assert open_alerts().get().started_at == minutes(2)


def test_a_late_reading_older_than_the_last_one_seen_changes_nothing(ioc_registry):
    rule()
    send(80, at=minutes(10))

    send(10, at=minutes(5))  # late, and normal: history, not news

    assert open_alerts().count() == 1
    assert RuleState.objects.get().last_ts == minutes(10)


def test_rules_scoped_by_device_kind_subsystem_and_device_watch_only_their_devices(ioc_registry):
    kind_rule = rule(code="rivers", metric="water_level", device_kind="water_level", threshold=3)
    one_device = rule(
        code="anchi", metric="water_level", device=Device.objects.get(code="wl-anchi-01"), threshold=3
    )
    cameras = rule(
        code="cam-events",
        metric="events",
        subsystem=Device.objects.get(code="cam-camthanh-01").subsystem,
        threshold=5,
    )

    send(4.0, device="wl-trakhuc-01", metric="water_level")
    send(9, device="cam-vantuong-01", metric="events")

    assert set(Alert.objects.values_list("rule__code", "device__code")) == {
        (kind_rule.code, "wl-trakhuc-01"),
        (cameras.code, "cam-vantuong-01"),
    }
    assert not Alert.objects.filter(rule=one_device).exists()


def test_an_inactive_rule_raises_nothing_and_an_edit_is_seen_by_the_next_batch(ioc_registry):
    pm = rule(active=False)
    send(80, at=minutes(0))
    assert not Alert.objects.exists()

    pm.active = True
    pm.threshold = 90
    pm.save()
    send(80, at=minutes(1))
    assert not Alert.objects.exists()

    pm.threshold = 70
    pm.save()
    send(80, at=minutes(2))
    assert Alert.objects.count() == 1


def test_the_rules_are_evaluated_with_a_fixed_number_of_queries_whatever_the_batch(ioc_registry):
    rule()
    rule(code="pm10-high", metric="pm10", device_kind="air_quality")

    def batch(start, n):
        return [
            IncomingReading(device=code, metric=metric, ts=minutes(start + i), value=10)
            for i in range(n)
            for code in ("aq-dungquat-01", "aq-vsip-01")
            for metric in ("pm25", "pm10")
        ]

    readings_ingest(readings=batch(0, 2), source="test", now=minutes(100))
    with CaptureQueriesContext(connection) as small:
        readings_ingest(readings=batch(10, 2), source="test", now=minutes(100))
    with CaptureQueriesContext(connection) as large:
        readings_ingest(readings=batch(20, 40), source="test", now=minutes(100))

    assert len(large.captured_queries) == len(small.captured_queries)


def test_a_quiet_series_writes_no_state_and_a_breach_that_ends_resets_it(ioc_registry):
    rule(repeat_count=2)
    send(10, at=minutes(0))
    send(20, at=minutes(1))
    assert not RuleState.objects.exists()

    send(80, at=minutes(2))
    assert RuleState.objects.get().breach_count == 1
    send(10, at=minutes(3))
    state = RuleState.objects.get()
    assert state.breach_count == 0 and state.breach_since is None
