from datetime import UTC, datetime

import pytest

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.models import AuditLog
from tiendo.ioc.models import Alert, AlertEvent, AlertRule, Device, Severity
from tiendo.ioc.selectors import alerts_visible, devices_visible
from tiendo.ioc.services import alert_acknowledge, alert_clear, alert_raise, device_set_offline

pytestmark = pytest.mark.django_db

AT = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)


@pytest.fixture
def pm_rule(ioc_registry):
    return AlertRule.objects.create(
        code="pm25-high", name="PM2.5 cao", severity=Severity.MAJOR, metric="pm25", operator=">", threshold=50
    )


def raise_on(rule, code="aq-dungquat-01", value=80.0):
    return alert_raise(
        rule=rule, device=Device.objects.get(code=code), value=value, at=AT, message="PM2.5 80"
    )


def test_a_rule_keeps_one_open_alert_per_device(pm_rule):
    first, created = raise_on(pm_rule)
    again, created_again = raise_on(pm_rule, value=90.0)

    assert created and not created_again
    assert again.pk == first.pk and again.value == 90.0
    assert Alert.objects.count() == 1
    assert first.unit.code == "21061"


def test_the_operator_of_the_unit_acknowledges_then_clears_and_each_step_is_recorded(
    pm_rule, vantuong_operator
):
    alert, _ = raise_on(pm_rule)

    alert_acknowledge(actor=vantuong_operator, alert=alert, comment="Đã báo Ban Quản lý KKT")
    alert_clear(actor=vantuong_operator, alert=alert, comment="Đã xử lý")

    alert.refresh_from_db()
    assert alert.status == Alert.Status.CLEARED
    assert alert.acknowledged_by == vantuong_operator and alert.cleared_by == vantuong_operator
    assert list(alert.events.values_list("kind", flat=True)) == ["raised", "acknowledged", "cleared"]
    assert AuditLog.objects.filter(action="ioc.alert_acknowledged", reason="Đã báo Ban Quản lý KKT").exists()


def test_an_operator_of_another_unit_neither_sees_nor_acts_on_the_alert(pm_rule, camthanh_operator):
    alert, _ = raise_on(pm_rule)

    assert not alerts_visible(user=camthanh_operator).exists()
    with pytest.raises(NotFoundError):
        alert_acknowledge(actor=camthanh_operator, alert=alert)
    assert not AlertEvent.objects.filter(kind="acknowledged").exists()


def test_a_viewer_of_the_unit_sees_the_alert_but_cannot_acknowledge_it(pm_rule, ioc_registry):
    from tiendo.conftest import make_user
    from tiendo.orgunits.models import Membership

    viewer = make_user("vantuong.viewer", "21061", Membership.Role.VIEWER)
    alert, _ = raise_on(pm_rule)

    assert alerts_visible(user=viewer).count() == 1
    with pytest.raises(NotFoundError):
        alert_acknowledge(actor=viewer, alert=alert)


def test_a_cleared_alert_cannot_be_acknowledged_and_a_new_one_may_open(pm_rule, office_admin):
    alert, _ = raise_on(pm_rule)
    alert_clear(actor=None, alert=alert, comment="")

    with pytest.raises(ApplicationError):
        alert_acknowledge(actor=office_admin, alert=alert)
    reopened, created = raise_on(pm_rule)
    assert created and reopened.pk != alert.pk


def test_a_comment_longer_than_500_characters_is_refused_and_changes_nothing(pm_rule, office_admin):
    alert, _ = raise_on(pm_rule)

    with pytest.raises(ApplicationError) as caught:
        alert_acknowledge(actor=office_admin, alert=alert, comment="x" * 501)
    assert caught.value.field == "comment"
    alert.refresh_from_db()
    assert alert.status == Alert.Status.ACTIVE


def test_a_commune_operator_sees_only_devices_of_their_unit(camthanh_operator):
    assert sorted(devices_visible(user=camthanh_operator).values_list("code", flat=True)) == [
        "cam-camthanh-01",
        "wl-trakhuc-01",
    ]


def test_a_last_will_sets_the_device_offline_and_is_audited(ioc_registry):
    device = device_set_offline(device_code="wl-anchi-01", at=AT, source="mqtt last will")

    assert device.state == Device.State.OFFLINE
    assert AuditLog.objects.filter(action="ioc.device_state", actor_label="mqtt last will").exists()
    assert device_set_offline(device_code="ghost", at=AT, source="mqtt") is None
