"""Personas and datasets of the open-data tests."""

import pytest

from tiendo.conftest import make_user
from tiendo.opendata.models import Dataset
from tiendo.opendata.services import DatasetFields, dataset_create, dataset_publish, dataset_upload
from tiendo.orgunits.models import Membership, OrgUnit

HEALTH_CSV = (
    "ma_xa,ten_xa,nam,so_tram_y_te,ty_le_ho_so_dien_tu\n"
    "21211,Xã Tịnh Khê,2025,1,96.5\n"
    "21172,Phường Cẩm Thành,2025,2,88,25\n"
).replace("88,25", '"88,25"')


@pytest.fixture
def syt_admin(shipped_data):
    """The health department's data steward: publishes the department's datasets."""
    return make_user("syt.admin", "SYT", Membership.Role.ADMIN)


@pytest.fixture
def syt_viewer(shipped_data):
    return make_user("syt.viewer", "SYT", Membership.Role.VIEWER)


@pytest.fixture
def skhcn_admin(shipped_data):
    """The science department's admin: owns the province's systems that read others' data."""
    return make_user("skhcn.admin", "SKHCN", Membership.Role.ADMIN)


@pytest.fixture
def system(skhcn_admin):
    """A system of the science department, registered to read shared data."""
    from tiendo.opendata.sharing import system_register

    return system_register(
        actor=skhcn_admin,
        name="Kho dữ liệu dùng chung của tỉnh",
        owner=OrgUnit.objects.get(code="SKHCN"),
        purpose="Tổng hợp số liệu y tế cho trung tâm điều hành",
        legal_basis="Nghị định 47/2020/NĐ-CP",
    )


@pytest.fixture
def skhcn_reporter(shipped_data):
    return make_user("skhcn.reporter", "SKHCN", Membership.Role.REPORTER)


def health_fields(**changes):
    values = {
        "title": "Trạm y tế xã và hồ sơ sức khỏe điện tử",
        "publisher": OrgUnit.objects.get(code="SYT"),
        "themes": ("HEAL",),
        "keywords": ("y tế", "hồ sơ sức khỏe"),
        "frequency": Dataset.Frequency.ANNUAL,
        "contact_name": "Phòng Nghiệp vụ Y",
        "contact_email": "nghiepvu.syt@example.gov.vn",
    }
    values.update(changes)
    return DatasetFields(**values)


def published_health_dataset(actor, **changes) -> Dataset:
    dataset = dataset_create(actor=actor, fields=health_fields(**changes))
    dataset_upload(actor=actor, dataset=dataset, filename="tram-y-te.csv", content=HEALTH_CSV.encode())
    return dataset_publish(actor=actor, dataset=dataset)
