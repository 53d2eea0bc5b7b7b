"""The periodic check: devices and series silent too long, and the plan's indicators off track."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command

from tiendo.core.models import AuditLog
from tiendo.ioc.alerting import DATA_BACK_COMMENT, INDICATOR_BACK_COMMENT, alerts_check
from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.models import Alert, AlertRule, Device, Severity
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement, DataValue

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


def send(value, *, at, device="aq-dungquat-01", metric="pm25"):
    return readings_ingest(
        readings=[IncomingReading(device=device, metric=metric, ts=at, value=value)],
        source="test",
        now=at,
    )


@pytest.fixture
def silence_rule(ioc_registry):
    return AlertRule.objects.create(
        code="aq-silent",
        name="Trạm không khí im lặng",
        severity=Severity.MINOR,
        condition=AlertRule.Condition.NO_DATA,
        device_kind="air_quality",
        params={"minutes": 30},
    )


def test_a_device_silent_longer_than_the_rule_allows_is_alerted_and_marked_offline(silence_rule):
    Device.objects.filter(kind="air_quality").update(created_at=T0 - timedelta(days=30))
    send(20, at=T0, device="aq-dungquat-01")
    send(20, at=T0 + timedelta(minutes=20), device="aq-vsip-01")

    run = alerts_check(now=T0 + timedelta(minutes=40))

    alert = Alert.objects.get()
    assert alert.device.code == "aq-dungquat-01" and alert.severity == Severity.MINOR
    assert "30" in alert.message
    assert [a.pk for a in run.raised] == [alert.pk] and run.offline == ["aq-dungquat-01"]
    assert Device.objects.get(code="aq-dungquat-01").state == Device.State.OFFLINE
    assert Device.objects.get(code="aq-vsip-01").state == Device.State.ONLINE
    assert AuditLog.objects.filter(action="ioc.device_state", actor_label="ioc-check").count() == 1


def test_checking_again_raises_no_second_alert(silence_rule):
    send(20, at=T0)
    alerts_check(now=T0 + timedelta(minutes=40))
    run = alerts_check(now=T0 + timedelta(minutes=50))

    assert run.raised == [] and Alert.objects.filter(device__code="aq-dungquat-01").count() == 1


def test_data_coming_back_clears_the_no_data_alert_and_the_device_is_online_again(silence_rule):
    send(20, at=T0)
    alerts_check(now=T0 + timedelta(minutes=40))

    send(21, at=T0 + timedelta(minutes=45))

    alert = Alert.objects.get(device__code="aq-dungquat-01")
    assert alert.status == Alert.Status.CLEARED and alert.clear_comment == DATA_BACK_COMMENT
    assert alert.cleared_by is None
    assert Device.objects.get(code="aq-dungquat-01").state == Device.State.ONLINE


def test_a_device_that_never_reported_counts_from_its_registration(silence_rule):
    Device.objects.filter(code="aq-vsip-01").update(created_at=T0 - timedelta(minutes=5))
    Device.objects.filter(code="aq-dungquat-01").update(created_at=T0 + timedelta(minutes=20))

    alerts_check(now=T0 + timedelta(minutes=10))
    assert not Alert.objects.exists()

    alerts_check(now=T0 + timedelta(minutes=40))
    alert = Alert.objects.get()
    assert alert.device.code == "aq-vsip-01"
    assert Device.objects.get(code="aq-vsip-01").state == Device.State.NEVER  # never was online


def test_a_no_data_rule_on_a_metric_watches_that_series_only(ioc_registry):
    AlertRule.objects.create(
        code="pm25-silent",
        name="Không có PM2.5",
        condition=AlertRule.Condition.NO_DATA,
        device=Device.objects.get(code="aq-dungquat-01"),
        metric="pm25",
        params={"minutes": 30},
    )
    send(20, at=T0, metric="pm25")
    send(20, at=T0 + timedelta(minutes=35), metric="pm10")

    alerts_check(now=T0 + timedelta(minutes=40))
    alert = Alert.objects.get()
    assert Device.objects.get(code="aq-dungquat-01").state == Device.State.ONLINE

    send(20, at=T0 + timedelta(minutes=41), metric="pm10")
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.ACTIVE
    send(20, at=T0 + timedelta(minutes=42), metric="pm25")
    assert Alert.objects.get(pk=alert.pk).status == Alert.Status.CLEARED


def test_the_command_runs_the_check_and_says_what_it_did(silence_rule):
    Device.objects.filter(kind="air_quality").update(created_at=T0 - timedelta(days=1))
    out = StringIO()

    call_command("ioc_check", stdout=out)

    assert "2" in out.getvalue() and Alert.objects.count() == 2


def test_the_worker_task_runs_the_check(silence_rule, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from tiendo.ioc.alerts_tasks import ioc_check_task

    Device.objects.filter(kind="air_quality").update(created_at=T0 - timedelta(days=1))
    result = ioc_check_task.enqueue()

    assert result.return_value["raised"] == 2


def _digital_economy_share(value: float) -> None:
    """III.9 of the 2026 plan: 12 % of GRDP by the end of 2026, from 10 % in 2025."""
    province = OrgUnit.objects.get(code="51")
    for code, figure in (("KT_GRDP_KTS", value), ("KT_GRDP", 100)):
        DataValue.objects.update_or_create(
            data_element=DataElement.objects.get(code=code),
            unit=province,
            period="2026S1",
            defaults={"value": figure, "source": DataValue.Source.MANUAL},
        )


def test_an_indicator_off_track_raises_an_alert_for_the_province_and_back_on_track_clears_it(ioc_registry):
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="III", number="9")
    AlertRule.objects.create(
        code="kts-off-track",
        name="Kinh tế số chệch hướng",
        severity=Severity.MAJOR,
        condition=AlertRule.Condition.INDICATOR,
        indicator=indicator,
    )
    _digital_economy_share(10.2)  # +4 % a year where +20 % is needed: limited progress

    alerts_check(now=T0)
    alert = Alert.objects.get()
    assert alert.device is None and alert.unit.code == "51" and "III.9" in alert.message

    _digital_economy_share(11.5)  # on track
    run = alerts_check(now=T0 + timedelta(hours=1))
    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLEARED and alert.clear_comment == INDICATOR_BACK_COMMENT
    assert run.cleared == [alert]
