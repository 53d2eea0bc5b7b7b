"""A system reads shared data through the CKAN API with its key: only what was granted, refused at
once when revoked, limited per minute (429 + Retry-After), and every read logged (counted)."""

import json

import pytest

from tiendo.opendata.models import AccessLog
from tiendo.opendata.sharing import (
    access_request_create,
    access_request_decide,
    systemkey_issue,
    systemkey_revoke,
)
from tiendo.opendata.tests.conftest import published_health_dataset
from tiendo.orgunits.models import OrgUnit

pytestmark = pytest.mark.django_db


@pytest.fixture
def granted(syt_admin, skhcn_admin, system):
    steward = skhcn_admin
    shared = published_health_dataset(syt_admin, access="shared")
    issued = systemkey_issue(
        actor=steward, system=system, name="k", areas=["catalogue", "datastore"], rate_per_minute=5
    )
    request = access_request_create(actor=steward, system=system, dataset=shared, purpose="Điều hành")
    return {
        "steward": steward,
        "shared": shared,
        "system": system,
        "issued": issued,
        "request": request,
        "owner": syt_admin,
    }


def search(client, dataset, secret, **params):
    query = {"resource_id": dataset.name, **params}
    return client.get("/opendata/api/3/action/datastore_search", query, HTTP_AUTHORIZATION=secret)


def test_a_key_reads_a_shared_dataset_only_once_granted_and_each_read_is_logged(client, granted):
    before = search(client, granted["shared"], granted["issued"].secret)
    access_request_decide(
        actor=granted["owner"], request=granted["request"], grant=True, reason="Đúng mục đích"
    )

    answers = [
        search(client, granted["shared"], granted["issued"].secret, filters=json.dumps({"ma_xa": 21211}))
        for _ in range(3)
    ]

    assert before.status_code == 403
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert answers[0].json()["result"]["total"] == 1
    log = list(AccessLog.objects.filter(dataset=granted["shared"]))
    assert len(log) == 3  # one row per read, counted
    assert {(e.system_id, e.rows, e.action) for e in log} == {(granted["system"].pk, 1, "datastore_search")}
    assert log[0].query["filters"] == json.dumps({"ma_xa": 21211})


def test_a_revoked_key_is_refused_at_the_next_call(client, granted):
    access_request_decide(actor=granted["owner"], request=granted["request"], grant=True, reason="ok")
    assert search(client, granted["shared"], granted["issued"].secret).status_code == 200

    systemkey_revoke(actor=granted["steward"], key=granted["issued"].key)
    refused = search(client, granted["shared"], granted["issued"].secret)

    assert refused.status_code == 403
    assert "thu hồi" in refused.json()["error"]["message"]


def test_the_sixth_call_in_a_minute_of_a_five_a_minute_key_waits(client, granted):
    answers = [
        client.get("/opendata/api/3/action/package_list", HTTP_AUTHORIZATION=granted["issued"].secret)
        for _ in range(6)
    ]

    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert 1 <= int(answers[5]["Retry-After"]) <= 60
    assert answers[5].json()["error"]["__type"] == "Rate Limit Error"


def test_a_key_sees_a_restricted_dataset_in_the_catalogue_only_when_granted(client, granted, syt_admin):
    restricted = published_health_dataset(
        syt_admin,
        title="Hồ sơ bệnh án",
        name="ho-so-benh-an",
        access="restricted",
        allowed_units=(OrgUnit.objects.get(code="SYT"),),
    )
    secret = granted["issued"].secret

    hidden = client.get(
        "/opendata/api/3/action/package_show", {"id": restricted.name}, HTTP_AUTHORIZATION=secret
    )
    request = access_request_create(
        actor=granted["steward"], system=granted["system"], dataset=restricted, purpose="x"
    )
    access_request_decide(actor=syt_admin, request=request, grant=True, reason="ok")
    shown = client.get(
        "/opendata/api/3/action/package_show", {"id": restricted.name}, HTTP_AUTHORIZATION=secret
    )

    assert (hidden.status_code, shown.status_code) == (404, 200)


def test_a_system_downloads_a_granted_dataset_with_its_key_and_the_download_is_logged(client, granted):
    steward, shared = granted["steward"], granted["shared"]
    access_request_decide(actor=granted["owner"], request=granted["request"], grant=True, reason="ok")
    url = f"/opendata/dataset/{shared.name}/data.csv"
    catalogue_only = granted["issued"].secret  # areas catalogue + datastore: no download
    with_download = systemkey_issue(
        actor=steward, system=granted["system"], name="tải", areas=["download"]
    ).secret

    anonymous = client.get(url)
    refused = client.get(url, HTTP_AUTHORIZATION=catalogue_only)
    downloaded = client.get(url, HTTP_AUTHORIZATION=f"SystemKey {with_download}")
    unknown = client.get(url, HTTP_AUTHORIZATION="tdsk_unknown")

    assert (anonymous.status_code, refused.status_code, downloaded.status_code, unknown.status_code) == (
        404,
        404,
        200,
        401,
    )
    assert b"".join(downloaded.streaming_content).decode().startswith("ma_xa,ten_xa")
    [entry] = AccessLog.objects.filter(action="download.csv")
    assert (entry.system, entry.rows) == (granted["system"], 2)
