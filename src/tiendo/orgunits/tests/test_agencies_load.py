from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tiendo.core.yamlfile import FileValidationError
from tiendo.orgunits.models import OrgUnit, UnitGroup
from tiendo.orgunits.services import agencies_load, units_load_province

pytestmark = pytest.mark.django_db

PLAN_AGENCIES = [
    "Sở Khoa học và Công nghệ",
    "Văn phòng UBND tỉnh",
    "Trung tâm Phục vụ hành chính công tỉnh",
    "Công an tỉnh",
    "Sở Công Thương",
    "Sở Tài chính",
    "Sở Y tế",
    "Sở Giáo dục và Đào tạo",
    "Sở Văn hóa, Thể thao và Du lịch",
    "Sở Nội vụ",
    "Văn phòng Tỉnh ủy",
    "Thuế tỉnh Quảng Ngãi",
    "Ngân hàng Nhà nước Khu vực 9",
    "Ban Quản lý KKT Dung Quất và các KCN tỉnh",
    "Thống kê Quảng Ngãi",
    # named in section V "Tổ chức thực hiện"
    "Sở Tư pháp",
    "Sở Nông nghiệp và Môi trường",
    "Sở Ngoại vụ",
    "Báo và Phát thanh, Truyền hình Quảng Ngãi",
    "Cổng thông tin điện tử tỉnh Quảng Ngãi",
]


def test_every_agency_the_plan_names_is_a_unit_under_the_province(shipped_data):
    agencies = OrgUnit.objects.filter(kind=OrgUnit.Kind.AGENCY, parent__code="51")
    names = set(agencies.values_list("name", flat=True))
    assert set(PLAN_AGENCIES) <= names


def test_agencies_belong_to_the_groups_their_file_names(shipped_data):
    departments = UnitGroup.objects.get(code="so-ban-nganh").members.values_list("code", flat=True)
    assert {"SKHCN", "STC", "SYT", "SNV"} <= set(departments)
    assert "CAT" not in departments


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "agencies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_with_an_unknown_group_and_a_missing_name_is_refused_with_lines(tmp_path, db):
    units_load_province(province_code=51)
    path = write(
        tmp_path,
        "province: 51\ngroups: []\nagencies:\n  - code: A1\n    name: Sở A\n    groups: [khong-co]\n  - code: A2\n",
    )
    with pytest.raises(FileValidationError) as error:
        agencies_load(path=path)
    assert error.value.errors == [
        "agencies.yaml:7 agencies[1].name: bắt buộc",
        "agencies.yaml:6 agencies[0].groups[0]: nhóm không xác định: khong-co",
    ]
    with translation.override("en"), pytest.raises(FileValidationError) as error:
        agencies_load(path=path)
    assert error.value.errors == [
        "agencies.yaml:7 agencies[1].name: required",
        "agencies.yaml:6 agencies[0].groups[0]: unknown group: khong-co",
    ]
    assert not OrgUnit.objects.filter(code__in=["A1", "A2"]).exists()


def test_a_file_for_a_province_not_loaded_is_refused(tmp_path, db):
    path = write(
        tmp_path,
        "province: 1\ngroups:\n  - code: moi\n    name: Mới\nagencies:\n  - code: A1\n    name: Sở A\n",
    )
    with translation.override("en"), pytest.raises(FileValidationError, match="province 1 is not loaded"):
        agencies_load(path=path)
    assert not UnitGroup.objects.filter(code="moi").exists()
    assert not OrgUnit.objects.filter(code="A1").exists()


def test_an_agency_dropped_from_a_group_in_the_file_leaves_the_group_with_an_audit_row(
    tmp_path, shipped_data
):
    from tiendo.core.models import AuditLog
    from tiendo.orgunits.services import shipped_agencies_file

    text = shipped_agencies_file(51).read_text(encoding="utf-8")
    edited = text.replace(
        "    aliases: [Sở tài chính]\n    groups: [so-ban-nganh, co-quan-cap-tinh]",
        "    aliases: [Sở tài chính]\n    groups: [co-quan-cap-tinh]",
    )
    assert edited != text
    agencies_load(path=write(tmp_path, edited))
    assert not UnitGroup.objects.get(code="so-ban-nganh").members.filter(code="STC").exists()
    row = (
        AuditLog.objects.filter(action="unitgroup.members", object_label="Các sở, ban, ngành")
        .order_by("-id")
        .first()
    )
    assert row.changes == {"added": [], "removed": ["STC"]}


def test_a_commune_of_another_province_does_not_inherit_quang_ngais_plan(client, shipped_data):
    units_load_province(province_code=1)
    hanoi_commune = OrgUnit.objects.filter(parent__code="1", kind="commune").first()
    assert UnitGroup.objects.get(code="communes").members.filter(pk=hanoi_commune.pk).exists()
    from tiendo.plans.selectors import indicators_for_unit

    assert not indicators_for_unit(user=AnonymousUser(), unit=hanoi_commune).exists()
    assert indicators_for_unit(user=AnonymousUser(), unit=OrgUnit.objects.get(code="21211")).exists()
