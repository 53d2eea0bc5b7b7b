"""The catalogue: who sees what at each access level, search without diacritics, facets, versions
all-or-nothing, every change audited."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.opendata.models import Dataset, DatastoreRow
from tiendo.opendata.selectors import (
    RowsQuery,
    SearchQuery,
    dataset_get,
    dataset_rows,
    dataset_search,
)
from tiendo.opendata.services import dataset_create, dataset_publish, dataset_upload, dataset_withdraw
from tiendo.opendata.tables import TableRefusedError
from tiendo.opendata.tests.conftest import HEALTH_CSV, health_fields, published_health_dataset
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db
ANONYMOUS = AnonymousUser()


def listed(user, name):
    try:
        dataset_get(user=user, name=name)
    except NotFoundError:
        return False
    return True


def can_read_rows(user, dataset):
    try:
        dataset_rows(user=user, dataset=dataset, query=RowsQuery())
    except NotFoundError:
        return False
    return True


def test_a_draft_is_seen_by_its_publisher_and_the_office_only(
    syt_admin, syt_viewer, office_admin, tinhkhe_viewer
):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())

    assert [
        listed(u, dataset.name) for u in (ANONYMOUS, tinhkhe_viewer, syt_viewer, syt_admin, office_admin)
    ] == [
        False,
        False,
        True,
        True,
        True,
    ]


@pytest.mark.parametrize(
    ("access", "anonymous", "other_unit", "named_unit", "publisher_viewer", "office"),
    [
        ("public", (True, True), (True, True), (True, True), (True, True), (True, True)),
        ("shared", (True, False), (True, False), (True, False), (True, True), (True, True)),
        ("restricted", (False, False), (False, False), (True, True), (True, True), (True, True)),
    ],
)
def test_each_access_level_lists_and_opens_to_whom_it_says(
    syt_admin,
    syt_viewer,
    office_admin,
    tinhkhe_viewer,
    other_viewer,
    access,
    anonymous,
    other_unit,
    named_unit,
    publisher_viewer,
    office,
):
    dataset = published_health_dataset(
        syt_admin,
        access=access,
        allowed_units=(OrgUnit.objects.get(code="21211"),) if access == "restricted" else (),
    )

    seen = {
        "anonymous": ANONYMOUS,
        "other_unit": other_viewer,
        "named_unit": tinhkhe_viewer,
        "publisher_viewer": syt_viewer,
        "office": office_admin,
    }
    expected = {
        "anonymous": anonymous,
        "other_unit": other_unit,
        "named_unit": named_unit,
        "publisher_viewer": publisher_viewer,
        "office": office,
    }
    for who, user in seen.items():
        assert (listed(user, dataset.name), can_read_rows(user, dataset)) == expected[who], who


def test_a_withdrawn_dataset_leaves_the_public_catalogue_and_keeps_its_versions(syt_admin):
    dataset = published_health_dataset(syt_admin)

    dataset_withdraw(actor=syt_admin, dataset=dataset, reason="Số liệu sai, đang rà soát")

    assert not listed(ANONYMOUS, dataset.name)
    assert dataset.versions.count() == 1
    assert AuditLog.objects.filter(
        action="opendata.dataset.withdraw", reason="Số liệu sai, đang rà soát"
    ).exists()


def test_publishing_needs_a_version_and_someone_who_manages_the_publisher(syt_admin, skhcn_reporter):
    dataset = dataset_create(actor=syt_admin, fields=health_fields())

    with pytest.raises(ApplicationError, match="Chưa có phiên bản"):
        dataset_publish(actor=syt_admin, dataset=dataset)
    with pytest.raises(PermissionDeniedError):
        dataset_create(actor=skhcn_reporter, fields=health_fields(title="Của sở khác"))
    with pytest.raises(PermissionDeniedError):
        dataset_upload(actor=skhcn_reporter, dataset=dataset, filename="x.csv", content=HEALTH_CSV.encode())


def test_a_second_version_with_a_bad_cell_changes_nothing(syt_admin):
    dataset = published_health_dataset(syt_admin)
    rows_before = DatastoreRow.objects.count()
    bad = "ma_xa,ten_xa,nam,so_tram_y_te,ty_le_ho_so_dien_tu\n21211,Xã Tịnh Khê,2026,một,97\n"

    with pytest.raises(TableRefusedError) as refused:
        dataset_upload(actor=syt_admin, dataset=dataset, filename="v2.csv", content=bad.encode())

    assert [(e.row, e.column) for e in refused.value.errors] == [(2, "so_tram_y_te")]
    assert dataset.versions.count() == 1
    assert DatastoreRow.objects.count() == rows_before


def test_a_second_version_is_numbered_and_read_instead_of_the_first(syt_admin):
    dataset = published_health_dataset(syt_admin)
    newer = "ma_xa,ten_xa,nam,so_tram_y_te,ty_le_ho_so_dien_tu\n21211,Xã Tịnh Khê,2026,1,99\n"

    version = dataset_upload(
        actor=syt_admin, dataset=dataset, filename="v2.csv", content=newer.encode(), note="Năm 2026"
    )
    page = dataset_rows(user=ANONYMOUS, dataset=dataset, query=RowsQuery())

    assert version.number == 2
    assert page.total == 1
    assert page.records == [
        {
            "_id": 1,
            "ma_xa": 21211,
            "ten_xa": "Xã Tịnh Khê",
            "nam": 2026,
            "so_tram_y_te": 1,
            "ty_le_ho_so_dien_tu": 99,
        }
    ]
    assert AuditLog.objects.filter(action="opendata.version.create").count() == 2


def test_rows_are_filtered_sorted_and_paged_by_column(syt_admin):
    dataset = published_health_dataset(syt_admin)

    by_commune = dataset_rows(user=ANONYMOUS, dataset=dataset, query=RowsQuery(filters={"ma_xa": 21172}))
    sorted_desc = dataset_rows(
        user=ANONYMOUS, dataset=dataset, query=RowsQuery(sort=(("ty_le_ho_so_dien_tu", True),), limit=1)
    )
    searched = dataset_rows(user=ANONYMOUS, dataset=dataset, query=RowsQuery(q="tịnh"))

    assert [r["ten_xa"] for r in by_commune.records] == ["Phường Cẩm Thành"]
    assert by_commune.records[0]["ty_le_ho_so_dien_tu"] == 88.25
    assert (sorted_desc.total, [r["ma_xa"] for r in sorted_desc.records]) == (2, [21211])
    assert searched.total == 1
    with pytest.raises(ApplicationError, match="so_giuong"):
        dataset_rows(user=ANONYMOUS, dataset=dataset, query=RowsQuery(filters={"so_giuong": 1}))


def test_search_finds_words_typed_without_diacritics_and_counts_facets(syt_admin, office_admin):
    published_health_dataset(syt_admin)
    published_health_dataset(
        syt_admin,
        title="Danh sách cơ sở khám chữa bệnh",
        name="co-so-kham-chua-benh",
        access="shared",
        keywords=("khám chữa bệnh",),
    )
    dataset_create(actor=syt_admin, fields=health_fields(title="Bản nháp về y tế", name="nhap"))

    found = dataset_search(user=ANONYMOUS, query=SearchQuery(q="ho so suc khoe"))
    everything = dataset_search(user=ANONYMOUS, query=SearchQuery(q="y te"))
    shared_only = dataset_search(user=ANONYMOUS, query=SearchQuery(access=("shared",)))

    assert [d.name for d in found.datasets] == ["tram-y-te-xa-va-ho-so-suc-khoe-dien-tu"]
    assert everything.count == 2  # the draft is not public
    assert dict((k, n) for k, _label, n in everything.facets["access"]) == {"public": 1, "shared": 1}
    assert everything.facets["theme"][0][0] == "HEAL"
    assert [d.name for d in shared_only.datasets] == ["co-so-kham-chua-benh"]
    assert dataset_search(user=office_admin, query=SearchQuery(q="y te")).count == 3


def test_a_dataset_name_must_be_free_and_the_licence_known(syt_admin):
    published_health_dataset(syt_admin)

    with pytest.raises(ApplicationError, match="đã có bộ dữ liệu khác") as clash:
        dataset_create(actor=syt_admin, fields=health_fields())
    with pytest.raises(ApplicationError, match="không có trong danh mục giấy phép") as licence:
        dataset_create(actor=syt_admin, fields=health_fields(name="khac", licence="MIT"))

    assert (clash.value.field, licence.value.field) == ("name", "licence")
    assert Dataset.objects.count() == 1


def test_a_versions_hash_is_that_of_its_rows_as_read_back_whatever_the_database(syt_admin):
    from tiendo.opendata.models import DatastoreRow
    from tiendo.opendata.tables import rows_hash

    dataset = dataset_create(actor=syt_admin, fields=health_fields())
    content = 'ma,gia_tri\n1,1e20\n2,1.5e-7\n3,"44,91"\n'

    version = dataset_upload(actor=syt_admin, dataset=dataset, filename="so-mu.csv", content=content.encode())
    stored = DatastoreRow.objects.filter(version=version).order_by("row").values_list("data", flat=True)

    assert rows_hash(version.field_names, stored) == version.sha256


def test_a_short_word_matches_whole_words_and_a_longer_one_the_start_of_a_word(syt_admin, skhcn_reporter):
    published_health_dataset(syt_admin)  # "Trạm y tế xã …" of the Sở Y tế
    published_health_dataset(
        skhcn_reporter,
        title="Doanh nghiệp công nghệ (technology)",
        name="cong-nghe",
        keywords=(),
        themes=("TECH",),
        publisher=OrgUnit.objects.get(code="SKHCN"),
    )

    def names(q):
        return [d.name for d in dataset_search(user=ANONYMOUS, query=SearchQuery(q=q)).datasets]

    assert names("y te") == ["tram-y-te-xa-va-ho-so-suc-khoe-dien-tu"]
    assert names("techno") == ["cong-nghe"]
    assert names("echnology") == []
    assert names("Y TẾ, xã!") == ["tram-y-te-xa-va-ho-so-suc-khoe-dien-tu"]
