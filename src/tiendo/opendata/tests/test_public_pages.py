"""The public catalogue and a dataset's page, as a citizen opens them without signing in, in
Vietnamese and in English: search without diacritics, facets, sorting, paging, the preview, and
"not found" for what the public may not see."""

import re

import pytest

from tiendo.opendata.models import Dataset
from tiendo.opendata.services import dataset_create, dataset_publish, dataset_upload, dataset_withdraw
from tiendo.opendata.tests.conftest import health_fields, published_health_dataset
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db

CATALOGUE = "/opendata/"


def english(client):
    client.cookies["django_language"] = "en"  # as the language switch stores it
    return client


def names_listed(html: str) -> list[str]:
    return re.findall(r'class="card mb-3 dataset-item" data-name="([^"]+)"', html)


def small_dataset(actor, title: str, *, csv: str = "nam,gia_tri\n2025,1\n", **changes) -> Dataset:
    dataset = dataset_create(actor=actor, fields=health_fields(title=title, **changes))
    dataset_upload(actor=actor, dataset=dataset, filename="bang.csv", content=csv.encode())
    return dataset_publish(actor=actor, dataset=dataset)


def test_the_catalogue_opens_without_signing_in_in_vietnamese_and_in_english(client, syt_admin):
    dataset = published_health_dataset(syt_admin, title_en="Commune health stations and e-health records")

    vietnamese = client.get(CATALOGUE)
    assert vietnamese.status_code == 200
    html = vietnamese.content.decode()
    assert '<html lang="vi">' in html
    assert "Trạm y tế xã và hồ sơ sức khỏe điện tử" in html
    assert "Sở Y tế" in html and "CC-BY-4.0" in html and "Dữ liệu mở" in html
    assert names_listed(html) == [dataset.name]

    html = english(client).get(CATALOGUE).content.decode()
    assert '<html lang="en">' in html
    assert "Commune health stations and e-health records" in html
    assert "Trạm y tế xã và hồ sơ sức khỏe điện tử" not in html  # the data's English title in its place
    assert names_listed(html) == [dataset.name]


def test_a_word_typed_without_diacritics_finds_the_dataset(client, syt_admin, skhcn_reporter):
    health = published_health_dataset(syt_admin)
    science = small_dataset(
        skhcn_reporter,
        "Doanh nghiệp khoa học và công nghệ",
        publisher=OrgUnit.objects.get(code="SKHCN"),
        themes=("TECH",),
        keywords=("doanh nghiệp",),
    )

    assert health.name in names_listed(client.get(CATALOGUE, {"q": "y te"}).content.decode())
    assert names_listed(client.get(CATALOGUE, {"q": "tram y te"}).content.decode()) == [health.name]
    assert names_listed(client.get(CATALOGUE, {"q": "HỒ SƠ suc khoe"}).content.decode()) == [health.name]
    assert names_listed(client.get(CATALOGUE, {"q": "doanh nghiep"}).content.decode()) == [science.name]
    assert len(names_listed(client.get(CATALOGUE).content.decode())) == 2


def test_the_facets_count_the_datasets_and_a_facet_link_filters_them(client, syt_admin, skhcn_reporter):
    health = published_health_dataset(syt_admin)
    science = small_dataset(
        skhcn_reporter,
        "Doanh nghiệp khoa học và công nghệ",
        publisher=OrgUnit.objects.get(code="SKHCN"),
        themes=("TECH",),
        licence="CC0-1.0",
    )
    html = client.get(CATALOGUE).content.decode()
    for facet in ("theme", "publisher", "licence", "access", "format"):
        assert f'data-facet="{facet}"' in html
    theme_link = re.search(r'href="\?(theme=TECH)"[^>]*data-key="TECH"', html)
    assert theme_link, "the theme facet links to its filter"
    assert re.search(r'data-key="CSV">.*?<span class="badge[^"]*">2</span>', html, re.S)

    filtered = client.get(CATALOGUE + "?" + theme_link.group(1)).content.decode()
    assert names_listed(filtered) == [science.name]
    assert 'aria-current="true" data-key="TECH"' in filtered  # shown as chosen, a click takes it off
    assert 'id="active-filters"' in filtered

    assert names_listed(client.get(CATALOGUE, {"publisher": "SYT"}).content.decode()) == [health.name]
    assert names_listed(client.get(CATALOGUE, {"licence": "CC0-1.0"}).content.decode()) == [science.name]
    assert (
        len(names_listed(client.get(CATALOGUE, {"access": "public", "format": "CSV"}).content.decode())) == 2
    )
    assert names_listed(
        client.get(CATALOGUE, {"theme": ["TECH", "HEAL"], "publisher": "SYT"}).content.decode()
    ) == [health.name]


def test_sorting_orders_the_titles_both_ways_and_an_unknown_order_falls_back(client, syt_admin):
    small_dataset(syt_admin, "Bến cá")
    small_dataset(syt_admin, "Một an toàn thực phẩm", name="zz-an-toan-thuc-pham")  # its name sorts last
    small_dataset(syt_admin, "Chợ truyền thống")

    def titles(**params):
        response = client.get(CATALOGUE, params)
        assert response.status_code == 200
        return re.findall(
            r'<h2 class="h5 card-title mb-1"><a href="[^"]+">([^<]+)</a>', response.content.decode()
        )

    assert titles(sort="title") == ["Bến cá", "Chợ truyền thống", "Một an toàn thực phẩm"]
    assert titles(sort="-title") == ["Một an toàn thực phẩm", "Chợ truyền thống", "Bến cá"]
    assert titles(sort="name") == ["Bến cá", "Chợ truyền thống", "Một an toàn thực phẩm"]
    assert titles()[0] == "Chợ truyền thống"  # newest first: the last one made
    assert titles(sort="drop table") == titles()


def test_twenty_a_page_with_page_links_and_a_page_past_the_end_is_not_found(client, syt_admin):
    for number in range(23):
        small_dataset(syt_admin, f"Bộ số liệu {number:02d}")

    first = client.get(CATALOGUE, {"sort": "title"}).content.decode()
    assert len(names_listed(first)) == 20
    assert re.search(r'id="result-count"[^>]*>23 bộ dữ liệu · trang 1/2', first)
    assert 'href="?sort=title&amp;page=2">2</a>' in first

    second = client.get(CATALOGUE, {"sort": "title", "page": "2"}).content.decode()
    assert names_listed(second) == ["bo-so-lieu-20", "bo-so-lieu-21", "bo-so-lieu-22"]
    assert client.get(CATALOGUE, {"page": "3"}).status_code == 404
    assert client.get(CATALOGUE, {"page": "0"}).status_code == 404
    assert client.get(CATALOGUE, {"page": "hai"}).status_code == 200  # not a number: the first page


def test_a_search_that_finds_nothing_says_what_to_try(client, syt_admin):
    published_health_dataset(syt_admin)

    html = client.get(CATALOGUE, {"q": "tàu cá", "theme": "HEAL"}).content.decode()

    assert names_listed(html) == []
    assert 'id="empty"' in html
    assert "không dấu" in html and "Bỏ bớt bộ lọc" in html
    assert 'href="/opendata/">Xem tất cả bộ dữ liệu' in html


def test_an_empty_catalogue_says_so(client, shipped_data):
    html = client.get(CATALOGUE).content.decode()

    assert "Chưa có bộ dữ liệu nào được công bố" in html


def test_the_dataset_page_shows_its_description_schema_versions_preview_and_downloads(client, syt_admin):
    dataset = published_health_dataset(
        syt_admin,
        description="Số trạm y tế và tỷ lệ hồ sơ điện tử của từng xã.",
        spatial=OrgUnit.objects.get(code="51"),
    )
    url = f"/opendata/dataset/{dataset.name}/"

    response = client.get(url)

    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "Trạm y tế xã và hồ sơ sức khỏe điện tử",
        "Số trạm y tế và tỷ lệ hồ sơ điện tử của từng xã.",
        "Sở Y tế",
        "Phòng Nghiệp vụ Y",
        'href="mailto:nghiepvu.syt@example.gov.vn"',
        'href="https://creativecommons.org/licenses/by/4.0/" rel="license"',
        "Y tế",  # the theme
        "hồ sơ sức khỏe",  # a keyword
        "Hằng năm",
        "Dữ liệu mở: mọi người được xem, tải về",
        "tệp tram-y-te.csv",  # the version's provenance
        "<code>ty_le_ho_so_dien_tu</code>",
        "số nguyên",
        f'href="/opendata/dataset/{dataset.name}.jsonld"',
        f'href="/opendata/dataset/{dataset.name}.ttl"',
        f'href="/opendata/api/3/action/package_show?id={dataset.name}"',
        f'href="/opendata/dataset/{dataset.name}/data.csv"',
        f'href="/opendata/dataset/{dataset.name}/data.xlsx"',
        f'href="/opendata/dataset/{dataset.name}/data.json"',
        f'href="/opendata/dataset/{dataset.name}/datapackage.json"',
        "Phiên bản 1 · 2 dòng",
    ):
        assert text in html, text
    preview = re.search(r'<table[^>]*id="preview">(.*?)</table>', html, re.S).group(1)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", preview)
    assert cells == [
        "21211",
        "Xã Tịnh Khê",
        "2025",
        "1",
        "96,5",
        "21172",
        "Phường Cẩm Thành",
        "2025",
        "2",
        "88,25",
    ]


def test_the_dataset_page_in_english_writes_numbers_the_english_way(client, syt_admin):
    dataset = published_health_dataset(syt_admin, title_en="Commune health stations")

    html = english(client).get(f"/opendata/dataset/{dataset.name}/").content.decode()

    assert '<html lang="en">' in html
    assert '<h1 class="h3" id="dataset-title">Commune health stations</h1>' in html
    assert 'lang="vi">Trạm y tế xã và hồ sơ sức khỏe điện tử' in html
    assert ">96.5</td>" in html and ">88.25</td>" in html


def test_a_shared_dataset_shows_its_description_and_who_may_read_its_rows_but_no_rows(client, syt_admin):
    dataset = published_health_dataset(syt_admin, access=Dataset.Access.SHARED)

    html = client.get(f"/opendata/dataset/{dataset.name}/").content.decode()

    assert "Trạm y tế xã và hồ sơ sức khỏe điện tử" in html
    assert 'id="rows-restricted"' in html
    assert "Dữ liệu dùng chung" in html and "gửi đề nghị cấp quyền đến Sở Y tế" in html
    assert 'href="mailto:nghiepvu.syt@example.gov.vn"' in html
    assert 'id="preview"' not in html and "Xã Tịnh Khê" not in html
    assert "/data.csv" not in html and "datapackage.json" not in html
    assert "<code>ma_xa</code>" in html  # the columns are metadata


def test_the_publisher_reads_the_rows_of_its_shared_dataset_on_the_page(client, syt_admin, syt_viewer):
    dataset = published_health_dataset(syt_admin, access=Dataset.Access.SHARED)
    client.force_login(syt_viewer)

    html = client.get(f"/opendata/dataset/{dataset.name}/").content.decode()

    assert 'id="preview"' in html and "Xã Tịnh Khê" in html


def test_a_draft_a_withdrawn_a_restricted_and_an_unknown_dataset_are_not_found(client, syt_admin):
    draft = dataset_create(actor=syt_admin, fields=health_fields(title="Bản nháp"))
    withdrawn = published_health_dataset(syt_admin, title="Đã thu hồi")
    dataset_withdraw(actor=syt_admin, dataset=withdrawn, reason="rà soát")
    restricted = published_health_dataset(
        syt_admin,
        title="Hạn chế",
        access=Dataset.Access.RESTRICTED,
        allowed_units=(OrgUnit.objects.get(code="21211"),),
    )

    for name in (draft.name, withdrawn.name, restricted.name, "khong-co"):
        response = client.get(f"/opendata/dataset/{name}/")
        assert response.status_code == 404, name
        assert "text/html" in response["Content-Type"]
    html = client.get(CATALOGUE).content.decode()
    assert names_listed(html) == []
    assert (
        "Bản nháp" not in html and "Đã thu hồi" not in html and "Hạn chế" not in html.split('id="facets"')[0]
    )


def test_a_dataset_opened_by_its_id_is_sent_to_its_page(client, syt_admin):
    dataset = published_health_dataset(syt_admin)

    response = client.get(f"/opendata/dataset/{dataset.uid}/")

    assert response.status_code == 302
    assert response["Location"] == f"/opendata/dataset/{dataset.name}/"


def test_a_page_view_and_a_download_are_counted_for_the_month(client, syt_admin):
    from tiendo.opendata.models import DatasetUsage

    dataset = published_health_dataset(syt_admin)

    client.get(f"/opendata/dataset/{dataset.name}/")
    client.get(f"/opendata/dataset/{dataset.name}/")
    b"".join(client.get(f"/opendata/dataset/{dataset.name}/data.csv").streaming_content)

    counts = dict(DatasetUsage.objects.filter(dataset=dataset).values_list("kind", "count"))
    assert counts == {"page": 2, "download": 1}
    html = client.get(f"/opendata/dataset/{dataset.name}/").content.decode()
    usage = re.search(r'<table[^>]*id="usage">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    assert re.findall(r'<td class="num">(\d+)</td>', usage) == ["3", "1", "0"]


def test_the_catalogue_reads_as_many_queries_for_twenty_datasets_as_for_two(client, syt_admin):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(CATALOGUE).status_code == 200
        return len(captured.captured_queries)

    for number in range(2):
        small_dataset(syt_admin, f"Bộ số liệu {number:02d}", themes=("HEAL", "SOCI"))
    few = queries()
    for number in range(2, 22):
        small_dataset(syt_admin, f"Bộ số liệu {number:02d}", themes=("HEAL", "SOCI"))

    assert queries() == few
