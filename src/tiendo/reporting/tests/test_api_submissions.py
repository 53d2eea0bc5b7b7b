import pytest

from tiendo.api.auth import token_create
from tiendo.reporting.tests.credentials import api_auth

pytestmark = pytest.mark.django_db


def auth(user) -> dict:
    return api_auth(user)


def test_forms_and_their_periods_with_cut_off_and_deadline(client, small_forms):
    forms = client.get("/api/v1/forms").json()["items"]
    assert "T-XA-Q" in [f["code"] for f in forms]
    detail = client.get("/api/v1/forms/T-XA-Q").json()
    assert [e["code"] for e in detail["elements"]] == ["T_LAN_OK", "T_TRAINED", "T_STAFF", "T_NOTE"]
    periods = client.get("/api/v1/forms/T-XA-Q/periods", {"year": 2026}).json()
    assert periods[0] == {
        "id": "2026Q1",
        "label": "Quý 1/2026",
        "start": "2026-01-01",
        "end": "2026-03-31",
        "cutoff_start": "2025-12-15",
        "cutoff_end": "2026-03-14",
        "deadline": "2026-03-20",
    }


def test_the_whole_workflow_through_the_api(client, small_forms, tinhkhe_reporter, tinhkhe_reviewer):
    created = client.post(
        "/api/v1/submissions",
        {"form": "T-XA-Q", "unit": "21211", "period": "2026Q1"},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    )
    assert created.status_code == 201
    submission = created.json()
    url = f"/api/v1/submissions/{submission['id']}"
    saved = client.put(
        url + "/values",
        {"version": submission["version"], "values": {"T_LAN_OK": "1", "T_TRAINED": 12, "T_STAFF": "40"}},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    )
    assert saved.status_code == 200
    body = saved.json()
    assert {v["element"]: v["value"] for v in body["values"]} == {
        "T_LAN_OK": "1",
        "T_TRAINED": "12",
        "T_STAFF": "40",
    }
    assert body["violations"] == []
    submitted = client.post(
        url + "/submit",
        {"version": body["version"]},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    ).json()
    assert submitted["status"] == "submitted"
    refused = client.post(
        url + "/approve",
        {"version": submitted["version"]},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    )
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"
    approved = client.post(
        url + "/approve",
        {"version": submitted["version"]},
        content_type="application/json",
        **auth(tinhkhe_reviewer),
    ).json()
    assert approved["status"] == "approved"
    trail = client.get(url, **auth(tinhkhe_reviewer)).json()["events"]
    assert [e["action"] for e in trail] == ["create", "save", "submit", "approve"]


def test_a_stale_version_is_a_409_and_invalid_values_a_422_with_every_violation(
    client, small_forms, tinhkhe_reporter
):
    submission = client.post(
        "/api/v1/submissions",
        {"form": "T-XA-Q", "unit": "21211", "period": "2026Q1"},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    ).json()
    url = f"/api/v1/submissions/{submission['id']}"
    client.put(
        url + "/values",
        {"version": submission["version"], "values": {"T_TRAINED": 50, "T_STAFF": 40}},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    )
    stale = client.put(
        url + "/values",
        {"version": submission["version"], "values": {"T_STAFF": 60}},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    )
    assert stale.status_code == 409 and stale.json()["error"]["code"] == "conflict"
    current = client.get(url, **auth(tinhkhe_reporter)).json()
    invalid = client.post(
        url + "/submit",
        {"version": current["version"]},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    )
    assert invalid.status_code == 422
    violations = invalid.json()["error"]["violations"]
    assert {v["element"] or v["rule"] for v in violations} == {"T_LAN_OK", "T-R1"}


def test_another_communes_user_cannot_see_the_submission(client, small_forms, tinhkhe_reporter, other_viewer):
    submission = client.post(
        "/api/v1/submissions",
        {"form": "T-XA-Q", "unit": "21211", "period": "2026Q1"},
        content_type="application/json",
        **auth(tinhkhe_reporter),
    ).json()
    response = client.get(f"/api/v1/submissions/{submission['id']}", **auth(other_viewer))
    assert response.status_code == 404
    assert client.get("/api/v1/submissions", **auth(other_viewer)).json()["count"] == 0


def test_submissions_need_authentication_and_a_read_only_token_cannot_write(
    client, small_forms, tinhkhe_reporter
):
    assert client.get("/api/v1/submissions").status_code == 401
    token = token_create(actor=None, user=tinhkhe_reporter, name="xem", scopes=["read"])
    response = client.post(
        "/api/v1/submissions",
        {"form": "T-XA-Q", "unit": "21211", "period": "2026Q1"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiToken {token}",
    )
    assert response.status_code == 403


def test_a_browser_session_needs_the_csrf_token_to_write(small_forms, tinhkhe_reporter):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(tinhkhe_reporter)
    assert client.get("/api/v1/submissions").status_code == 200
    response = client.post(
        "/api/v1/submissions",
        {"form": "T-XA-Q", "unit": "21211", "period": "2026Q1"},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "CSRF" in response.json()["error"]["message"]


def test_listing_submissions_takes_a_fixed_number_of_queries(
    client, small_forms, office_admin, django_assert_max_num_queries
):
    from tiendo.orgunits.models import OrgUnit
    from tiendo.reporting.models import DataSet
    from tiendo.reporting.services import submission_open

    dataset = DataSet.objects.get(code="T-XA-Q")
    for unit in OrgUnit.objects.filter(kind="commune")[:20]:
        submission_open(actor=office_admin, dataset=dataset, unit=unit, period="2026Q1")
    client.force_login(office_admin)
    with django_assert_max_num_queries(8):
        assert client.get("/api/v1/submissions").json()["count"] == 20
