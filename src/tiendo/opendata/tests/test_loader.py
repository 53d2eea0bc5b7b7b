"""Datasets described in YAML (`tiendo opendata-load`): the shipped Quảng Ngãi datasets, all or
nothing, every error with its line, loading twice changes nothing."""

import csv
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError

from tiendo.core.models import AuditLog
from tiendo.core.yamlfile import FileValidationError
from tiendo.opendata.loader import SHIPPED_DATASETS, datasets_load
from tiendo.opendata.models import Dataset, DatasetVersion
from tiendo.opendata.selectors import RowsQuery, dataset_rows
from tiendo.opendata.tests.conftest import HEALTH_CSV
from tiendo.plans.services import SHIPPED_PLANS_DIR

pytestmark = pytest.mark.django_db

SHIPPED_TABLES = SHIPPED_DATASETS.parent / "datasets-51"
GOOD = """\
datasets:
  - name: tram-y-te-xa
    title: Trạm y tế xã và hồ sơ sức khỏe điện tử
    publisher: SYT
    themes: [HEAL]
    keywords: [y tế]
    frequency: ANNUAL
    temporal_start: 2025-01-01
    temporal_end: 2025-12-31
    spatial: 51
    csv: tram-y-te.csv
    note: bản đầu
    publish: true
  - name: du-lieu-han-che
    title: Dữ liệu chỉ hai xã được đọc
    publisher: SYT
    access: restricted
    allowed_units: [21211, 21172]
"""


def write(folder: Path, text: str, name: str = "datasets.yaml") -> Path:
    (folder / "tram-y-te.csv").write_text(HEALTH_CSV, encoding="utf-8")
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def rows_of(name: str) -> list[dict]:
    dataset = Dataset.objects.get(name=name)
    return dataset_rows(user=AnonymousUser(), dataset=dataset, query=RowsQuery(limit=1000)).records


def test_a_good_file_loads_every_field_its_first_version_and_publishes(tmp_path, shipped_data):
    report = datasets_load(path=write(tmp_path, GOOD))

    assert (report.created, report.published) == (["tram-y-te-xa", "du-lieu-han-che"], ["tram-y-te-xa"])
    health = Dataset.objects.get(name="tram-y-te-xa")
    assert (health.state, health.publisher.code, health.spatial.code, health.frequency) == (
        "published",
        "SYT",
        "51",
        "ANNUAL",
    )
    version = DatasetVersion.objects.get(dataset=health)
    assert (version.number, version.row_count, version.filename, version.note) == (
        1,
        2,
        "tram-y-te.csv",
        "bản đầu",
    )
    assert rows_of("tram-y-te-xa")[1]["ty_le_ho_so_dien_tu"] == 88.25
    restricted = Dataset.objects.get(name="du-lieu-han-che")
    assert restricted.state == "draft" and sorted(u.code for u in restricted.allowed_units.all()) == [
        "21172",
        "21211",
    ]
    assert AuditLog.objects.filter(
        action="opendata.dataset.publish", actor=None, object_id=str(health.pk)
    ).exists()


def test_loading_the_same_file_twice_changes_nothing_and_a_changed_table_is_a_new_version(
    tmp_path, shipped_data
):
    path = write(tmp_path, GOOD)
    datasets_load(path=path)
    audits = AuditLog.objects.count()

    again = datasets_load(path=path)

    assert (again.created, again.versions, again.unchanged) == ([], [], ["tram-y-te-xa", "du-lieu-han-che"])
    assert AuditLog.objects.count() == audits
    (tmp_path / "tram-y-te.csv").write_text(HEALTH_CSV.replace("96.5", "97.1"), encoding="utf-8")
    assert datasets_load(path=path).versions == ["tram-y-te-xa v2"]
    assert rows_of("tram-y-te-xa")[0]["ty_le_ho_so_dien_tu"] == 97.1


def test_a_bad_file_changes_nothing_and_names_the_line_of_each_problem(tmp_path, shipped_data):
    bad = GOOD.replace("publisher: SYT\n    access", "publisher: SYTT\n    access").replace(
        "[21211, 21172]", "[21211, 99999]"
    )
    bad += (
        "  - name: ngoai-thu-muc\n    title: Tệp ngoài thư mục\n    publisher: SYT\n    csv: ../ngoai.csv\n"
    )

    with pytest.raises(FileValidationError) as caught:
        datasets_load(path=write(tmp_path, bad, "bad.yaml"))

    assert caught.value.errors == [
        "bad.yaml:16 datasets[1].publisher: không có đơn vị mã SYTT",
        "bad.yaml:18 datasets[1].allowed_units[1]: không có đơn vị mã 99999",
        "bad.yaml:22 datasets[2].csv: tệp phải nằm trong thư mục của tệp YAML: ../ngoai.csv",
    ]
    assert not Dataset.objects.exists()


def test_a_file_against_the_schema_is_refused_with_the_line(tmp_path, shipped_data):
    bad = GOOD.replace("name: du-lieu-han-che", "name: Du Lieu").replace("keywords: [y tế]", "keywords: y tế")

    with pytest.raises(FileValidationError) as caught:
        datasets_load(path=write(tmp_path, bad))

    assert caught.value.errors[0] == "datasets.yaml:6 datasets[0].keywords: phải là danh sách"
    assert caught.value.errors[1].startswith("datasets.yaml:14 datasets[1].name: sai định dạng")
    assert not Dataset.objects.exists()


def test_problems_only_the_services_find_are_named_by_line_and_roll_back_the_whole_file(
    tmp_path, shipped_data
):
    bad = GOOD.replace("themes: [HEAL]", "themes: [HEAL, KHONGCO]").replace(
        "allowed_units: [21211, 21172]", "allowed_units: []"
    )

    with pytest.raises(FileValidationError) as caught:
        datasets_load(path=write(tmp_path, bad))

    assert caught.value.errors == [
        "datasets.yaml:5 datasets[0].themes: Chủ đề không có trong danh mục: KHONGCO.",
        "datasets.yaml:18 datasets[1].allowed_units: Bộ dữ liệu hạn chế phải nêu ít nhất một đơn vị được đọc.",
    ]
    assert not Dataset.objects.exists() and not DatasetVersion.objects.exists()


def test_a_table_that_cannot_be_read_is_named_with_the_line_of_its_csv_key(tmp_path, shipped_data):
    path = write(tmp_path, GOOD)
    (tmp_path / "tram-y-te.csv").write_text("ma_xa,ma_xa\n1,2\n", encoding="utf-8")

    with pytest.raises(FileValidationError) as caught:
        datasets_load(path=path)

    assert caught.value.errors == [
        "datasets.yaml:11 datasets[0].csv: tram-y-te.csv: Tên cột “ma_xa” lặp lại ở dòng tiêu đề."
    ]
    assert not Dataset.objects.exists()


def test_the_command_loads_the_shipped_datasets_and_reports_a_bad_file_with_its_lines(tmp_path, shipped_data):
    out = StringIO()
    call_command("opendata_load", stdout=out)
    assert "datasets-51.yaml: 4 bộ dữ liệu mới, 0 phiên bản mới, 4 công bố, 0 giữ nguyên" in out.getvalue()

    with pytest.raises(CommandError, match=r"bad.yaml:4 datasets\[0\].publisher: không có đơn vị mã XYZ"):
        call_command("opendata_load", str(write(tmp_path, GOOD.replace("SYT", "XYZ"), "bad.yaml")))
    assert Dataset.objects.count() == 4


def test_the_shipped_datasets_are_published_with_the_seed_documents_figures(shipped_data):
    datasets_load(path=SHIPPED_DATASETS)

    counts = dict(
        Dataset.objects.filter(state="published", access="public").values_list("name", "versions__row_count")
    )
    assert counts == {
        "ket-qua-chuyen-doi-so-quang-ngai-2025": 23,
        "muc-tieu-chuyen-doi-so-quang-ngai-2026": 34,
        "ha-tang-so-quang-ngai-6-2025": 22,
        "he-thong-so-quan-ly-ha-tang-do-thi-quang-ngai": 7,
    }
    results = {r["tt"]: r for r in rows_of("ket-qua-chuyen-doi-so-quang-ngai-2025")}
    assert (results[1]["ket_qua_2025"], results[1]["danh_gia"]) == (
        "44,91% toàn trình; 97,22% TTHC cấp xã có DVCTT",
        "Chưa đạt",
    )
    assert sum(r["danh_gia"] == "Chưa đạt" for r in results.values()) == 4  # 1, 4, 10, 14
    infrastructure = {r["chi_so"]: r for r in rows_of("ha-tang-so-quang-ngai-6-2025")}
    assert infrastructure["Số thuê bao điện thoại"]["gia_tri"] == 1293000
    assert infrastructure["Số thuê bao internet"]["gia_tri"] == 1253560
    assert infrastructure["Khu công nghiệp có sóng 5G"]["tren_tong_so"] == 7


def _csv(name: str) -> list[dict]:
    with (SHIPPED_TABLES / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _plan(name: str) -> dict:
    return yaml.safe_load((SHIPPED_PLANS_DIR / name).read_text(encoding="utf-8"))


def test_the_shipped_tables_say_what_the_shipped_plans_say():
    """The two appendices of the 2026 plan are typed in once (the plans); the open tables must agree."""
    verdicts = {"dat": "Đạt", "chua_dat": "Chưa đạt"}
    plan_2025 = [i for g in _plan("quang-ngai-2025.yaml")["groups"] for i in g["indicators"]]
    assert [
        (r["tt"], r["chi_tieu"], r["co_quan_chu_tri"], r["ket_qua_2025"], r["danh_gia"])
        for r in _csv("ket-qua-2025.csv")
    ] == [
        (i["number"], i["name"], i["lead_text"], i["result"]["text"], verdicts[i["result"]["verdict"]])
        for i in plan_2025
    ]
    plan_2026 = [(g, i) for g in _plan("quang-ngai-2026.yaml")["groups"] for i in g["indicators"]]
    assert [
        (r["nhom"], r["ten_nhom"], r["tt"], r["chi_tieu"], r["muc_tieu_2026"], r["co_quan_chu_tri"])
        for r in _csv("muc-tieu-2026.csv")
    ] == [(g["code"], g["name"], i["number"], i["name"], i["target"], i["lead_text"]) for g, i in plan_2026]
