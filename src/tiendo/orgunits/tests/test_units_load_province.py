from io import StringIO

import pytest
import vietnam_provinces as vp
from django.core.management import CommandError, call_command
from django.utils import translation

from tiendo.core.exceptions import ApplicationError
from tiendo.core.models import AuditLog
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.orgunits.services import units_load_province

pytestmark = pytest.mark.django_db


def package_commune_codes(province: int) -> set[str]:
    return {f"{w.code.value:05d}" for w in vp.Ward.iter_by_province(vp.ProvinceCode(province))}


def test_it_loads_quang_ngai_with_its_96_communes_and_their_official_codes(shipped_data):
    province = OrgUnit.objects.get(code="51")
    communes = OrgUnit.objects.filter(parent=province, kind=OrgUnit.Kind.COMMUNE)
    assert province.name == "Quảng Ngãi"
    assert communes.count() == 96
    assert set(communes.values_list("code", flat=True)) == package_commune_codes(51)
    assert all(len(code) == 5 for code in communes.values_list("code", flat=True))


def test_the_communes_carry_their_division_type_and_the_named_groups(shipped_data):
    by_type = {
        t: OrgUnit.objects.filter(kind="commune", division_type=t).count()
        for t in ("xã", "phường", "đặc khu")
    }
    assert sum(by_type.values()) == 96
    assert by_type["đặc khu"] == 1
    assert OrgUnit.objects.get(kind="commune", division_type="đặc khu").name == "Đặc khu Lý Sơn"
    assert UnitGroup.objects.get(code="communes").members.count() == 96
    assert UnitGroup.objects.get(code="xa").members.count() == by_type["xã"]
    assert UnitGroup.objects.get(code="phuong").members.count() == by_type["phường"]


def test_loading_the_same_province_twice_changes_nothing(shipped_data):
    audit_rows = AuditLog.objects.count()
    report = units_load_province(province_code=51)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 97)
    assert AuditLog.objects.count() == audit_rows


def test_a_renamed_commune_is_updated_in_place_and_audited(shipped_data):
    OrgUnit.objects.filter(code="21211").update(name="Tên cũ")
    report = units_load_province(province_code=51)
    assert report.updated == 1
    assert OrgUnit.objects.get(code="21211").name == "Xã Tịnh Khê"
    row = AuditLog.objects.filter(action="orgunit.update", object_label="Xã Tịnh Khê").get()
    assert row.changes["name"] == ["Tên cũ", "Xã Tịnh Khê"]


def test_it_loads_any_of_the_34_provinces(db):
    hanoi = vp.Province.from_code(vp.ProvinceCode(1))  # Thành phố Hà Nội
    units_load_province(province_code=hanoi.code.value)
    loaded = OrgUnit.objects.filter(parent__code=str(hanoi.code.value))
    assert set(loaded.values_list("code", flat=True)) == package_commune_codes(hanoi.code.value)
    assert len(list(vp.Province.iter_all())) == 34


def test_an_unknown_province_code_is_refused_and_nothing_is_written(db):
    before = OrgUnit.objects.count()
    with pytest.raises(ApplicationError) as error:
        units_load_province(province_code=99)
    assert "99" in str(error.value)
    assert error.value.field == "province"
    assert OrgUnit.objects.count() == before


def test_the_command_reports_what_it_did(shipped_data):
    out = StringIO()
    with translation.override("en"):
        call_command("load_units", province=51, stdout=out)
    assert "province 51: 0 created, 0 updated, 97 unchanged" in out.getvalue()
    assert "agencies (agencies-51.yaml): 0 created, 0 updated, 24 unchanged" in out.getvalue()


def test_the_command_turns_a_bad_province_into_a_clear_error(db):
    with translation.override("en"), pytest.raises(CommandError, match="Unknown province code 7"):
        call_command("load_units", province=7, stdout=StringIO())
