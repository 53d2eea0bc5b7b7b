import base64
import json
from decimal import Decimal

import pytest

from tiendo.api.auth import token_create
from tiendo.reporting.models import DataValue, Submission, SubmissionEvent

pytestmark = pytest.mark.django_db

PAYLOAD = {
    "dataSet": "T-XA-Q",
    "period": "2026Q1",
    "orgUnit": "21211",
    "dataValues": [
        {"dataElement": "T_LAN_OK", "value": "true"},
        {"dataElement": "T_TRAINED", "value": "12"},
        {"dataElement": "T_STAFF", "value": "40", "comment": "theo biên chế 2026"},
    ],
}


# the messages asserted in English (Vietnamese is the default): a client asks with Accept-Language
# (kept for /api/ by web.middleware once the API honours it) or the language cookie
ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en", "HTTP_COOKIE": "django_language=en"}


def basic(username: str, password: str) -> dict:
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def post(client, payload, query="", **headers):
    return client.post(
        "/api/dataValueSets" + query, data=json.dumps(payload), content_type="application/json", **headers
    )


@pytest.fixture
def reporter_auth(tinhkhe_reporter):
    return basic("tinhkhe.reporter", "pw-tinhkhe.reporter")


def test_a_reporter_imports_values_with_basic_auth_and_gets_an_import_summary(
    client, small_forms, reporter_auth
):
    response = post(client, PAYLOAD, **reporter_auth)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "OK"
    assert body["response"]["importCount"] == {"imported": 3, "updated": 0, "ignored": 0, "deleted": 0}
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211", period="2026Q1")
    assert submission.status == "draft"
    staff = DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211")
    assert (staff.value, staff.comment, staff.source, staff.submission) == (
        40,
        "theo biên chế 2026",
        "api",
        submission,
    )
    assert SubmissionEvent.objects.get(submission=submission, action="import").changes[0]["new"] == "1"


def test_sending_the_same_payload_again_changes_nothing(client, small_forms, reporter_auth):
    post(client, PAYLOAD, **reporter_auth)
    body = post(client, PAYLOAD, **reporter_auth).json()
    assert body["response"]["importCount"] == {"imported": 0, "updated": 0, "ignored": 3, "deleted": 0}
    assert SubmissionEvent.objects.filter(action="import").count() == 1


def test_a_dry_run_reports_what_would_happen_and_writes_nothing(client, small_forms, reporter_auth):
    body = post(client, PAYLOAD, "?dryRun=true", **reporter_auth).json()
    assert body["response"]["importCount"]["imported"] == 3
    assert body["response"]["importOptions"]["dryRun"] is True
    assert not DataValue.objects.filter(unit__code="21211").exists()
    assert not Submission.objects.filter(unit__code="21211").exists()


def test_one_bad_value_refuses_the_whole_request_with_a_reason_per_value(client, small_forms, reporter_auth):
    payload = {
        **PAYLOAD,
        "dataValues": [
            *PAYLOAD["dataValues"],
            {"dataElement": "T_TRAINED", "orgUnit": "21172", "value": "3"},
            {"dataElement": "KHONG_CO", "value": "1"},
            {"dataElement": "T_STAFF", "orgUnit": "21211", "period": "2026Q2", "value": "bốn mươi"},
        ],
    }
    response = post(client, payload, **reporter_auth, **ENGLISH)
    assert response.status_code == 409
    body = response.json()
    assert body["status"] == "ERROR" and body["response"]["status"] == "ERROR"
    conflicts = body["response"]["conflicts"]
    assert [c["indexes"] for c in conflicts] == [[3], [4], [5]]
    assert "no permission to write data for 21172" in conflicts[0]["value"]
    assert "data element not found: KHONG_CO" in conflicts[1]["value"]
    assert "is not a number" in conflicts[2]["value"]
    assert body["response"]["importCount"]["ignored"] == 6
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_complete_date_submits_the_report_and_validation_can_refuse_it(client, small_forms, reporter_auth):
    bad = {
        **PAYLOAD,
        "completeDate": "2026-04-01",
        "dataValues": [
            {"dataElement": "T_TRAINED", "value": "50"},
            {"dataElement": "T_STAFF", "value": "40"},
        ],
    }
    refused = post(client, bad, **reporter_auth)
    assert refused.status_code == 409
    assert any("T-R1" in c["value"] for c in refused.json()["response"]["conflicts"])
    assert not DataValue.objects.filter(unit__code="21211").exists()
    done = post(client, {**PAYLOAD, "completeDate": "2026-04-01"}, **reporter_auth)
    assert done.status_code == 200
    assert Submission.objects.get(unit__code="21211").status == "submitted"
    again = post(client, {**PAYLOAD, "completeDate": "2026-04-01"}, **reporter_auth)
    assert again.status_code == 200  # a retry of the same request is harmless
    assert again.json()["response"]["importCount"] == {
        "imported": 0,
        "updated": 0,
        "ignored": 3,
        "deleted": 0,
    }
    changed = {**PAYLOAD, "dataValues": [{"dataElement": "T_STAFF", "value": "41"}]}
    locked = post(client, changed, **reporter_auth, **ENGLISH)
    assert locked.status_code == 409 and "locked" in locked.json()["response"]["conflicts"][0]["value"]


def test_a_personal_access_token_authenticates_and_its_scope_is_enforced(
    client, small_forms, tinhkhe_reporter
):
    read_only = token_create(actor=None, user=tinhkhe_reporter, name="xem", scopes=["read"])
    writer = token_create(actor=None, user=tinhkhe_reporter, name="LGSP", scopes=["read", "write"])
    assert post(client, PAYLOAD, HTTP_AUTHORIZATION=f"ApiToken {read_only}").status_code == 403
    assert post(client, PAYLOAD, HTTP_AUTHORIZATION=f"ApiToken {writer}").status_code == 200
    assert post(client, PAYLOAD, HTTP_AUTHORIZATION="ApiToken d2pat_wrong").status_code == 401


def test_no_credentials_or_a_wrong_password_is_a_401(client, small_forms, tinhkhe_reporter):
    assert post(client, PAYLOAD).status_code == 401
    response = post(client, PAYLOAD, **basic("tinhkhe.reporter", "sai"))
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Basic")


def test_export_returns_values_as_strings_in_dhis2_shape(client, small_forms, reporter_auth):
    post(client, PAYLOAD, **reporter_auth)
    body = client.get(
        "/api/dataValueSets.json",
        {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211", "idScheme": "CODE"},
        **reporter_auth,
    ).json()
    values = {v["dataElement"]: v["value"] for v in body["dataValues"]}
    assert values == {"T_LAN_OK": "true", "T_TRAINED": "12", "T_STAFF": "40"}
    assert body["dataValues"][0]["orgUnit"] == "21211"


def test_another_communes_user_cannot_export_unapproved_values(
    client, small_forms, reporter_auth, other_viewer
):
    post(client, PAYLOAD, **reporter_auth)
    body = client.get(
        "/api/dataValueSets",
        {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211"},
        **basic("other.viewer", "pw-other.viewer"),
    ).json()
    assert body["dataValues"] == []


def test_a_body_that_is_not_json_is_a_400(client, small_forms, reporter_auth):
    response = client.post(
        "/api/dataValueSets", data="{oops", content_type="application/json", **reporter_auth, **ENGLISH
    )
    assert response.status_code == 400 and "invalid JSON" in response.json()["message"]


def test_the_same_value_twice_in_one_request_is_a_conflict_not_a_guess(client, small_forms, reporter_auth):
    payload = {
        **PAYLOAD,
        "dataValues": [{"dataElement": "T_STAFF", "value": "40"}, {"dataElement": "T_STAFF", "value": "41"}],
    }
    response = post(client, payload, **reporter_auth, **ENGLISH)
    assert response.status_code == 409
    conflict = response.json()["response"]["conflicts"][0]
    assert conflict["indexes"] == [1] and "repeated in this request (first at index 0)" in conflict["value"]
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_a_comment_alone_is_stored_and_an_absent_comment_keeps_the_existing_one(
    client, small_forms, reporter_auth
):
    post(client, PAYLOAD, **reporter_auth)
    post(client, {**PAYLOAD, "dataValues": [{"dataElement": "T_STAFF", "value": "42"}]}, **reporter_auth)
    staff = DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211")
    assert (staff.value, staff.comment) == (42, "theo biên chế 2026")
    body = post(
        client,
        {**PAYLOAD, "dataValues": [{"dataElement": "T_TRAINED", "comment": "chưa có số"}]},
        **reporter_auth,
    ).json()
    assert body["response"]["importCount"]["updated"] == 1
    trained = DataValue.objects.get(data_element__code="T_TRAINED", unit__code="21211")
    assert (trained.value, trained.comment) == (None, "chưa có số")


def test_an_api_decimal_with_three_places_is_not_read_as_thousands(client, small_forms, reporter_auth):
    # "2.500" is 2.5, which T_STAFF (an integer element) refuses (issue 10); never 2500
    response = post(
        client,
        {**PAYLOAD, "dataValues": [{"dataElement": "T_STAFF", "value": "2.500"}]},
        **reporter_auth,
        **ENGLISH,
    )
    assert "“2.500” is not valid: must be an integer" in response.json()["response"]["conflicts"][0]["value"]
    post(client, {**PAYLOAD, "dataValues": [{"dataElement": "T_STAFF", "value": "2.000"}]}, **reporter_auth)
    assert DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211").value == Decimal("2")


def test_delete_and_update_strategies_do_not_create_empty_reports(client, small_forms, reporter_auth):
    assert (
        post(client, PAYLOAD, "?importStrategy=UPDATE", **reporter_auth).json()["response"]["importCount"][
            "ignored"
        ]
        == 3
    )
    assert (
        post(client, PAYLOAD, "?importStrategy=DELETE", **reporter_auth).json()["response"]["importCount"][
            "ignored"
        ]
        == 3
    )
    assert not Submission.objects.filter(unit__code="21211").exists()
    post(client, PAYLOAD, **reporter_auth)
    assert (
        post(client, PAYLOAD, "?importStrategy=DELETE", **reporter_auth).json()["response"]["importCount"][
            "deleted"
        ]
        == 3
    )


def test_conflicts_speak_the_requests_language_vietnamese_by_default(client, small_forms, reporter_auth):
    payload = {**PAYLOAD, "dataValues": [{"dataElement": "KHONG_CO", "value": "1"}]}
    vietnamese = post(client, payload, **reporter_auth).json()["response"]["conflicts"][0]["value"]
    english = post(client, payload, **reporter_auth, **ENGLISH).json()["response"]["conflicts"][0]["value"]
    assert vietnamese == "Chỉ số không tồn tại: KHONG_CO"
    assert english == "data element not found: KHONG_CO"


def test_a_body_that_is_not_a_data_value_set_is_refused_whole(client, small_forms, reporter_auth):
    for body in ([1, 2], {"dataValues": {"dataElement": "T_STAFF"}}, {"dataValues": None}):
        response = post(client, body, **reporter_auth, **ENGLISH)
        assert response.status_code == 409
        conflict = response.json()["response"]["conflicts"][0]
        assert conflict["object"] == "dataValues" and "the body must be" in conflict["value"]
    entry = post(client, {**PAYLOAD, "dataValues": ["T_STAFF"]}, **reporter_auth, **ENGLISH)
    assert entry.json()["response"]["conflicts"][0] == {
        "object": "dataValues",
        "value": "each value must be an object whose fields are texts",
        "errorCode": "E7619",
        "property": "dataValues",
        "indexes": [0],
    }
