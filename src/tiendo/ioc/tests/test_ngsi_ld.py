from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.ioc.ingest import IncomingReading, readings_ingest
from tiendo.reporting.tests.credentials import api_auth

pytestmark = pytest.mark.django_db

LD = "application/ld+json"


@pytest.fixture
def pm25_readings(ioc_registry):
    now = timezone.now()
    readings_ingest(
        readings=[
            IncomingReading(
                device="aq-dungquat-01", metric="pm25", ts=now - timedelta(minutes=m), value=float(m)
            )
            for m in (30, 20, 10)
        ]
        + [
            IncomingReading(
                device="wl-trakhuc-01", metric="water_level", ts=now - timedelta(minutes=5), value=2.5
            )
        ],
        source="test",
        now=now,
    )
    return now


def test_devices_are_listed_as_ngsi_ld_devices_with_the_context_in_a_link_header(
    client, office_admin, pm25_readings
):
    response = client.get("/ngsi-ld/v1/entities?type=Device&limit=100&count=true", **api_auth(office_admin))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "ngsi-ld-core-context" in response["Link"]
    assert 'rel="http://www.w3.org/ns/json-ld#context"' in response["Link"]
    entities = response.json()
    assert response["NGSILD-Results-Count"] == str(len(entities)) == "12"
    station = next(e for e in entities if e["id"] == "urn:ngsi-ld:Device:aq-dungquat-01")
    assert station["type"] == "Device"
    assert station["controlledProperty"] == {"type": "Property", "value": ["airPollution"]}
    assert station["location"]["type"] == "GeoProperty"
    assert station["location"]["value"] == {"type": "Point", "coordinates": [108.796, 15.383]}
    assert station["pm25"]["value"] == 10.0
    assert station["pm25"]["unitCode"] == "GQ"
    assert station["dataProvider"]["value"] == "simulated"


def test_with_accept_ld_json_the_context_is_in_the_body(client, office_admin, pm25_readings):
    response = client.get(
        "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:aq-dungquat-01",
        HTTP_ACCEPT=LD,
        **api_auth(office_admin),
    )

    assert response.status_code == 200
    assert response["Content-Type"] == LD
    body = response.json()
    assert body["@context"][-1].endswith("ngsi-ld-core-context-v1.8.jsonld")
    assert any("dataModel.Environment" in url for url in body["@context"])
    assert body["pm25"]["value"] == 10.0
    assert body["refDevice"] == {"type": "Relationship", "object": "urn:ngsi-ld:Device:aq-dungquat-01"}


def test_the_last_n_readings_of_a_measurement_come_in_time_order(client, office_admin, pm25_readings):
    response = client.get(
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:DeviceMeasurement:aq-dungquat-01:pm25?lastN=2",
        **api_auth(office_admin),
    )

    assert response.status_code == 200
    instances = response.json()["numValue"]
    assert [i["value"] for i in instances] == [20.0, 10.0]
    assert all(i["unitCode"] == "GQ" and i["observedAt"].endswith("Z") for i in instances)

    simplified = client.get(
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:DeviceMeasurement:aq-dungquat-01:pm25"
        "?options=temporalValues&timerel=after&timeAt="
        + (pm25_readings - timedelta(minutes=25)).isoformat().replace("+00:00", "Z"),
        **api_auth(office_admin),
    ).json()
    assert [v for v, _at in simplified["numValue"]["values"]] == [20.0, 10.0]


def test_the_plans_indicators_are_key_performance_indicators(client, office_admin, pm25_readings):
    response = client.get(
        "/ngsi-ld/v1/entities?type=KeyPerformanceIndicator&limit=1000", **api_auth(office_admin)
    )

    kpis = response.json()
    assert len(kpis) > 30
    assert all(k["id"].startswith("urn:ngsi-ld:KeyPerformanceIndicator:") for k in kpis)
    one = client.get(
        f"/ngsi-ld/v1/entities/{kpis[0]['id']}?options=keyValues", **api_auth(office_admin)
    ).json()
    assert one["type"] == "KeyPerformanceIndicator"
    assert isinstance(one["businessTarget"], str)


def test_an_operator_does_not_see_another_units_devices_and_gets_resource_not_found(
    client, vantuong_operator, pm25_readings
):
    listed = client.get("/ngsi-ld/v1/entities?type=Device", **api_auth(vantuong_operator)).json()
    other = client.get("/ngsi-ld/v1/entities/urn:ngsi-ld:Device:wl-trakhuc-01", **api_auth(vantuong_operator))

    assert [e["id"] for e in listed] == [
        "urn:ngsi-ld:Device:aq-dungquat-01",
        "urn:ngsi-ld:Device:cam-vantuong-01",
    ]
    assert other.status_code == 404
    assert other.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/ResourceNotFound"


def test_a_query_without_type_or_id_and_bad_parameters_are_bad_request_data(
    client, office_admin, ioc_registry
):
    auth = api_auth(office_admin)
    for url in (
        "/ngsi-ld/v1/entities",
        "/ngsi-ld/v1/entities?type=Device&limit=-1",
        "/ngsi-ld/v1/entities?idPattern=(",
        "/ngsi-ld/v1/temporal/entities/urn:ngsi-ld:Device:aq-dungquat-01?timerel=between&timeAt=2026-01-01T00:00:00Z",
    ):
        response = client.get(url, **auth)
        assert response.status_code == 400, url
        assert response.json()["type"] == "https://uri.etsi.org/ngsi-ld/errors/BadRequestData"


def test_anonymous_callers_are_told_to_authenticate(client, ioc_registry):
    response = client.get("/ngsi-ld/v1/entities?type=Device")

    assert response.status_code == 401
    assert response.json()["type"].endswith("NotAuthorized")
