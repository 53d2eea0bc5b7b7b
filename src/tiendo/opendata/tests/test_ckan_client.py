"""The real CKAN client — ckanapi (ckan/ckanapi, PyPI), unchanged — against a live tiendo: it finds
the catalogue at /opendata as it would find a CKAN site, and CKAN's errors come back to it as its
own exceptions."""

import os

import ckanapi  # type: ignore[import-untyped]  # (no stubs; the override does not reach a test module)
import pytest
from ckanapi.errors import NotAuthorized, NotFound, ValidationError  # type: ignore[import-untyped]

from tiendo.conftest import make_user
from tiendo.opendata.reference import reference_load
from tiendo.opendata.tests.conftest import published_health_dataset
from tiendo.orgunits.models import Membership
from tiendo.reporting.tokens import apitoken_create

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def portal(live_server, shipped_data):
    """A live tiendo with two published datasets, and ckanapi pointed at its catalogue."""
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    reference_load()  # the licences and themes: emptied by any transactional test before this one
    steward = make_user("syt.steward", "SYT", Membership.Role.ADMIN)
    health = published_health_dataset(steward)
    shared = published_health_dataset(steward, title="Hồ sơ bệnh án dùng chung", access="shared")
    remote = ckanapi.RemoteCKAN(live_server.url + "/opendata", user_agent="tiendo-tests")
    yield remote, health, shared, steward
    remote.close()


def test_ckanapi_reads_the_status_and_searches_with_q_fq_and_facets(portal):
    remote, health, _shared, _steward = portal

    status = remote.action.status_show()
    found = remote.action.package_search(
        q="tram y te", fq="organization:syt", **{"facet.field": ["organization", "groups", "tags"]}
    )

    assert status["ckan_version"] == "2.11.0" and status["extensions"] == ["datastore"]
    assert found["count"] == 1
    assert found["results"][0]["name"] == health.name
    assert found["facets"]["organization"] == {"syt": 1}
    assert found["search_facets"]["groups"]["items"] == [{"name": "heal", "display_name": "Y tế", "count": 1}]


def test_ckanapi_shows_a_package_and_searches_its_datastore_with_filters_and_sort(portal):
    remote, health, _shared, _steward = portal

    package = remote.action.package_show(id=health.name)
    resource_id = package["resources"][0]["id"]
    rows = remote.action.datastore_search(
        resource_id=resource_id,
        filters={"nam": 2025},
        sort="ty_le_ho_so_dien_tu asc",
        fields=["ten_xa", "ty_le_ho_so_dien_tu"],
    )
    as_csv = remote.action.datastore_search(
        resource_id=resource_id, records_format="csv", sort="_id desc", fields="ma_xa"
    )

    assert package["organization"]["name"] == "syt" and package["resources"][0]["datastore_active"] is True
    assert rows["total"] == 2
    assert rows["records"] == [
        {"ten_xa": "Phường Cẩm Thành", "ty_le_ho_so_dien_tu": 88.25},
        {"ten_xa": "Xã Tịnh Khê", "ty_le_ho_so_dien_tu": 96.5},
    ]
    assert as_csv["records"] == "21172\n21211\n"


def test_ckanapi_raises_not_found_for_a_missing_package_and_validation_error_for_a_bad_field(portal):
    remote, health, _shared, _steward = portal

    with pytest.raises(NotFound):
        remote.action.package_show(id="khong-co-bo-du-lieu-nay")
    with pytest.raises(ValidationError) as refused:
        remote.action.datastore_search(resource_id=str(health.uid), filters={"khong_co": 1})

    assert list(refused.value.error_dict) == ["filters", "__type"]


def test_ckanapi_reads_shared_rows_only_with_a_token_that_may(portal, live_server):
    remote, _health, shared, steward = portal
    secret = apitoken_create(actor=None, user=steward, name="ckanapi", scopes=["read"]).secret
    other = make_user("skhcn.viewer", "SKHCN", Membership.Role.VIEWER)
    outsider = apitoken_create(actor=None, user=other, name="ckanapi", scopes=["read"]).secret

    with pytest.raises(NotAuthorized):
        remote.action.datastore_search(resource_id=str(shared.uid))
    with pytest.raises(NotAuthorized):
        ckanapi.RemoteCKAN(live_server.url + "/opendata", apikey=outsider).action.datastore_search(
            resource_id=str(shared.uid)
        )
    with ckanapi.RemoteCKAN(live_server.url + "/opendata", apikey=secret) as steward_remote:
        assert steward_remote.action.datastore_search(resource_id=str(shared.uid))["total"] == 2


def test_ckanapi_with_get_only_reads_through_url_parameters(portal, live_server):
    _remote, health, _shared, _steward = portal

    with ckanapi.RemoteCKAN(live_server.url + "/opendata", get_only=True) as remote:
        listed = remote.action.package_list()
        rows = remote.action.datastore_search(resource_id=str(health.uid), limit=1)

    assert listed == [health.name]
    assert len(rows["records"]) == 1 and rows["_links"]["next"].endswith("offset=1")
