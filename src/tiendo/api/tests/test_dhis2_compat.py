"""DHIS2 compatibility, endpoint by endpoint (docs/dhis2-compatibility.md names each test here)."""

import base64
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.core.uids import DEFAULT_COC_UID, is_uid, uid_for
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.datavaluesets.formats import CSV_COLUMNS
from tiendo.reporting.models import DataElement, DataSet, DataValue

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "django_language=en"}
CODES = {
    "dataSet": "T-XA-Q",
    "period": "2026Q1",
    "orgUnit": "21211",
    "dataValues": [
        {"dataElement": "T_LAN_OK", "value": "true"},
        {"dataElement": "T_TRAINED", "value": "12"},
        {"dataElement": "T_STAFF", "value": "40", "comment": "theo biên chế"},
    ],
}


@pytest.fixture
def auth(tinhkhe_reporter):
    token = base64.b64encode(b"tinhkhe.reporter:pw-tinhkhe.reporter").decode()
    return {"HTTP_AUTHORIZATION": "Basic " + token}


def post(client, body, query="", content_type="application/json", **headers):
    data = json.dumps(body) if isinstance(body, dict | list) else body
    return client.post("/api/dataValueSets" + query, data=data, content_type=content_type, **headers)


def export(client, auth, path="/api/dataValueSets", **params):
    query = {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211", **params}
    return client.get(path, query, **auth)


def uid(model, code):
    return model.objects.get(code=code).uid


# 1. system/info and me


def test_system_info_answers_what_dhis2_clients_read_on_connect(client, auth):
    body = client.get("/api/system/info", **auth).json()
    assert body["version"].startswith("2.") and int(body["version"].split(".")[1]) >= 38
    assert {"revision", "serverDate", "contextPath", "systemName", "calendar"} <= set(body)
    assert client.get("/api/system/info.json").status_code == 401


def test_me_describes_the_caller_with_units_and_authorities(client, auth):
    body = client.get("/api/me", **auth).json()
    assert body["username"] == "tinhkhe.reporter" and is_uid(body["id"])
    assert [u["code"] for u in body["organisationUnits"]] == ["21211"]
    assert body["organisationUnits"][0]["id"] == uid(OrgUnit, "21211")
    assert "F_DATAVALUE_ADD" in body["authorities"]


# 2. UIDs


def test_uids_are_dhis2_style_and_derived_from_the_code_so_every_install_agrees(small_forms):
    element = DataElement.objects.get(code="T_STAFF")
    unit = OrgUnit.objects.get(code="21211")
    form = DataSet.objects.get(code="T-XA-Q")
    assert element.uid == uid_for("dataelement", "T_STAFF")
    assert unit.uid == uid_for("orgunit", "21211")
    assert form.uid == uid_for("dataset", "T-XA-Q")
    for value in (element.uid, unit.uid, form.uid, uid_for("x", "y"), DEFAULT_COC_UID):
        assert is_uid(value) and len(value) == 11 and value[0].isalpha()
    assert len({e.uid for e in DataElement.objects.all()}) == DataElement.objects.count()


# 3. idScheme


def test_an_import_by_uid_the_default_id_scheme_lands(client, small_forms, auth):
    payload = {
        "dataSet": uid(DataSet, "T-XA-Q"),
        "period": "2026Q1",
        "orgUnit": uid(OrgUnit, "21211"),
        "dataValues": [
            {
                "dataElement": uid(DataElement, "T_STAFF"),
                "value": "40",
                "categoryOptionCombo": DEFAULT_COC_UID,
            }
        ],
    }
    response = post(client, payload, **auth)
    assert response.status_code == 200, response.json()
    assert DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211").value == 40


def test_an_explicit_uid_scheme_does_not_read_codes_and_names_the_unknown_identifier(
    client, small_forms, auth
):
    response = post(client, CODES, "?idScheme=UID", **auth, **ENGLISH)
    assert response.status_code == 409
    conflicts = {c["object"]: c for c in response.json()["response"]["conflicts"]}
    assert conflicts["T-XA-Q"]["property"] == "dataSet"
    assert conflicts["T_LAN_OK"]["property"] == "dataElement" and "T_LAN_OK" in conflicts["T_LAN_OK"]["value"]
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_the_name_scheme_reads_names_and_the_export_writes_them(client, small_forms, auth):
    payload = {
        "period": "2026Q1",
        "dataValues": [{"dataElement": "Tổng số cán bộ", "orgUnit": "21211", "value": "7"}],
    }
    response = post(client, payload, "?dataElementIdScheme=NAME&orgUnitIdScheme=CODE", **auth)
    assert response.status_code == 200, response.json()
    body = export(
        client, auth, dataElementIdScheme="NAME", orgUnitIdScheme="CODE", dataSetIdScheme="CODE"
    ).json()
    assert body["dataValues"][0]["dataElement"] == "Tổng số cán bộ"
    assert body["dataValues"][0]["orgUnit"] == "21211"


def test_the_export_writes_uids_by_default_and_codes_when_asked(client, small_forms, auth):
    post(client, CODES, **auth)
    by_uid = export(client, auth).json()
    assert by_uid["dataSet"] == uid(DataSet, "T-XA-Q")
    assert {v["dataElement"] for v in by_uid["dataValues"]} == {
        uid(DataElement, c) for c in ("T_LAN_OK", "T_TRAINED", "T_STAFF")
    }
    assert by_uid["dataValues"][0]["categoryOptionCombo"] == DEFAULT_COC_UID
    by_code = export(client, auth, idScheme="CODE").json()
    assert {v["dataElement"] for v in by_code["dataValues"]} == {"T_LAN_OK", "T_TRAINED", "T_STAFF"}


def test_an_unknown_id_scheme_or_combo_is_a_conflict_naming_it(client, small_forms, auth):
    response = post(client, CODES, "?idScheme=ATTRIBUTE:abc", **auth)
    assert response.status_code == 409 and response.json()["property"] == "idScheme"
    payload = {
        **CODES,
        "dataValues": [{"dataElement": "T_STAFF", "value": "1", "categoryOptionCombo": "male"}],
    }
    conflict = post(client, payload, **auth).json()["response"]["conflicts"][0]
    assert conflict["property"] == "categoryOptionCombo" and "male" in conflict["value"]


# 4. payloads and export formats


def test_an_xml_data_value_set_is_imported_and_exported_in_dhis2s_namespace(client, small_forms, auth):
    xml = """<?xml version="1.0" encoding="UTF-8"?>
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" dataSet="T-XA-Q" period="2026Q1" orgUnit="21211">
  <dataValue dataElement="T_STAFF" value="40" comment="biên chế"/>
  <dataValue dataElement="T_TRAINED"><value>12</value></dataValue>
</dataValueSet>"""
    response = post(client, xml, content_type="application/xml", **auth)
    assert response.status_code == 200, response.json()
    assert response.json()["response"]["importCount"]["imported"] == 2
    out = export(client, auth, path="/api/dataValueSets.xml", idScheme="CODE")
    assert out["Content-Type"].startswith("application/xml")
    text = out.content.decode()
    assert 'xmlns="http://dhis2.org/schema/dxf/2.0"' in text and 'dataElement="T_STAFF"' in text
    accept = export(client, {**auth, "HTTP_ACCEPT": "application/xml"}, idScheme="CODE")
    assert accept.content == out.content


def test_xml_with_an_entity_or_doctype_is_refused_before_it_is_read(client, small_forms, auth):
    bomb = """<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>
<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0"><dataValue dataElement="&b;" value="1"/></dataValueSet>"""
    response = post(client, bomb, content_type="application/xml", **auth, **ENGLISH)
    assert response.status_code == 400 and response.json()["property"] == "body"
    assert "DOCTYPE" in response.json()["message"]
    broken = post(client, "<dataValueSet", content_type="application/xml", **auth)
    assert broken.status_code == 400


def test_a_csv_in_dhis2s_column_order_is_imported_and_exported(client, small_forms, auth):
    csv = (
        "dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value,storedby,lastupdated,comment,followup\n"
        "T_STAFF,2026Q1,21211,,,40,,,từ CSV,false\n"
        "T_TRAINED,2026Q1,21211,HllvX50cXC0,HllvX50cXC0,12,,,,\n"
    )
    response = post(client, csv.encode(), "?idScheme=CODE", content_type="application/csv", **auth)
    assert response.status_code == 200, response.json()
    assert DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211").comment == "từ CSV"
    out = export(client, auth, path="/api/dataValueSets.csv", idScheme="CODE")
    lines = out.content.decode().splitlines()
    assert lines[0] == ",".join(CSV_COLUMNS)
    assert {line.split(",")[0] for line in lines[1:]} == {"T_STAFF", "T_TRAINED"}
    latin = post(client, "T_STAFF,2026Q1,21211,,,4,,,Đ\n".encode("utf-16"), content_type="text/csv", **auth)
    assert latin.status_code == 400


def test_a_body_of_another_type_is_refused_clearly(client, small_forms, auth):
    response = post(client, "dataValues", content_type="text/plain", **auth)
    assert response.status_code == 415 and "application/xml" in response.json()["message"]


# 5. export parameters


def test_start_and_end_dates_choose_the_periods_inside_them(client, small_forms, auth):
    post(client, CODES, **auth)
    inside = export(client, auth, period="", startDate="2026-01-01", endDate="2026-03-31", idScheme="CODE")
    assert len(inside.json()["dataValues"]) == 3
    outside = export(client, auth, period="", startDate="2026-04-01", endDate="2026-12-31")
    assert outside.json()["dataValues"] == []


def test_last_updated_and_its_duration_filter_by_when_a_value_was_stored(client, small_forms, auth):
    post(client, CODES, **auth)
    recent = export(client, auth, lastUpdatedDuration="2h").json()["dataValues"]
    assert len(recent) == 3
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    assert export(client, auth, lastUpdated=tomorrow).json()["dataValues"] == []


def test_include_deleted_returns_tombstones_of_deleted_values(client, small_forms, auth):
    post(client, CODES, **auth)
    post(client, {**CODES, "dataValues": [{"dataElement": "T_STAFF"}]}, "?importStrategy=DELETE", **auth)
    plain = export(client, auth, idScheme="CODE").json()["dataValues"]
    assert "T_STAFF" not in {v["dataElement"] for v in plain}
    with_deleted = export(client, auth, idScheme="CODE", includeDeleted="true").json()["dataValues"]
    tombstone = next(v for v in with_deleted if v["dataElement"] == "T_STAFF")
    assert tombstone["deleted"] is True and tombstone["value"] == "40"


def test_limit_caps_the_number_of_values(client, small_forms, auth):
    post(client, CODES, **auth)
    assert len(export(client, auth, limit="2").json()["dataValues"]) == 2


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"limit": "-1"}, "limit"),
        ({"lastUpdatedDuration": "ten days"}, "lastUpdatedDuration"),
        ({"startDate": "2026-01-01"}, "endDate"),
        ({"startDate": "2026-13-01", "endDate": "2026-12-31"}, "startDate"),
        ({"period": "2026Q9"}, "period"),
        ({"idScheme": "CODES"}, "idScheme"),
        ({"orgUnit": ""}, "orgUnit"),
    ],
)
def test_a_bad_export_parameter_is_a_409_web_message_naming_it(client, small_forms, auth, params, name):
    response = export(client, auth, **params)
    assert response.status_code == 409
    assert response.json()["property"] == name and response.json()["httpStatus"] == "Conflict"


# 6. async


def test_an_async_import_runs_as_a_job_whose_status_and_summary_can_be_read(
    client, small_forms, auth, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    started = post(client, CODES, "?async=true&idScheme=CODE", **auth).json()
    assert started["response"]["jobType"] == "DATAVALUE_IMPORT"
    endpoint = started["response"]["relativeNotifierEndpoint"]
    assert endpoint == "/api/system/tasks/DATAVALUE_IMPORT/" + started["response"]["id"]
    notes = client.get(endpoint, **auth).json()
    assert notes[0]["completed"] is True and notes[0]["level"] == "INFO"
    summary = client.get(endpoint.replace("/tasks/", "/taskSummaries/"), **auth).json()
    assert summary["status"] == "SUCCESS" and summary["importCount"]["imported"] == 3
    assert DataValue.objects.filter(unit__code="21211", period="2026Q1").count() == 3


def test_another_user_cannot_read_an_import_jobs_status(client, small_forms, auth, settings, other_viewer):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    endpoint = post(client, CODES, "?async=true", **auth).json()["response"]["relativeNotifierEndpoint"]
    other = base64.b64encode(b"other.viewer:pw-other.viewer").decode()
    assert client.get(endpoint, HTTP_AUTHORIZATION="Basic " + other).status_code == 404


# 7. dataValues and dataSets


def test_a_single_data_value_is_written_read_and_deleted(client, small_forms, auth):
    params = "?de=T_STAFF&pe=2026Q1&ou=21211"
    created = client.post("/api/dataValues" + params + "&value=40&comment=một", **auth)
    assert created.status_code == 201, created.content
    assert client.get("/api/dataValues" + params, **auth).json() == ["40"]
    by_uid = f"?de={uid(DataElement, 'T_STAFF')}&pe=2026Q1&ou={uid(OrgUnit, '21211')}"
    assert client.get("/api/dataValues.json" + by_uid, **auth).json() == ["40"]
    assert client.delete("/api/dataValues" + params, **auth).status_code == 204
    assert client.get("/api/dataValues" + params, **auth).status_code == 404
    assert client.delete("/api/dataValues" + params, **auth).status_code == 404


def test_a_single_data_value_with_a_bad_value_or_no_element_is_a_409(client, small_forms, auth):
    bad = client.post("/api/dataValues?de=T_STAFF&pe=2026Q1&ou=21211&value=nhiều", **auth)
    assert bad.status_code == 409 and bad.json()["property"] == "value"
    missing = client.post("/api/dataValues?pe=2026Q1&ou=21211&value=1", **auth)
    assert missing.status_code == 409 and missing.json()["property"] == "de"


def test_data_sets_are_listed_with_a_pager_and_chosen_fields(client, small_forms, auth):
    body = client.get("/api/dataSets.json", {"fields": "id,name,code", "pageSize": "1"}, **auth).json()
    assert body["pager"]["pageSize"] == 1 and body["pager"]["total"] == DataSet.objects.count()
    assert set(body["dataSets"][0]) == {"id", "name", "code"}
    every = client.get("/api/dataSets", {"paging": "false", "fields": "code"}, **auth).json()
    assert {"code": "T-XA-Q"} in every["dataSets"] and "pager" not in every
    assert client.get("/api/dataSets", {"page": "0"}, **auth).status_code == 400


def test_one_data_set_has_its_elements_and_units(client, small_forms, auth):
    form = DataSet.objects.get(code="T-XA-Q")
    body = client.get(f"/api/dataSets/{form.uid}", **auth).json()
    assert body["periodType"] == "Quarterly"
    assert {e["dataElement"]["code"] for e in body["dataSetElements"]} >= {"T_STAFF", "T_TRAINED"}
    assert uid(OrgUnit, "21211") in {u["id"] for u in body["organisationUnits"]}
    assert client.get("/api/dataSets/a0000000000", **auth).status_code == 404


# 8. atomicMode


def test_atomic_mode_none_writes_the_valid_values_and_lists_the_conflicts(client, small_forms, auth):
    payload = {**CODES, "dataValues": [*CODES["dataValues"], {"dataElement": "KHONG_CO", "value": "1"}]}
    refused = post(client, payload, "?idScheme=CODE", **auth)
    assert refused.status_code == 409 and not DataValue.objects.filter(unit__code="21211").exists()
    partial = post(client, payload, "?idScheme=CODE&atomicMode=NONE", **auth)
    body = partial.json()["response"]
    assert body["status"] == "WARNING" and body["importOptions"]["atomicMode"] == "NONE"
    assert body["importCount"] == {"imported": 3, "updated": 0, "ignored": 1, "deleted": 0}
    assert body["conflicts"] == [
        {
            "object": "KHONG_CO",
            "value": body["conflicts"][0]["value"],
            "errorCode": "E7610",
            "property": "dataElement",
            "indexes": [3],
        }
    ]
    assert DataValue.objects.filter(unit__code="21211", period="2026Q1").count() == 3
    assert post(client, payload, "?atomicMode=SOME", **auth).json()["response"]["conflicts"][0][
        "property"
    ] == ("atomicMode")


# 9. wrong shapes


@pytest.mark.parametrize(
    "body",
    [
        {"dataSet": ["x"]},
        {"dataSet": {"id": "x"}},
        {"period": ["2026Q1"], "dataValues": []},
        {"dataValues": [{"dataElement": ["T_STAFF"], "value": "1"}]},
        {"dataValues": [{"dataElement": "T_STAFF", "orgUnit": {"a": 1}}]},
        {"dataValues": "T_STAFF"},
        "not an object",
        [],
        None,
        17,
    ],
)
def test_every_wrong_json_shape_is_a_json_web_message_never_a_500(client, small_forms, auth, body):
    response = post(client, json.dumps(body), **auth)
    assert response.status_code in (400, 409)
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["status"] in ("ERROR", "WARNING")


# 10. OpenAPI


def test_the_dhis2_endpoints_are_in_the_openapi_document_with_their_answers(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    answers = paths["/api/dataValueSets"]["post"]["responses"]
    assert {"200", "400", "401", "403", "409", "413", "415"} <= set(answers)
    assert "404" in paths["/api/dataValues"]["delete"]["responses"]
    for path in ("/api/dataValues", "/api/dataSets", "/api/system/info", "/api/me"):
        assert path in paths
    parameters = {p["name"] for p in paths["/api/dataValueSets"]["get"]["parameters"]}
    assert {"idScheme", "startDate", "lastUpdatedDuration", "includeDeleted", "limit"} <= parameters


def test_a_value_marked_deleted_is_deleted_and_old_strategy_names_are_understood(client, small_forms, auth):
    assert post(client, CODES, "?importStrategy=NEW_AND_UPDATES", **auth).status_code == 200
    csv = "T_STAFF,2026Q1,21211,,,40,,,,,true\n"
    response = post(client, csv.encode(), "?firstRowIsHeader=false", content_type="application/csv", **auth)
    assert response.json()["response"]["importCount"]["deleted"] == 1
    assert not DataValue.objects.filter(data_element__code="T_STAFF").exists()


def test_a_body_over_the_limit_is_a_413_web_message(client, small_forms, auth, settings):
    settings.TIENDO_DATAVALUESETS_MAX_BYTES = 100
    xml = '<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0">' + "<dataValue/>" * 20 + "</dataValueSet>"
    response = post(client, xml, content_type="application/xml", **auth)
    assert response.status_code == 413 and response.json()["httpStatus"] == "Payload Too Large"


def test_an_export_naming_an_unknown_form_or_unit_is_a_409_naming_it(client, small_forms, auth):
    unknown_form = export(client, auth, dataSet="KHONG-CO", **ENGLISH)
    assert unknown_form.status_code == 409 and unknown_form.json()["property"] == "dataSet"
    assert "KHONG-CO" in unknown_form.json()["message"]
    by_uid_only = export(client, auth, orgUnit="21211", orgUnitIdScheme="UID")
    assert by_uid_only.status_code == 409 and by_uid_only.json()["property"] == "orgUnit"


def test_an_unknown_job_is_a_404_on_the_database_queue(client, auth):
    for job in ("nonsense", "00000000-0000-0000-0000-000000000000"):
        assert client.get(f"/api/system/tasks/DATAVALUE_IMPORT/{job}", **auth).status_code == 404
        assert client.get(f"/api/system/taskSummaries/DATAVALUE_IMPORT/{job}", **auth).status_code == 404


def test_text_no_database_stores_is_refused_not_a_500(client, small_forms, auth):
    nul = post(client, '{"dataValues": [{"dataElement": "T_STAFF\\u0000", "value": "1"}]}', **auth)
    surrogate = post(client, '{"dataSet": "\\ud800", "dataValues": []}', "?async=true", **auth)
    parameter = client.get("/api/dataValues?de=T%00&pe=2026Q1&ou=21211", **auth)
    job = client.get("/api/system/tasks/DATAVALUE_IMPORT/a%00b", **auth)
    csv = post(client, b"T_STAFF,2026Q1,21211,,,1\x00\n", content_type="application/csv", **auth)
    for response in (nul, surrogate, parameter, csv):
        assert response.status_code in (400, 409) and response.json()["status"] == "ERROR"
    assert job.status_code == 404 and job.json()["httpStatusCode"] == 404


def test_other_methods_are_a_405_and_flags_are_true_or_false(client, small_forms, auth):
    for path in ("/api/me", "/api/system/info", "/api/dataSets", "/api/dataValueSets", "/api/dataValues"):
        response = client.generic("PATCH", path, **auth)
        assert response.status_code == 405 and response.json()["httpStatus"] == "Method Not Allowed"
    assert post(client, CODES, "?dryRun=perhaps", **auth).json()["property"] == "dryRun"
    assert export(client, auth, children="").json()["property"] == "children"
    assert client.get("/api/dataSets/nope", **auth).json()["httpStatusCode"] == 404
