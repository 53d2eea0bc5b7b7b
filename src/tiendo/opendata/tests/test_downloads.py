"""Downloads of a dataset's rows (CSV streamed, XLSX, JSON): exactly the rows of the version asked
for, named after the dataset and the version, revalidated with the version's hash as ETag, and
"not found" for whoever may not read the rows — a draft or a withdrawn dataset for everyone outside
its publisher and the office."""

import csv
import hashlib
import io
import json
import re

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils.http import http_date
from openpyxl import load_workbook

from tiendo.opendata.models import Dataset
from tiendo.opendata.selectors import RowsQuery, dataset_rows
from tiendo.opendata.services import dataset_create, dataset_publish, dataset_upload, dataset_withdraw
from tiendo.opendata.tests.conftest import health_fields, published_health_dataset
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db

SECOND_VERSION = (
    "ma_xa,ten_xa,nam,so_tram_y_te,ty_le_ho_so_dien_tu\n"
    "21211,Xã Tịnh Khê,2026,1,98.25\n"
    "21172,Phường Cẩm Thành,2026,3,90\n"
    "21175,Phường Nghĩa Lộ,2026,,\n"
)


def url(dataset: Dataset, fmt: str) -> str:
    return f"/opendata/dataset/{dataset.name}/data.{fmt}"


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8"))))


def stored_rows(dataset: Dataset, version=None) -> list[dict]:
    page = dataset_rows(user=AnonymousUser(), dataset=dataset, query=RowsQuery(limit=1000), version=version)
    return [{k: v for k, v in record.items() if k != "_id"} for record in page.records]


def as_text(value) -> str:
    return "" if value is None else str(value)


def test_the_csv_is_streamed_in_utf8_without_a_bom_and_named_after_the_dataset_and_version(client, syt_admin):
    dataset = published_health_dataset(syt_admin)

    response = client.get(url(dataset, "csv"))

    assert response.status_code == 200
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{dataset.name}-v1.csv"'
    content = body(response)
    assert not content.startswith(b"\xef\xbb\xbf")
    assert csv_rows(content) == [
        ["ma_xa", "ten_xa", "nam", "so_tram_y_te", "ty_le_ho_so_dien_tu"],
        ["21211", "Xã Tịnh Khê", "2025", "1", "96.5"],
        ["21172", "Phường Cẩm Thành", "2025", "2", "88.25"],
    ]
    assert hashlib.sha256(content).hexdigest() == dataset.versions.get().sha256


def test_each_format_holds_exactly_the_rows_the_catalogue_stores(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    dataset_upload(actor=syt_admin, dataset=dataset, filename="2026.csv", content=SECOND_VERSION.encode())
    expected = stored_rows(dataset)
    names = list(expected[0])

    from_csv = csv_rows(body(client.get(url(dataset, "csv"))))
    assert from_csv == [names] + [[as_text(row[n]) for n in names] for row in expected]

    xlsx = client.get(url(dataset, "xlsx"))
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert xlsx["Content-Disposition"] == f'attachment; filename="{dataset.name}-v2.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.content), read_only=True).worksheets[0]
    padded = [list(r) + [None] * (len(names) - len(r)) for r in sheet.iter_rows(values_only=True)]
    assert padded == [names] + [[row[n] for n in names] for row in expected]

    from_json = client.get(url(dataset, "json"))
    assert from_json["Content-Type"] == "application/json; charset=utf-8"
    assert json.loads(from_json.content) == expected
    assert expected[2] == {
        "ma_xa": 21175,
        "ten_xa": "Phường Nghĩa Lộ",
        "nam": 2026,
        "so_tram_y_te": None,
        "ty_le_ho_so_dien_tu": None,
    }


def test_an_older_version_is_downloaded_by_its_number(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    dataset_upload(actor=syt_admin, dataset=dataset, filename="2026.csv", content=SECOND_VERSION.encode())

    current = csv_rows(body(client.get(url(dataset, "csv"))))
    first = client.get(url(dataset, "csv"), {"version": "1"})

    assert len(current) == 4 and current[1][2] == "2026"
    assert first["Content-Disposition"] == f'attachment; filename="{dataset.name}-v1.csv"'
    assert [row[2] for row in csv_rows(body(first))[1:]] == ["2025", "2025"]
    assert client.get(url(dataset, "json"), {"version": "3"}).status_code == 404
    bad = client.get(url(dataset, "csv"), {"version": "mới nhất"})
    assert bad.status_code == 400
    assert "version" in bad.content.decode() and "1, 2, 3" in bad.content.decode()


def test_the_version_hash_is_the_etag_and_an_unchanged_copy_is_answered_304(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    version = dataset.versions.get()

    for fmt in ("csv", "xlsx", "json"):
        response = client.get(url(dataset, fmt))
        assert response["ETag"] == f'"{version.sha256}"'
        assert response["Last-Modified"] == http_date(version.created_at.timestamp())
        assert response["Cache-Control"] == "public, no-cache"

        again = client.get(url(dataset, fmt), HTTP_IF_NONE_MATCH=response["ETag"])
        assert again.status_code == 304
        assert again["ETag"] == response["ETag"] and not again.content
        by_date = client.get(url(dataset, fmt), HTTP_IF_MODIFIED_SINCE=response["Last-Modified"])
        assert by_date.status_code == 304
    stale = client.get(url(dataset, "csv"), HTTP_IF_NONE_MATCH='"' + "0" * 64 + '"')
    assert stale.status_code == 200

    dataset_upload(actor=syt_admin, dataset=dataset, filename="2026.csv", content=SECOND_VERSION.encode())
    changed = client.get(url(dataset, "csv"), HTTP_IF_NONE_MATCH=f'"{version.sha256}"')
    assert changed.status_code == 200 and changed["ETag"] != f'"{version.sha256}"'


def test_the_downloads_give_the_numbers_the_page_previews(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    dataset_upload(actor=syt_admin, dataset=dataset, filename="2026.csv", content=SECOND_VERSION.encode())

    html = client.get(f"/opendata/dataset/{dataset.name}/").content.decode()
    preview = re.search(r'<table[^>]*id="preview">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    shown = [
        re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", preview, re.S)
    ]
    downloaded = csv_rows(body(client.get(url(dataset, "csv"))))[1:]

    def number(text: str) -> str:  # the page writes 98,25 and 1.293; the file 98.25 and 1293
        return text.replace(".", "").replace(",", ".")

    assert len(shown) == len(downloaded) == 3
    for page_row, file_row in zip(shown, downloaded, strict=True):
        assert [page_row[0], page_row[2], number(page_row[3]), number(page_row[4])] == [
            file_row[0],
            file_row[2],
            file_row[3],
            file_row[4],
        ]
        assert page_row[1] == file_row[1]


def test_the_rows_of_a_shared_or_restricted_dataset_are_not_found_for_those_who_may_not_read_them(
    client, syt_admin, syt_viewer, tinhkhe_viewer, other_viewer
):
    shared = published_health_dataset(syt_admin, title="Dùng chung", access=Dataset.Access.SHARED)
    restricted = published_health_dataset(
        syt_admin,
        title="Hạn chế",
        access=Dataset.Access.RESTRICTED,
        allowed_units=(OrgUnit.objects.get(code="21211"),),
    )
    endpoints = [url(d, fmt) for d in (shared, restricted) for fmt in ("csv", "xlsx", "json")]

    for path in endpoints:
        assert client.get(path).status_code == 404, path
    client.force_login(other_viewer)
    for path in endpoints:
        assert client.get(path).status_code == 404, path

    client.force_login(tinhkhe_viewer)  # named by the restricted one
    assert client.get(url(restricted, "csv")).status_code == 200
    assert client.get(url(shared, "csv")).status_code == 404
    client.force_login(syt_viewer)  # the publisher's own staff
    response = client.get(url(shared, "csv"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-cache"


def test_a_draft_or_withdrawn_dataset_is_never_downloadable_from_any_public_endpoint(client, syt_admin):
    draft = dataset_create(actor=syt_admin, fields=health_fields())
    dataset_upload(
        actor=syt_admin,
        dataset=draft,
        filename="tram-y-te.csv",
        content=b"ma_xa,so_tram_y_te\n21211,1\n",
    )
    name = draft.name
    endpoints = {
        "page": f"/opendata/dataset/{name}/",
        "csv": f"/opendata/dataset/{name}/data.csv",
        "xlsx": f"/opendata/dataset/{name}/data.xlsx",
        "json": f"/opendata/dataset/{name}/data.json",
        "csv v1": f"/opendata/dataset/{name}/data.csv?version=1",
        "datapackage": f"/opendata/dataset/{name}/datapackage.json",
        "datapackage v1": f"/opendata/dataset/{name}/datapackage.json?version=1",
    }

    def statuses() -> dict[str, int]:
        return {key: client.get(path).status_code for key, path in endpoints.items()}

    def in_catalogue() -> bool:
        html = client.get("/opendata/", {"q": "tram y te"}).content.decode()
        return f'data-name="{name}"' in html

    assert set(statuses().values()) == {404} and not in_catalogue()

    dataset_publish(actor=syt_admin, dataset=draft)
    assert set(statuses().values()) == {200} and in_catalogue()

    dataset_withdraw(actor=syt_admin, dataset=Dataset.objects.get(pk=draft.pk), reason="Số liệu sai")
    assert set(statuses().values()) == {404} and not in_catalogue()
    etag = '"' + Dataset.objects.get(pk=draft.pk).versions.get().sha256 + '"'
    assert client.get(endpoints["csv"], HTTP_IF_NONE_MATCH=etag).status_code == 404  # not a 304 either
