import pytest

from tiendo.core.yamlfile import FileValidationError
from tiendo.ioc.models import Device, DeviceMetric, Subsystem
from tiendo.ioc.registry import SHIPPED_REGISTRY, registry_load

pytestmark = pytest.mark.django_db


def test_the_shipped_registry_names_the_seeds_subsystems_and_marks_every_device_simulated(ioc_registry):
    camera = Subsystem.objects.get(code="camera-an-ninh")
    assert camera.name == "Hệ thống Camera giám sát an ninh trên địa bàn tỉnh Quảng Ngãi"
    assert camera.owner.code == "CAT" and camera.year == 2022
    assert Subsystem.objects.count() == 10
    assert Device.objects.count() == 12
    assert not Device.objects.filter(simulated=False).exists()
    station = Device.objects.get(code="aq-dungquat-01")
    assert station.ngsi_id == "urn:ngsi-ld:Device:aq-dungquat-01"
    assert DeviceMetric.objects.get(device=station, code="pm25").unit_code == "GQ"


def test_loading_the_same_registry_twice_changes_nothing(ioc_registry):
    again = registry_load(path=SHIPPED_REGISTRY)

    assert not again.changed


def test_a_registry_with_errors_names_each_with_its_line_and_writes_nothing(shipped_data, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "subsystems:\n"
        "  - code: env\n"
        "    name: Môi trường\n"
        "devices:\n"
        "  - code: st-1\n"
        "    name: Trạm 1\n"
        "    subsystem: env\n"
        "    unit: '99999'\n"
        "    metrics: [{code: pm25, name: PM2.5, unit_code: GQ}]\n"
        "  - code: st-1\n"
        "    name: Trạm 1 lần nữa\n"
        "    subsystem: nowhere\n"
        "    unit: '21061'\n"
        "    metrics: [{code: pm25, name: PM2.5, unit_code: microgram}]\n",
        encoding="utf-8",
    )
    with pytest.raises(FileValidationError) as caught:
        registry_load(path=bad)

    errors = caught.value.errors
    assert any("bad.yaml:14" in e and "unit_code" in e for e in errors), errors
    assert not Subsystem.objects.filter(code="env").exists()


def test_semantic_errors_are_all_reported_before_anything_is_written(shipped_data, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "subsystems:\n"
        "  - code: env\n"
        "    name: Môi trường\n"
        "devices:\n"
        "  - code: st-1\n"
        "    name: Trạm 1\n"
        "    subsystem: env\n"
        "    unit: '99999'\n"
        "    metrics: [{code: pm25, name: PM2.5, unit_code: GQ}]\n"
        "  - code: st-1\n"
        "    name: Trạm 1 lần nữa\n"
        "    subsystem: nowhere\n"
        "    unit: '21061'\n"
        "    metrics: [{code: pm25, name: PM2.5, unit_code: GQ}]\n",
        encoding="utf-8",
    )
    with pytest.raises(FileValidationError) as caught:
        registry_load(path=bad)

    text = "\n".join(caught.value.errors)
    assert "bad.yaml:8 devices[0].unit: không có đơn vị mã 99999" in text
    assert "bad.yaml:10 devices[1].code: mã thiết bị trùng: st-1" in text
    assert "bad.yaml:12 devices[1].subsystem: không có hệ thống mã nowhere" in text
    assert not Subsystem.objects.filter(code="env").exists()


def test_the_shipped_alert_rules_load_and_a_rule_with_a_bad_field_is_named_with_its_line(
    ioc_registry, tmp_path
):
    from tiendo.core.yamlfile import FileValidationError
    from tiendo.ioc.models import AlertRule
    from tiendo.ioc.registry import SHIPPED_RULES

    registry_load(path=SHIPPED_RULES)
    assert AlertRule.objects.filter(device_kind="water_level", metric="alarm_level").count() == 3
    assert AlertRule.objects.get(code="tau-mat-tin-hieu").params == {"minutes": 360}

    bad = tmp_path / "rules.yaml"
    bad.write_text(
        "rules:\n  - code: khong-co-thiet-bi\n    name: X\n    device: khong-co\n    metric: v\n"
        "    operator: '>'\n    threshold: 1\n  - code: chi-tieu\n    name: Y\n    condition: indicator\n"
        "    indicator: 'khong-co:I.1'\n",
        encoding="utf-8",
    )
    with pytest.raises(FileValidationError) as refused:
        registry_load(path=bad)
    assert len(refused.value.errors) == 2
    assert "rules.yaml:4" in refused.value.errors[0]
    assert not AlertRule.objects.filter(code__in=["khong-co-thiet-bi", "chi-tieu"]).exists()
