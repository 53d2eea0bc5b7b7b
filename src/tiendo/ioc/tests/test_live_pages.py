"""The live page, its snapshot and the device pages: what each user sees, and only that."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.ioc.models import Alert, AlertRule, Device, DeviceMetric, Rollup, Severity


@pytest.fixture(autouse=True)
def in_process(settings):
    settings.TIENDO_REDIS_URL = ""


def an_alert(device_code: str, *, message: str = "PM2.5 vượt ngưỡng") -> Alert:
    device = Device.objects.select_related("unit").get(code=device_code)
    rule = AlertRule.objects.create(code=f"rule-{device_code}", name="Ngưỡng", severity=Severity.MAJOR)
    now = timezone.now()
    return Alert.objects.create(
        rule=rule,
        device=device,
        unit=device.unit,
        severity=Severity.MAJOR,
        message=message,
        value=180.0,
        started_at=now,
        last_at=now,
    )


def test_the_live_page_asks_an_anonymous_visitor_to_sign_in(client, ioc_registry):
    response = client.get("/ioc/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_live_page_shows_the_plans_indicators_and_loads_its_script(client, office_admin, ioc_registry):
    client.force_login(office_admin)
    response = client.get("/ioc/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="ioc-map"' in html and 'id="ioc-alerts"' in html and 'id="ioc-tiles"' in html
    assert "ioc/ioc-live.js" in html and "vendor/echarts.min.js" in html
    assert html.count("indicator-tile") > 10  # the plan's indicators, each with its verdict
    assert 'class="badge verdict' in html
    assert "/units/51/boundaries.geojson" in html or '"mapUrl": null' in html
    assert 'href="/ioc/"' in html  # the navigation link


def test_the_live_page_offers_the_filters_of_what_the_user_may_see(client, camthanh_operator):
    client.force_login(camthanh_operator)
    html = client.get("/ioc/").content.decode()
    assert 'value="21025"' in html  # Cẩm Thành, where its devices are
    assert 'value="21061"' not in html  # Vạn Tường is another unit's


def test_the_snapshot_holds_the_devices_values_and_open_alerts_of_the_users_scope(client, camthanh_operator):
    now = timezone.now()
    readings_ingest(
        readings=[IncomingReading(device="wl-trakhuc-01", metric="water_level", ts=now, value=3.9)],
        source="test",
    )
    an_alert("wl-trakhuc-01", message="Mực nước trên báo động I")
    an_alert("aq-dungquat-01")
    client.force_login(camthanh_operator)
    state = client.get("/ioc/state.json").json()
    codes = {d["code"] for d in state["devices"]}
    assert "wl-trakhuc-01" in codes and "aq-dungquat-01" not in codes
    station = next(d for d in state["devices"] if d["code"] == "wl-trakhuc-01")
    assert station["state"] == "online" and station["simulated"] is True
    assert station["metrics"][0]["value"] == 3.9
    assert [a["message"] for a in state["alerts"]] == ["Mực nước trên báo động I"]
    assert state["alerts"][0]["may_act"] is True
    assert any(t["device"] == "wl-trakhuc-01" and t["value"] == 3.9 for t in state["tiles"])
    assert state["last_event_id"]


def test_the_snapshot_filters_by_subsystem_and_unit(client, office_admin, ioc_registry):
    client.force_login(office_admin)
    vessels = client.get("/ioc/state.json?subsystem=tau-ca").json()["devices"]
    assert vessels and {d["subsystem"] for d in vessels} == {"tau-ca"}
    dung_quat = client.get("/ioc/state.json?unit=21061").json()["devices"]
    assert dung_quat and {d["unit"] for d in dung_quat} == {"21061"}
    assert client.get("/ioc/state.json?unit=nowhere").json()["devices"] == []


def test_a_vessel_is_placed_where_it_last_reported(client, office_admin, ioc_registry):
    now = timezone.now()
    readings_ingest(
        readings=[
            IncomingReading(device="vms-qng-9001-ts", metric="lat", ts=now, value=15.5),
            IncomingReading(device="vms-qng-9001-ts", metric="lon", ts=now, value=109.2),
        ],
        source="test",
    )
    client.force_login(office_admin)
    devices = client.get("/ioc/state.json?subsystem=tau-ca").json()["devices"]
    vessel = next(d for d in devices if d["code"] == "vms-qng-9001-ts")
    assert (vessel["lat"], vessel["lon"]) == (15.5, 109.2)


def test_sparklines_are_the_hourly_means_of_the_last_day_from_the_rollups(client, office_admin, ioc_registry):
    series = DeviceMetric.objects.get(device__code="aq-dungquat-01", code="pm25")
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    for back, (total, count) in enumerate([(30.0, 2), (90.0, 3)]):
        Rollup.objects.create(
            series=series,
            grain="1h",
            bucket=hour - timedelta(hours=back),
            count=count,
            total=total,
            minimum=0,
            maximum=50,
        )
    Rollup.objects.create(
        series=series,
        grain="1h",
        bucket=hour - timedelta(hours=30),
        count=1,
        total=999,
        minimum=0,
        maximum=999,
    )
    client.force_login(office_admin)
    tiles = client.get("/ioc/state.json?unit=21061").json()["tiles"]
    tile = next(t for t in tiles if t["device"] == "aq-dungquat-01" and t["metric"] == "pm25")
    assert [value for _bucket, value in tile["spark"]] == [30.0, 15.0]


def test_the_device_list_searches_filters_sorts_and_pages(client, office_admin, ioc_registry):
    client.force_login(office_admin)
    html = client.get("/ioc/devices/?q=thủy văn").content.decode()
    assert "wl-trakhuc-01" in html and "aq-dungquat-01" not in html
    html = client.get("/ioc/devices/?subsystem=quan-trac-moi-truong").content.decode()
    assert "aq-vsip-01" in html and "wl-anchi-01" not in html
    html = client.get("/ioc/devices/?state=online").content.decode()
    assert "Không có thiết bị nào." in html
    html = client.get("/ioc/devices/?sort=name").content.decode()
    assert html.index("Trạm quan trắc không khí KCN VSIP") < html.index("Trạm thủy văn An Chỉ")
    assert "mô phỏng" in html
    response = client.get("/ioc/devices/?page=99")
    assert response.status_code == 200  # the last page, not an error


def test_a_commune_operator_lists_only_its_own_devices(client, camthanh_operator):
    client.force_login(camthanh_operator)
    html = client.get("/ioc/devices/").content.decode()
    assert "wl-trakhuc-01" in html and "aq-dungquat-01" not in html


def test_a_device_page_shows_its_metrics_and_the_last_day(client, vantuong_operator):
    now = timezone.now()
    readings_ingest(
        readings=[
            IncomingReading(
                device="aq-dungquat-01", metric="pm25", ts=now - timedelta(minutes=10 * m), value=20.0 + m
            )
            for m in range(3)  # each in a 5-minute bucket of its own: the chart draws the buckets' means
        ],
        source="test",
    )
    client.force_login(vantuong_operator)
    response = client.get("/ioc/devices/aq-dungquat-01/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "urn:ngsi-ld:Device:aq-dungquat-01" in html
    assert "ioc/ioc-device.js" in html and "device-chart-data" in html
    chart = response.context["chart"]["series"]
    pm25 = next(s for s in chart if s["metric"] == "pm25")
    assert [value for _ts, value in pm25["points"]] == [22.0, 21.0, 20.0]
    assert "mô phỏng" in html


def test_another_units_device_page_is_not_found_for_a_commune_operator(client, camthanh_operator):
    client.force_login(camthanh_operator)
    assert client.get("/ioc/devices/aq-dungquat-01/").status_code == 404
    assert client.get("/ioc/devices/wl-trakhuc-01/").status_code == 200
    assert client.get("/ioc/devices/urn:ngsi-ld:Device:wl-trakhuc-01/").status_code == 200


def test_a_viewer_sees_the_units_alerts_without_the_right_to_act_on_them(client, ioc_registry):
    from tiendo.conftest import make_user
    from tiendo.orgunits.models import Membership

    an_alert("wl-trakhuc-01", message="Mực nước trên báo động I")
    client.force_login(make_user("camthanh.viewer", "21025", Membership.Role.VIEWER))
    [alert] = client.get("/ioc/state.json").json()["alerts"]
    assert alert["message"] == "Mực nước trên báo động I"
    assert alert["may_act"] is False
