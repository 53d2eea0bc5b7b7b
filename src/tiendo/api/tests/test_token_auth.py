"""A revoked or expired token answers 401 saying which: the standard error shape on /api/v1, a DHIS2
WebMessage on /api/dataValueSets."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import apitoken_create, apitoken_revoke, apitoken_rotate

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def issued(office_admin, tinhkhe_reporter):
    return apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read", "write"])


def header(secret: str) -> dict:
    return {"HTTP_AUTHORIZATION": f"ApiToken {secret}", **ENGLISH}


def test_a_valid_token_reads_the_api(client, issued):
    assert client.get("/api/v1/submissions", **header(issued.secret)).status_code == 200


def test_an_expired_token_gets_401_with_the_error_shape_saying_it_expired(client, issued):
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    response = client.get("/api/v1/submissions", **header(issued.secret))
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "token_expired"
    assert error["message"].startswith("The access token expired")
    assert set(error) >= {"code", "message", "field"}


def test_a_revoked_token_gets_401_with_the_error_shape_saying_it_was_revoked(client, issued, office_admin):
    apitoken_revoke(actor=office_admin, token=issued.token)
    response = client.get("/api/v1/submissions", **header(issued.secret))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "token_revoked"
    assert response.json()["error"]["message"] == "The access token has been revoked"


def test_the_old_secret_of_a_rotated_token_gets_401_saying_it_was_replaced(client, issued, office_admin):
    new = apitoken_rotate(actor=office_admin, token=issued.token)
    old = client.get("/api/v1/submissions", **header(issued.secret))
    assert old.status_code == 401 and "replaced" in old.json()["error"]["message"]
    assert client.get("/api/v1/submissions", **header(new.secret)).status_code == 200


def test_an_unknown_token_is_still_the_plain_401(client, issued):
    response = client.get("/api/v1/submissions", **header("d2pat_nothing"))
    assert response.status_code == 401 and response.json()["error"]["code"] == "unauthenticated"


def test_datavaluesets_answers_a_webmessage_401_saying_expired_or_revoked(client, issued, office_admin):
    query = "/api/dataValueSets?dataSet=T-XA-Q&period=2026Q1&orgUnit=21211"
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    expired = client.get(query, **header(issued.secret))
    assert expired.status_code == 401
    body = expired.json()
    assert (body["httpStatus"], body["httpStatusCode"], body["status"]) == ("Unauthorized", 401, "ERROR")
    assert body["errorCode"] == "token_expired" and "expired" in body["message"]
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(days=1))
    apitoken_revoke(actor=office_admin, token=issued.token)
    revoked = client.post(query, data="{}", content_type="application/json", **header(issued.secret))
    assert revoked.status_code == 401
    assert revoked.json()["errorCode"] == "token_revoked" and "revoked" in revoked.json()["message"]


def test_using_the_api_records_the_tokens_last_use(client, issued):
    assert ApiToken.objects.get().last_used_at is None
    client.get("/api/v1/submissions", **header(issued.secret))
    assert ApiToken.objects.get().last_used_at is not None


# The DHIS2-style endpoints each authenticate by themselves (not through django-ninja); every one
# that exists must turn a refused token into a 401, never a 500. Paths not routed are skipped, so the
# list also guards endpoints other branches add (/api/me, /api/dataValues, …) once merged.
DHIS2_PATHS = (
    "/api/dataValueSets?dataSet=T-XA-Q&period=2026Q1&orgUnit=21211",
    "/api/40/dataValueSets.json?dataSet=T-XA-Q&period=2026Q1&orgUnit=21211",
    "/api/me",
    "/api/system/info",
    "/api/dataValues?de=X&pe=2026Q1&ou=21211",
    "/api/dataSets",
)


@pytest.mark.parametrize("state", ["revoked", "expired"])
def test_every_dhis2_endpoint_answers_401_never_500_to_a_refused_token(client, issued, office_admin, state):
    from django.urls import Resolver404, resolve

    if state == "revoked":
        apitoken_revoke(actor=office_admin, token=issued.token)
    else:
        ApiToken.objects.update(expires_at=timezone.now() - timedelta(minutes=5))
    routed = []
    for url in DHIS2_PATHS:
        try:
            resolve(url.split("?")[0])
        except Resolver404:
            continue
        routed.append(url)
        read = client.get(url, **header(issued.secret))
        write = client.post(url, data="{}", content_type="application/json", **header(issued.secret))
        assert read.status_code == 401, url
        assert write.status_code in (401, 405), url  # a read-only endpoint may refuse the method first
    assert routed  # at least /api/dataValueSets
