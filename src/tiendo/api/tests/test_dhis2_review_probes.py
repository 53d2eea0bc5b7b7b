"""Review probes where four eyes meets the DHIS2 API (issue 10, items 4 and 5): each test is an
attack or an integrator's mistake that must fail safely."""

import json
from xml.etree.ElementTree import fromstring

import pytest
from django.utils import translation

from tiendo.conftest import make_user
from tiendo.core.exceptions import PermissionDeniedError
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.reporting.datavaluesets.jobs import datavalueset_import_job
from tiendo.reporting.models import DataValue, Submission
from tiendo.reporting.services import submission_approve, submission_save, submission_submit
from tiendo.reporting.tests.credentials import api_auth
from tiendo.reporting.tests.test_submission_workflow import submitted

pytestmark = pytest.mark.django_db

KEY = "?de=T_STAFF&pe=2026Q1&ou=21211"


@pytest.fixture(autouse=True)
def language_restored():
    with translation.override("vi"):
        yield


def basic(user) -> dict:
    return api_auth(user)


@pytest.fixture
def approved(small_forms, tinhkhe_reporter, tinhkhe_reviewer):
    return submission_approve(actor=tinhkhe_reviewer, submission=submitted(tinhkhe_reporter), version=None)


def staff() -> DataValue:
    return DataValue.objects.get(data_element__code="T_STAFF", unit__code="21211", period="2026Q1")


def post_set(client, payload, query="", **headers):
    return client.post(
        "/api/dataValueSets" + query, data=json.dumps(payload), content_type="application/json", **headers
    )


def test_a_delete_on_data_values_of_an_approved_value_is_refused_and_the_value_stays(
    client, approved, tinhkhe_reporter
):
    before = staff().value
    response = client.delete("/api/dataValues" + KEY, **basic(tinhkhe_reporter))
    assert response.status_code == 409 and response.json()["errorCode"] == "E7645"
    assert staff().value == before


def test_a_post_on_data_values_cannot_change_an_approved_value(client, approved, tinhkhe_reporter):
    response = client.post("/api/dataValues" + KEY + "&value=99", **basic(tinhkhe_reporter))
    assert response.status_code == 409
    assert staff().value == 20


def test_deleted_true_with_atomic_mode_none_cannot_remove_an_approved_value(
    client, approved, tinhkhe_reporter
):
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [{"dataElement": "T_STAFF", "value": "20", "deleted": True}],
    }
    response = post_set(client, payload, "?atomicMode=NONE", **basic(tinhkhe_reporter))
    assert response.status_code == 409
    assert response.json()["response"]["importCount"]["deleted"] == 0
    assert staff().value == 20


def test_an_async_import_makes_its_starter_an_author_who_cannot_approve(
    client, small_forms, tinhkhe_reporter, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    two_hats = make_user("two.hats", "21211", Membership.Role.REPORTER)
    Membership.objects.create(
        user=two_hats, unit=OrgUnit.objects.get(code="51"), role=Membership.Role.REVIEWER
    )
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [{"dataElement": "T_TRAINED", "value": "10"}],
    }
    assert post_set(client, payload, "?async=true", **basic(two_hats)).status_code == 200
    report = Submission.objects.get(unit__code="21211", period="2026Q1")
    values = {"T_LAN_OK": "có", "T_TRAINED": "10", "T_STAFF": "20"}
    report = submission_save(
        actor=tinhkhe_reporter, submission=report, values=values, version=None
    ).submission
    report = submission_submit(actor=tinhkhe_reporter, submission=report, version=None)
    with pytest.raises(PermissionDeniedError):
        submission_approve(actor=two_hats, submission=report, version=None)


def test_a_queued_import_of_a_user_deactivated_before_it_runs_writes_nothing(small_forms, tinhkhe_reporter):
    tinhkhe_reporter.is_active = False
    tinhkhe_reporter.save()
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [{"dataElement": "T_STAFF", "value": "5"}],
    }
    options = {
        "dry_run": False,
        "strategy": "CREATE_AND_UPDATE",
        "atomic": "ALL",
        "id_schemes": {"data_element": "AUTO", "org_unit": "AUTO", "data_set": "AUTO"},
    }
    summary = datavalueset_import_job.call(user_id=tinhkhe_reporter.pk, payload=payload, options=options)
    assert summary["status"] == "ERROR"
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_a_single_value_of_another_unit_is_a_404(client, approved, other_viewer):
    assert client.get("/api/dataValues" + KEY, **basic(other_viewer)).status_code == 404


def test_an_export_of_another_units_values_is_empty(client, approved, other_viewer):
    query = {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211"}
    response = client.get("/api/dataValueSets", query, **basic(other_viewer))
    assert response.status_code == 200 and response.json()["dataValues"] == []


def test_a_deeply_nested_json_body_is_a_400_not_a_500(client, small_forms, tinhkhe_reporter):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(
        "/api/dataValueSets", data=body, content_type="application/json", **basic(tinhkhe_reporter)
    )
    assert response.status_code == 400


def test_the_xml_export_stays_well_formed_when_a_comment_holds_a_control_character(
    client, small_forms, tinhkhe_reporter
):
    created = client.post("/api/dataValues" + KEY + "&value=4&comment=a%01b", **basic(tinhkhe_reporter))
    assert created.status_code == 201
    query = {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211"}
    body = client.get("/api/dataValueSets.xml", query, **basic(tinhkhe_reporter)).content
    root = fromstring(body)
    assert len(list(root)) == 1


def test_a_csv_export_neutralises_a_comment_that_a_spreadsheet_would_run_as_a_formula(
    client, small_forms, tinhkhe_reporter
):
    formula = '=HYPERLINK("http://evil.example","x")'
    created = client.post(
        "/api/dataValues" + KEY, {"value": "4", "comment": formula}, **basic(tinhkhe_reporter)
    )
    assert created.status_code == 201, created.content
    query = {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211"}
    text = client.get("/api/dataValueSets.csv", query, **basic(tinhkhe_reporter)).content.decode()
    cells = [cell for line in text.splitlines()[1:] for cell in line.split(",")]
    assert not any(cell.lstrip('"').startswith(("=", "+", "@")) for cell in cells), text


def test_numbers_keep_their_minus_sign_in_a_csv_export_while_formula_like_text_is_quoted():
    from tiendo.reporting.datavaluesets.formats import csv_render

    text = csv_render(
        {"dataValues": [{"value": "-5", "comment": "-x"}, {"value": "@SUM(A1)", "comment": "+1"}]}
    )
    rows = text.splitlines()[1:]
    assert rows[0].split(",")[5] == "-5" and rows[0].split(",")[8] == "'-x"
    assert rows[1].split(",")[5] == "'@SUM(A1)" and rows[1].split(",")[8] == "'+1"


def test_an_adx_body_is_a_409_naming_the_root_element(client, small_forms, tinhkhe_reporter):
    adx = '<adx xmlns="urn:ihe:qrph:adx:2015"><group dataSet="T-XA-Q" orgUnit="21211" period="2026Q1"/></adx>'
    response = client.post(
        "/api/dataValueSets", data=adx, content_type="application/adx+xml", **basic(tinhkhe_reporter)
    )
    assert response.status_code == 409 and response.json()["property"] == "body"
    assert "dataValueSet" in response.json()["message"]


def test_skip_audit_is_ignored_and_the_import_is_still_audited(client, small_forms, tinhkhe_reporter):
    from tiendo.core.models import AuditLog

    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [{"dataElement": "T_STAFF", "value": "7"}],
    }
    query = "?skipAudit=true&preheatCache=true&skipExistingCheck=true&force=true"
    assert post_set(client, payload, query, **basic(tinhkhe_reporter)).status_code == 200
    assert AuditLog.objects.filter(action="datavalueset.import").count() == 1


def test_a_session_write_to_data_values_without_csrf_is_refused(small_forms, tinhkhe_reporter):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(tinhkhe_reporter)
    response = browser.post("/api/dataValues" + KEY + "&value=9")
    assert response.status_code == 403
    assert not DataValue.objects.filter(unit__code="21211").exists()


def test_a_stored_by_in_the_payload_does_not_hide_who_imported(client, small_forms, tinhkhe_reporter):
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [{"dataElement": "T_STAFF", "value": "7", "storedBy": "someone.else"}],
    }
    assert post_set(client, payload, **basic(tinhkhe_reporter)).status_code == 200
    report = Submission.objects.get(unit__code="21211", period="2026Q1")
    assert report.events.get(action="import").actor == tinhkhe_reporter
    assert staff().stored_by == tinhkhe_reporter
