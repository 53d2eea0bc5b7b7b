"""Each dataset as a Frictionless Data Package v2: the descriptor served at datapackage.json, checked
by the real `frictionless` library and its command line on the package as a reader downloads it
(the descriptor beside the CSV)."""

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import frictionless
import pytest

from tiendo.opendata.datapackage import PROFILE
from tiendo.opendata.models import Dataset
from tiendo.opendata.services import dataset_create, dataset_publish, dataset_upload
from tiendo.opendata.tests.conftest import health_fields, published_health_dataset

pytestmark = pytest.mark.django_db

WITH_DATES = (
    "ma_xa,ngay_bao_cao,so_ho_so,ty_le,ghi_chu\n"
    "21211,31/03/2026,1293000,44.91,\n"
    '21172,2026-06-30,,"88,25",Đã rà soát\n'
    "21175,30/09/2026,12,,\n"
)


def descriptor_of(client, dataset: Dataset, **params) -> dict:
    response = client.get(f"/opendata/dataset/{dataset.name}/datapackage.json", params)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    return json.loads(response.content)


def downloaded_package(client, dataset: Dataset, folder: Path) -> Path:
    """The descriptor and the CSV it names, written side by side with a relative path, as a reader
    keeps a package they downloaded."""
    package = descriptor_of(client, dataset)
    resource = package["resources"][0]
    csv_url = resource["path"].removeprefix("http://testserver")
    content = b"".join(client.get(csv_url).streaming_content)
    (folder / "data.csv").write_bytes(content)
    resource["path"] = "data.csv"
    path = folder / "datapackage.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_descriptor_names_the_dataset_its_version_licence_publisher_and_columns(client, syt_admin):
    dataset = published_health_dataset(syt_admin, description="Số trạm y tế từng xã.")
    version = dataset.versions.get()

    package = descriptor_of(client, dataset)

    assert package["$schema"] == PROFILE == "https://datapackage.org/profiles/2.0/datapackage.json"
    assert package["name"] == dataset.name
    assert package["id"] == str(dataset.uid)
    assert package["title"] == "Trạm y tế xã và hồ sơ sức khỏe điện tử"
    assert package["description"] == "Số trạm y tế từng xã."
    assert package["version"] == "1"
    assert package["created"].endswith("Z") and package["created"].startswith(str(version.created_at.year))
    assert package["keywords"] == ["hồ sơ sức khỏe", "y tế"]
    assert package["licenses"] == [
        {
            "name": "CC-BY-4.0",
            "title": "Creative Commons Attribution 4.0 International",
            "path": "https://creativecommons.org/licenses/by/4.0/",
        }
    ]
    assert package["contributors"][0]["title"] == "Sở Y tế"
    assert package["contributors"][0]["roles"] == ["publisher"]
    assert package["homepage"] == f"http://testserver/opendata/dataset/{dataset.name}/"
    assert package["sources"] == [{"title": "tệp tram-y-te.csv", "path": package["homepage"]}]
    [resource] = package["resources"]
    assert resource["name"] == "data"
    assert resource["path"] == f"http://testserver/opendata/dataset/{dataset.name}/data.csv?version=1"
    assert (resource["format"], resource["mediatype"], resource["encoding"]) == ("csv", "text/csv", "utf-8")
    assert resource["hash"] == f"sha256:{version.sha256}"  # what rows_hash digested at upload
    assert resource["bytes"] == len(b"".join(client.get(resource["path"]).streaming_content))
    assert [(f["name"], f["type"]) for f in resource["schema"]["fields"]] == [
        ("ma_xa", "integer"),
        ("ten_xa", "string"),
        ("nam", "integer"),
        ("so_tram_y_te", "integer"),
        ("ty_le_ho_so_dien_tu", "number"),
    ]


def dated_dataset(actor) -> Dataset:
    dataset = dataset_create(actor=actor, fields=health_fields(title="Hồ sơ theo ngày"))
    dataset_upload(actor=actor, dataset=dataset, filename="ngay.csv", content=WITH_DATES.encode())
    return dataset_publish(actor=actor, dataset=dataset)


def test_the_hash_in_the_descriptor_is_that_of_the_csv_a_reader_downloads(client, syt_admin):
    dataset = dated_dataset(syt_admin)
    dataset_upload(
        actor=syt_admin, dataset=dataset, filename="b.csv", content=WITH_DATES.rsplit("21175", 1)[0].encode()
    )
    for number in ("1", "2"):
        resource = descriptor_of(client, dataset, version=number)["resources"][0]
        content = b"".join(client.get(resource["path"].removeprefix("http://testserver")).streaming_content)
        assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
        assert content.count(b"\n") == (4 if number == "1" else 3)


def test_the_hash_holds_for_numbers_the_database_writes_back_differently(client, syt_admin, tmp_path):
    # PostgreSQL's jsonb gives 1e20 back as 100000000000000000000: the file differs from what was
    # hashed at upload, and the descriptor must describe the file
    dataset = dataset_create(actor=syt_admin, fields=health_fields(title="Số rất lớn và rất nhỏ"))
    content = b"ma,gia_tri\nA,1e20\nB,1.5e-7\nC,0.1\n"
    dataset_upload(actor=syt_admin, dataset=dataset, filename="so.csv", content=content)
    dataset = dataset_publish(actor=syt_admin, dataset=dataset)

    path = downloaded_package(client, dataset, tmp_path)
    resource = json.loads(path.read_text())["resources"][0]
    downloaded = (tmp_path / "data.csv").read_bytes()

    assert resource["hash"] == "sha256:" + hashlib.sha256(downloaded).hexdigest()
    assert resource["bytes"] == len(downloaded)
    report = frictionless.validate(str(path))
    assert report.valid, report.flatten(["type", "note"])


def test_frictionless_finds_the_downloaded_package_valid(client, syt_admin, tmp_path):
    dataset = published_health_dataset(syt_admin)

    report = frictionless.validate(str(downloaded_package(client, dataset, tmp_path)))

    assert report.valid, report.flatten(["type", "note"])
    assert report.stats["tasks"] == 1


def test_frictionless_checks_the_dates_missing_values_and_large_numbers_of_an_uploaded_file(
    client, syt_admin, tmp_path
):
    path = downloaded_package(client, dated_dataset(syt_admin), tmp_path)
    fields = {f["name"]: f["type"] for f in json.loads(path.read_text())["resources"][0]["schema"]["fields"]}
    assert fields == {
        "ma_xa": "integer",
        "ngay_bao_cao": "date",
        "so_ho_so": "integer",
        "ty_le": "number",
        "ghi_chu": "string",
    }

    report = frictionless.validate(str(path))

    assert report.valid, report.flatten(["type", "note"])
    assert b"2026-03-31,1293000,44.91" in (tmp_path / "data.csv").read_bytes()


def test_frictionless_notices_a_csv_that_is_not_the_one_described(client, syt_admin, tmp_path):
    dataset = published_health_dataset(syt_admin)
    path = downloaded_package(client, dataset, tmp_path)
    csv_path = tmp_path / "data.csv"
    csv_path.write_bytes(csv_path.read_bytes().replace(b"96.5", b"96.6"))

    report = frictionless.validate(str(path))

    assert not report.valid
    assert "hash-count" in [error[0] for error in report.flatten(["type"])]


def test_the_frictionless_command_line_validates_the_downloaded_folder(client, syt_admin, tmp_path):
    dataset = published_health_dataset(syt_admin)
    downloaded_package(client, dataset, tmp_path)
    command = shutil.which("frictionless", path=str(Path(sys.executable).parent)) or shutil.which(
        "frictionless"
    )
    assert command, "the frictionless command comes with the frictionless package"

    result = subprocess.run(
        [command, "validate", "datapackage.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "VALID" in result.stdout and "INVALID" not in result.stdout


def test_the_package_of_a_shared_dataset_is_not_found_for_the_public(client, syt_admin, syt_viewer):
    dataset = published_health_dataset(syt_admin, access=Dataset.Access.SHARED)
    path = f"/opendata/dataset/{dataset.name}/datapackage.json"

    assert client.get(path).status_code == 404
    client.force_login(syt_viewer)
    response = client.get(path)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"
