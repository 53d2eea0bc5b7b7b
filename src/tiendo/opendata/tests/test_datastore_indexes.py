"""datastore_search on a big version: its own indexes (PostgreSQL), the rows a filter matches kept per
process, exact totals, CKAN's total_estimation_threshold — and the same rows as before, on SQLite
and on PostgreSQL."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection

from tiendo.opendata import matches, selectors, services
from tiendo.opendata.models import Dataset, DatastoreRow
from tiendo.opendata.selectors import RowsQuery, dataset_rows
from tiendo.opendata.services import (
    DatasetFields,
    dataset_create,
    dataset_publish,
    dataset_upload,
    datastore_indexes_of,
)
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db
API = "/opendata/api/3/action/datastore_search"
COMMUNES = (21211, 21172, 21025)
postgresql_only = pytest.mark.skipif("connection.vendor != 'postgresql'", reason="PostgreSQL's indexes")


def table_csv(rows: int) -> str:
    """Commune (integer), month (text), indicator (text), value (number): rows × a commune in turn."""
    lines = ["ma_xa,thang,chi_so,gia_tri"]
    for number in range(1, rows + 1):
        commune = COMMUNES[number % len(COMMUNES)]
        lines.append(f"{commune},{number % 12 + 1:02d}/2026,CS{number % 4},{number / 4}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_threshold(monkeypatch):
    """A version of 20 rows or more counts as big (the real threshold is 50,000 rows)."""
    monkeypatch.setattr(selectors, "DATASTORE_INDEX_MIN_ROWS", 20)


@pytest.fixture(autouse=True)
def no_kept_matches():
    matches.MATCHES.clear()
    yield
    matches.MATCHES.clear()


def big_dataset(actor, rows: int = 60, name: str = "so-lieu-xa") -> Dataset:
    fields = DatasetFields(
        title=f"Số liệu theo xã {name}", name=name, publisher=OrgUnit.objects.get(code="SYT")
    )
    dataset = dataset_create(actor=actor, fields=fields)
    dataset_upload(actor=actor, dataset=dataset, filename="xa.csv", content=table_csv(rows).encode())
    return dataset_publish(actor=actor, dataset=dataset)


def search(client, dataset, **params):
    params = {k: json.dumps(v) if isinstance(v, dict) else v for k, v in params.items()}
    response = client.get(API, {"resource_id": str(dataset.uid), **params})
    assert response.status_code == 200, response.content[:300]
    return response.json()["result"]


def expected_rows(dataset, **wanted):
    version = dataset.versions.get()
    rows = DatastoreRow.objects.filter(version=version).order_by("row")
    return [r.row for r in rows if all(r.data.get(k) == v for k, v in wanted.items())]


# ------------------------------------------------------------------------------------------ indexes


@postgresql_only
def test_a_big_version_gets_an_index_per_column_one_filters_by(syt_admin, small_threshold):
    dataset = big_dataset(syt_admin)
    version = dataset.versions.get()

    indexes = datastore_indexes_of([version.pk])[version.pk]

    # ma_xa (integer), thang and chi_so (string); not gia_tri (number)
    assert sorted(indexes) == [selectors.datastore_index_name(version.pk, n) for n in range(3)]
    assert selectors.datastore_indexed_columns(version) == ["ma_xa", "thang", "chi_so"]


@postgresql_only
def test_a_small_version_gets_no_index_of_its_own(syt_admin):
    dataset = big_dataset(syt_admin, rows=30)

    assert datastore_indexes_of([dataset.versions.get().pk]) == {}


@postgresql_only
def test_a_filter_on_an_indexed_column_walks_the_versions_index_in_row_order(syt_admin, small_threshold):
    dataset = big_dataset(syt_admin)
    version = dataset.versions.get()
    query = RowsQuery(filters={"ma_xa": 21211})
    rows = selectors._ordered(
        selectors._filtered(DatastoreRow.objects.filter(version=version), query, version), query
    )
    sql, params = rows.values_list("row", flat=True)[:10].query.sql_with_params()

    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(line for (line,) in cursor.fetchall())

    assert selectors.datastore_index_name(version.pk, 0) in plan
    assert "Sort" not in plan  # the index gives the rows in row order


@postgresql_only
def test_a_deleted_versions_indexes_are_dropped_once_the_deletion_is_committed(
    syt_admin, small_threshold, django_capture_on_commit_callbacks
):
    dataset = big_dataset(syt_admin)
    version_id = dataset.versions.get().pk

    with django_capture_on_commit_callbacks(execute=True):
        dataset.delete()

    assert datastore_indexes_of([version_id]) == {}


@postgresql_only
def test_indexes_left_by_a_version_deleted_unseen_go_once_the_next_big_version_is_stored(
    syt_admin, small_threshold, django_capture_on_commit_callbacks
):
    first = big_dataset(syt_admin, name="truoc")
    gone = first.versions.get().pk
    first.delete()  # its drop waits for a commit that never comes here: as if no signal reached us
    assert gone in datastore_indexes_of([gone])

    with django_capture_on_commit_callbacks(execute=True):
        big_dataset(syt_admin, name="sau")

    assert datastore_indexes_of([gone]) == {}


def test_on_sqlite_or_below_the_threshold_nothing_is_made(syt_admin):
    dataset = big_dataset(syt_admin, rows=25)

    assert services.datastore_indexes_create(version=dataset.versions.get()) == []


# ------------------------------------------------------------------------------------------ the same rows


@pytest.mark.parametrize("big", [False, True], ids=["gin", "own index"])
def test_filters_find_the_same_rows_with_or_without_the_versions_index(client, syt_admin, monkeypatch, big):
    monkeypatch.setattr(selectors, "DATASTORE_INDEX_MIN_ROWS", 20 if big else 10**9)
    dataset = big_dataset(syt_admin)

    by_number = search(client, dataset, filters={"ma_xa": 21172}, limit=1000)
    by_text = search(
        client, dataset, filters={"ma_xa": "21172"}, limit=1000
    )  # converted to the column's type
    by_list = search(client, dataset, filters={"ma_xa": [21211, 21025], "chi_so": "CS1"}, limit=1000)
    by_number_column = search(client, dataset, filters={"gia_tri": 2.5}, limit=1000)
    none = search(client, dataset, filters={"thang": "12/2099"})

    assert [r["_id"] for r in by_number["records"]] == expected_rows(dataset, ma_xa=21172)
    assert by_number["total"] == 20 and by_text["total"] == 20
    wanted = [r for r in expected_rows(dataset, chi_so="CS1") if r % 3 in (0, 2)]
    assert [r["_id"] for r in by_list["records"]] == wanted and by_list["total"] == len(wanted)
    assert [r["_id"] for r in by_number_column["records"]] == [10]
    assert none["records"] == [] and none["total"] == 0


def test_every_page_of_a_filter_together_is_its_rows_in_order_with_one_exact_total(
    client, syt_admin, small_threshold
):
    dataset = big_dataset(syt_admin, rows=100)
    expected = expected_rows(dataset, thang="03/2026")

    pages = [
        search(client, dataset, filters={"thang": "03/2026"}, limit=3, offset=offset)
        for offset in range(0, 12, 3)
    ]

    assert [r["_id"] for page in pages for r in page["records"]] == expected
    assert {page["total"] for page in pages} == {len(expected)}
    assert not any(page["total_was_estimated"] for page in pages)


def test_a_sort_by_a_column_keeps_its_order_across_pages(client, syt_admin, small_threshold):
    dataset = big_dataset(syt_admin)

    first = search(client, dataset, filters={"ma_xa": 21211}, sort="gia_tri desc", limit=5)
    second = search(client, dataset, filters={"ma_xa": 21211}, sort="gia_tri desc", limit=5, offset=5)

    values = [r["gia_tri"] for r in first["records"] + second["records"]]
    assert values == sorted(values, reverse=True) and len(set(values)) == 10


def test_without_a_filter_the_page_is_a_range_of_rows_and_the_total_the_versions_count(
    client, syt_admin, django_assert_max_num_queries
):
    dataset = big_dataset(syt_admin, rows=40)
    search(client, dataset)  # the month's usage counter made

    with django_assert_max_num_queries(4):  # the version, the page, the usage counted
        found = search(client, dataset, limit=7, offset=30)

    assert [r["_id"] for r in found["records"]] == list(range(31, 38))
    assert found["total"] == 40 and found["total_was_estimated"] is False
    assert search(client, dataset, offset=40)["records"] == []


# ------------------------------------------------------------------------------------------ kept matches


def test_the_rows_a_filter_matches_are_looked_for_once_then_pages_are_read_by_row_number(
    syt_admin, small_threshold, django_assert_num_queries
):
    dataset = big_dataset(syt_admin)
    version = dataset.versions.get()
    reader = AnonymousUser()

    with django_assert_num_queries(2):  # the matches, then the page
        first = dataset_rows(
            user=reader, dataset=dataset, version=version, query=RowsQuery(filters={"ma_xa": 21025})
        )
    with django_assert_num_queries(1):  # the page only
        again = dataset_rows(
            user=reader, dataset=dataset, version=version, query=RowsQuery(filters={"ma_xa": 21025}, offset=5)
        )

    assert first.total == again.total == 20
    assert [r["_id"] for r in again.records] == [r["_id"] for r in first.records][5:]


def test_a_new_version_is_never_answered_with_the_rows_kept_for_the_last(client, syt_admin, small_threshold):
    dataset = big_dataset(syt_admin)
    before = search(client, dataset, filters={"ma_xa": 21211}, limit=1000)
    csv = table_csv(60).replace("\n21211,", "\n21172,", 5)  # five rows move to another commune
    dataset_upload(actor=syt_admin, dataset=dataset, filename="xa.csv", content=csv.encode())

    after = search(client, dataset, filters={"ma_xa": 21211}, limit=1000)

    assert before["total"] == 20 and after["total"] == 15
    assert after["records"][0]["_id"] != before["records"][0]["_id"]


def test_the_kept_rows_are_bounded_in_bytes_the_least_recently_used_leaving_first(settings):
    from array import array

    settings.TIENDO_DATASTORE_MATCH_CACHE_BYTES = 3 * (64 + 4 * 100)
    kept = matches.MatchCache()
    for key in "abc":
        kept.put(key, array("i", range(100)))
    kept.get("a")

    kept.put("d", array("i", range(100)))

    assert [key for key in "abcd" if kept.get(key) is not None] == ["a", "c", "d"]


# ------------------------------------------------------------------------------------------ totals


def test_a_query_matching_more_rows_than_a_list_keeps_pages_by_offset_and_counts_exactly(
    client, syt_admin, small_threshold, monkeypatch
):
    monkeypatch.setattr(matches, "MAX_ROWS", 5)
    dataset = big_dataset(syt_admin)
    expected = expected_rows(dataset, ma_xa=21172)

    found = search(client, dataset, filters={"ma_xa": 21172}, limit=4, offset=8)

    assert [r["_id"] for r in found["records"]] == expected[8:12]
    assert found["total"] == 20 and found["total_was_estimated"] is False


def test_a_total_above_the_estimation_threshold_may_be_estimated_as_ckan_says(
    client, syt_admin, small_threshold, monkeypatch
):
    monkeypatch.setattr(matches, "MAX_ROWS", 5)
    monkeypatch.setattr(selectors, "ESTIMATE_SAMPLE", 30)
    dataset = big_dataset(syt_admin)

    estimated = search(client, dataset, filters={"ma_xa": 21172}, total_estimation_threshold=10)
    too_high = search(client, dataset, filters={"ma_xa": 21211}, total_estimation_threshold=1000)
    unfiltered = search(client, dataset, total_estimation_threshold=10)

    assert estimated["total_was_estimated"] is True and estimated["total_estimation_threshold"] == 10
    assert 10 <= estimated["total"] <= 30  # a third of the sample's rows, scaled: about 20
    assert (too_high["total"], too_high["total_was_estimated"]) == (20, False)  # below it: counted
    assert (unfiltered["total"], unfiltered["total_was_estimated"]) == (60, False)  # known, so exact


def test_a_small_result_is_counted_exactly_whatever_the_threshold(client, syt_admin, small_threshold):
    dataset = big_dataset(syt_admin)

    found = search(client, dataset, filters={"ma_xa": 21025}, total_estimation_threshold=1)

    assert (found["total"], found["total_was_estimated"]) == (20, False)
