import pytest

from tiendo.core.models import AuditLog
from tiendo.ioc.models import Device, DeviceMetric

pytestmark = pytest.mark.django_db

FORM = {
    "code": "aq-lyson-01",
    "name": "Trạm quan trắc không khí Lý Sơn",
    "subsystem": "quan-trac-moi-truong",
    "unit": "21025",
    "owner": "SNNMT",
    "kind": "air_quality",
    "latitude": "15,38",
    "longitude": "109.12",
    "simulated": "on",
    "active": "on",
    "metrics": "pm25; PM2.5; GQ\npm10; PM10; GQ",
    "properties": "",
}


def test_the_office_adds_a_device_with_its_metrics_and_the_change_is_audited(
    client, office_admin, ioc_registry
):
    client.force_login(office_admin)

    response = client.post("/ioc/registry/devices/new", FORM)

    assert response.status_code == 302
    device = Device.objects.get(code="aq-lyson-01")
    assert (device.latitude, device.longitude, device.unit.code) == (15.38, 109.12, "21025")
    assert sorted(DeviceMetric.objects.filter(device=device).values_list("code", "unit_code")) == [
        ("pm10", "GQ"),
        ("pm25", "GQ"),
    ]
    assert AuditLog.objects.filter(
        actor=office_admin, object_type="ioc.device", object_id=str(device.pk)
    ).exists()


def test_a_bad_form_names_every_field_keeps_what_was_typed_and_writes_nothing(
    client, office_admin, ioc_registry
):
    client.force_login(office_admin)
    bad = FORM | {"unit": "99999", "latitude": "mười lăm", "metrics": "pm25 PM2.5", "properties": "[1"}

    response = client.post("/ioc/registry/devices/new", bad)

    assert response.status_code == 422
    errors = response.context["errors"]
    assert {"latitude", "metrics", "properties"} <= set(errors)
    assert "mười lăm" in response.content.decode()
    assert not Device.objects.filter(code="aq-lyson-01").exists()


def test_setting_a_device_inactive_keeps_it_and_its_history(client, office_admin, ioc_registry):
    client.force_login(office_admin)
    page = client.get("/ioc/registry/devices/wl-trakhuc-01/")
    form = page.context["form"] | {"active": ""}

    response = client.post("/ioc/registry/devices/wl-trakhuc-01/", form)

    assert response.status_code == 302
    device = Device.objects.get(code="wl-trakhuc-01")
    assert device.active is False
    assert device.properties["alarm_levels"] == [3.5, 5.0, 6.5]


def test_an_uploaded_registry_with_an_error_is_refused_with_its_line(client, office_admin, ioc_registry):
    client.force_login(office_admin)
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = b"devices:\n  - code: x-1\n    name: X\n    subsystem: khong-co\n    unit: '21025'\n    metrics: [{code: v, name: V}]\n"
    response = client.post("/ioc/registry/", {"file": SimpleUploadedFile("r.yaml", bad)})

    assert response.status_code == 422
    assert "khong-co" in response.content.decode()
    assert not Device.objects.filter(code="x-1").exists()


def test_only_the_office_sees_the_registry_pages(client, vantuong_operator):
    client.force_login(vantuong_operator)

    assert client.get("/ioc/registry/").status_code == 404
    assert client.get("/ioc/registry/devices/aq-dungquat-01/").status_code == 404
    assert client.post("/ioc/registry/devices/new", FORM).status_code == 404


def test_the_office_sees_what_ingest_refused_with_the_reason_and_the_count(
    client, office_admin, ioc_registry
):
    from datetime import timedelta

    from django.utils import timezone

    from tiendo.ioc.ingest import IncomingReading, readings_ingest

    now = timezone.now()
    readings_ingest(
        readings=[
            IncomingReading(device="no-such-station", metric="pm25", ts=now, value=1.0),
            IncomingReading(
                device="no-such-station", metric="pm25", ts=now - timedelta(minutes=1), value=2.0
            ),
            IncomingReading(device="aq-dungquat-01", metric="pm25", ts=now + timedelta(hours=1), value=3.0),
        ],
        source="test",
    )
    client.force_login(office_admin)

    html = client.get("/ioc/registry/").content.decode()

    table = html[html.index('id="refusals"') :]
    assert "no-such-station" in table and "thiết bị không có trong danh mục" in table
    assert "thời điểm ở tương lai" in table
    assert '<small class="text-muted fs-6">3</small>' in html[html.index('id="refusals-title"') :]
