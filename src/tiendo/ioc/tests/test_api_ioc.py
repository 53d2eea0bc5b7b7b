import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.ioc.models import IngestRefusal, Reading
from tiendo.reporting.tests.credentials import api_auth
from tiendo.reporting.tokens import apitoken_create

pytestmark = pytest.mark.django_db

URL = "/api/v1/ioc/readings"


def body(*readings):
    return json.dumps({"readings": list(readings)})


def pm25(value, *, minutes_ago=5, device="aq-dungquat-01"):
    ts = (timezone.now() - timedelta(minutes=minutes_ago)).isoformat()
    return {"device": device, "metric": "pm25", "ts": ts, "value": value}


def ingest_token(user, scopes=("ingest",)):
    return {
        "HTTP_AUTHORIZATION": "ApiToken "
        + apitoken_create(actor=None, user=user, name="tram", scopes=list(scopes)).secret
    }


def test_an_operator_sends_a_batch_and_a_retry_with_the_same_key_stores_nothing_more(
    client, vantuong_operator
):
    auth = ingest_token(vantuong_operator)
    payload = body(pm25(12.0, minutes_ago=10), pm25(14.0, minutes_ago=5))

    first = client.post(URL, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="lot-1", **auth)
    again = client.post(URL, payload, content_type="application/json", HTTP_IDEMPOTENCY_KEY="lot-1", **auth)

    assert first.status_code == 200, first.content
    assert first.json() == {"received": 2, "stored": 2, "duplicates": 0}
    assert again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Reading.objects.count() == 2


def test_the_same_key_with_another_body_is_refused_by_name(client, vantuong_operator):
    auth = ingest_token(vantuong_operator)
    client.post(URL, body(pm25(12.0)), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k", **auth)

    other = client.post(
        URL, body(pm25(99.0)), content_type="application/json", HTTP_IDEMPOTENCY_KEY="k", **auth
    )

    assert other.status_code == 422
    assert other.json()["error"]["field"] == "Idempotency-Key"
    assert Reading.objects.count() == 1


def test_a_batch_with_bad_readings_stores_nothing_and_names_every_one(client, vantuong_operator):
    future = (timezone.now() + timedelta(hours=2)).isoformat()
    response = client.post(
        URL,
        body(
            pm25(12.0),
            {"device": "aq-dungquat-01", "metric": "pm25", "ts": "hôm qua", "value": 3},
            {"device": "aq-dungquat-01", "metric": "pm25", "ts": future, "value": 3},
            {"device": "no-such-device", "metric": "pm25", "ts": future, "value": 3},
            {"device": "aq-dungquat-01", "metric": "pm25", "ts": future, "value": "cao"},
        ),
        content_type="application/json",
        **ingest_token(vantuong_operator),
    )

    assert response.status_code == 422
    refusals = response.json()["error"]["refusals"]
    assert [(r["reading"], r["reason"]) for r in refusals] == [
        ("readings[1]", "bad_time"),
        ("readings[2]", "future"),
        ("readings[3]", "unknown_device"),
        ("readings[4]", "future"),
    ]
    assert all(r["message"] for r in refusals)
    assert Reading.objects.count() == 0
    assert sum(IngestRefusal.objects.values_list("count", flat=True)) == 4


def test_another_units_device_is_unknown_to_an_operator(client, camthanh_operator):
    response = client.post(
        URL, body(pm25(12.0)), content_type="application/json", **ingest_token(camthanh_operator)
    )

    assert response.status_code == 422
    assert response.json()["error"]["refusals"][0]["reason"] == "unknown_device"
    assert Reading.objects.count() == 0


def test_a_token_without_the_ingest_scope_may_not_send_and_an_ingest_token_may_not_read(
    client, vantuong_operator
):
    read_write = ingest_token(vantuong_operator, scopes=("read", "write"))
    ingest_only = ingest_token(vantuong_operator)

    refused = client.post(URL, body(pm25(1.0)), content_type="application/json", **read_write)
    reading = client.get("/api/v1/ioc/devices", **ingest_only)

    assert refused.status_code == 403
    assert reading.status_code == 403
    assert Reading.objects.count() == 0


def test_a_reporter_with_no_operator_role_may_not_send(client, tinhkhe_reporter, ioc_registry):
    response = client.post(
        URL, body(pm25(1.0)), content_type="application/json", **api_auth(tinhkhe_reporter)
    )

    assert response.status_code == 403


def test_more_than_five_thousand_readings_are_refused_as_a_whole(client, office_admin, ioc_registry):
    readings = [pm25(1.0, minutes_ago=1 + i / 100) for i in range(5001)]
    response = client.post(
        URL, body(*readings), content_type="application/json", **ingest_token(office_admin)
    )

    assert response.status_code == 422
    assert response.json()["error"]["field"].startswith("readings")
    assert Reading.objects.count() == 0


def test_an_operator_lists_only_the_devices_of_its_unit_and_reads_their_series(client, vantuong_operator):
    client.post(
        URL,
        body(pm25(12.0, minutes_ago=10), pm25(14.0)),
        content_type="application/json",
        **ingest_token(vantuong_operator),
    )
    auth = api_auth(vantuong_operator)

    devices = client.get("/api/v1/ioc/devices", **auth).json()
    codes = [d["code"] for d in devices["items"]]
    readings = client.get("/api/v1/ioc/devices/aq-dungquat-01/metrics/pm25/readings?last_n=1", **auth).json()
    hourly = client.get(
        "/api/v1/ioc/devices/urn:ngsi-ld:Device:aq-dungquat-01/metrics/pm25/rollups?grain=1d", **auth
    )
    other = client.get("/api/v1/ioc/devices/wl-trakhuc-01", **auth)

    assert codes == ["aq-dungquat-01", "cam-vantuong-01"]
    dungquat = devices["items"][0]
    assert dungquat["id"] == "urn:ngsi-ld:Device:aq-dungquat-01"
    assert dungquat["state"] == "online"
    assert {m["code"]: m["last_value"] for m in dungquat["metrics"]}["pm25"] == 14.0
    assert [r["value"] for r in readings] == [14.0]
    assert hourly.status_code == 200
    assert sum(r["count"] for r in hourly.json()) == 2
    assert other.status_code == 404


def test_a_filter_outside_its_choices_is_named(client, office_admin, ioc_registry):
    response = client.get("/api/v1/ioc/devices?state=broken", **api_auth(office_admin))

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "state"
