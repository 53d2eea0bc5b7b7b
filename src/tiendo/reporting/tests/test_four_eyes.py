"""Four eyes (issue 10): whoever submitted a report or entered its values never approves it — any
role, any path (service, page, API, dataValueSets) — unless the CĐS office named an exception for
the form; the exception is office-only, audited and shown on the form's page."""

import json

import pytest
from django.utils import translation

from tiendo.conftest import make_user
from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.reporting.models import DataSet, FourEyesException, Submission
from tiendo.reporting.services import (
    four_eyes_exception_grant,
    four_eyes_exception_revoke,
    submission_approve,
    submission_open,
    submission_return,
    submission_save,
    submission_submit,
)
from tiendo.reporting.tests.credentials import api_auth

pytestmark = pytest.mark.django_db

GOOD = {"T_LAN_OK": "có", "T_TRAINED": "10", "T_STAFF": "20"}
URL = "/reports/T-XA-Q/21211/2026Q1/"


@pytest.fixture(autouse=True)
def language_restored():
    """A request in English activates English in this thread; the next test starts as it found it."""
    with translation.override("vi"):
        yield


def auth(user) -> dict:
    return api_auth(user)


@pytest.fixture
def two_hats(shipped_data):
    """Reporter of Tịnh Khê and reviewer at the province above it: one person, both roles."""
    user = make_user("two.hats", "21211", Membership.Role.REPORTER)
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(code="51"), role=Membership.Role.REVIEWER)
    return user


def filled(actor, unit_code="21211"):
    draft = submission_open(
        actor=actor,
        dataset=DataSet.objects.get(code="T-XA-Q"),
        unit=OrgUnit.objects.get(code=unit_code),
        period="2026Q1",
    )
    return submission_save(actor=actor, submission=draft, values=GOOD, version=draft.version).submission


def sent(actor, unit_code="21211"):
    report = filled(actor, unit_code)
    return submission_submit(actor=actor, submission=report, version=report.version)


def refused(call) -> PermissionDeniedError:
    with pytest.raises(PermissionDeniedError) as caught:
        call()
    return caught.value


def test_an_office_admin_who_filled_and_submitted_a_report_cannot_approve_it(small_forms, office_admin):
    report = sent(office_admin)
    with translation.override("en"):
        error = refused(lambda: submission_approve(actor=office_admin, submission=report, version=None))
    assert error.code == "four_eyes" and "Four-eyes rule" in str(error.message)
    assert Submission.objects.get(pk=report.pk).status == "submitted"


def test_a_reporter_who_also_reviews_above_the_commune_cannot_approve_their_own_report(
    small_forms, two_hats, tinhkhe_reviewer
):
    report = sent(two_hats)
    assert refused(lambda: submission_approve(actor=two_hats, submission=report, version=None))
    approved = submission_approve(actor=tinhkhe_reviewer, submission=report, version=None)
    assert approved.status == "approved" and approved.decided_by == tinhkhe_reviewer


def test_whoever_entered_values_cannot_approve_even_when_someone_else_submitted(
    small_forms, office_admin, tinhkhe_reporter, skhcn_reviewer
):
    report = filled(office_admin)  # the office typed the figures for the commune
    report = submission_submit(actor=tinhkhe_reporter, submission=report, version=report.version)
    assert report.submitted_by == tinhkhe_reporter
    assert refused(lambda: submission_approve(actor=office_admin, submission=report, version=None))


def test_an_author_may_still_return_their_report(small_forms, two_hats):
    report = sent(two_hats)
    returned = submission_return(actor=two_hats, submission=report, version=None, reason="gõ nhầm")
    assert returned.status == "returned"


def test_the_page_hides_the_approve_button_from_an_author_and_refuses_the_post(
    client, small_forms, two_hats, tinhkhe_reviewer
):
    report = sent(two_hats)
    client.force_login(two_hats)
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    assert 'value="approve"' not in page and 'id="four-eyes-note"' in page
    response = client.post(URL + "action", {"action": "approve", "version": report.version})
    assert response.status_code == 403 and "Four-eyes rule" in response.content.decode()
    assert Submission.objects.get(pk=report.pk).status == "submitted"
    client.force_login(tinhkhe_reviewer)
    assert 'value="approve"' in client.get(URL).content.decode()


def test_the_api_refuses_an_author_with_the_rule_named(client, small_forms, two_hats):
    report = sent(two_hats)
    response = client.post(
        f"/api/v1/submissions/{report.pk}/approve",
        {"version": report.version},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="en",
        HTTP_COOKIE="django_language=en",
        **auth(two_hats),
    )
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "four_eyes" and "Four-eyes rule" in error["message"]


def test_a_report_completed_through_data_value_sets_cannot_be_approved_by_its_sender(
    client, small_forms, two_hats, tinhkhe_reviewer
):
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "completeDate": "2026-04-01",
        "dataValues": [{"dataElement": code, "value": value} for code, value in GOOD.items()],
    }
    payload["dataValues"][0]["value"] = "true"
    response = client.post(
        "/api/dataValueSets", data=json.dumps(payload), content_type="application/json", **auth(two_hats)
    )
    assert response.status_code == 200, response.content
    report = Submission.objects.get(unit__code="21211", period="2026Q1")
    assert report.status == "submitted" and report.submitted_by == two_hats
    approve = client.post(
        f"/api/v1/submissions/{report.pk}/approve",
        {"version": report.version},
        content_type="application/json",
        **auth(two_hats),
    )
    assert approve.status_code == 403 and approve.json()["error"]["code"] == "four_eyes"
    assert submission_approve(actor=tinhkhe_reviewer, submission=report, version=None).status == "approved"


def test_values_imported_through_data_value_sets_make_the_importer_an_author(
    client, small_forms, two_hats, tinhkhe_reporter
):
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [{"dataElement": "T_TRAINED", "value": "10"}],
    }
    client.post(
        "/api/dataValueSets", data=json.dumps(payload), content_type="application/json", **auth(two_hats)
    )
    report = Submission.objects.get(unit__code="21211", period="2026Q1")
    report = submission_save(actor=tinhkhe_reporter, submission=report, values=GOOD, version=None).submission
    report = submission_submit(actor=tinhkhe_reporter, submission=report, version=None)
    assert refused(lambda: submission_approve(actor=two_hats, submission=report, version=None))


def test_the_office_names_an_exception_for_a_one_person_commune_and_it_is_audited_and_shown(
    client, small_forms, office_admin, two_hats
):
    dataset, unit = DataSet.objects.get(code="T-XA-Q"), OrgUnit.objects.get(code="21211")
    exception = four_eyes_exception_grant(
        actor=office_admin, dataset=dataset, unit=unit, name="Xã chỉ có một công chức"
    )
    grant = AuditLog.objects.get(action="foureyes.exception.grant")
    assert grant.actor == office_admin and grant.changes["unit"] == "21211"
    report = sent(two_hats)
    approved = submission_approve(actor=two_hats, submission=report, version=None)
    assert approved.status == "approved"
    event = approved.events.get(action="approve")
    assert "Xã chỉ có một công chức" in event.reason  # the trail says why one person approved
    client.force_login(office_admin)
    page = client.get("/forms/T-XA-Q/").content.decode()
    assert 'id="four-eyes"' in page and "Xã chỉ có một công chức" in page
    four_eyes_exception_revoke(actor=office_admin, exception=exception)
    assert AuditLog.objects.filter(action="foureyes.exception.revoke").count() == 1
    assert not FourEyesException.objects.exists()


def test_an_exception_for_one_commune_does_not_cover_another(
    small_forms, office_admin, tinhkhe_reporter, shipped_data
):
    dataset = DataSet.objects.get(code="T-XA-Q")
    four_eyes_exception_grant(
        actor=office_admin, dataset=dataset, unit=OrgUnit.objects.get(code="21172"), name="Xã một người"
    )
    report = sent(office_admin)  # Tịnh Khê, not covered
    assert refused(lambda: submission_approve(actor=office_admin, submission=report, version=None))


def test_after_the_exception_is_revoked_the_rule_holds_again(small_forms, office_admin, two_hats):
    dataset = DataSet.objects.get(code="T-XA-Q")
    exception = four_eyes_exception_grant(actor=office_admin, dataset=dataset, name="Cả biểu")
    four_eyes_exception_revoke(actor=office_admin, exception=exception)
    report = sent(two_hats)
    assert refused(lambda: submission_approve(actor=two_hats, submission=report, version=None))


def test_only_the_office_grants_an_exception_and_it_needs_a_name(
    small_forms, office_admin, tinhkhe_reviewer, two_hats
):
    dataset = DataSet.objects.get(code="T-XA-Q")
    for persona in (tinhkhe_reviewer, two_hats):
        assert refused(lambda p=persona: four_eyes_exception_grant(actor=p, dataset=dataset, name="x"))
    from tiendo.core.exceptions import ApplicationError

    with pytest.raises(ApplicationError) as caught:
        four_eyes_exception_grant(actor=office_admin, dataset=dataset, name="  ")
    assert caught.value.field == "name"
    assert (
        not FourEyesException.objects.exists()
        and not AuditLog.objects.filter(action__startswith="foureyes").exists()
    )


def test_the_office_grants_and_withdraws_an_exception_from_the_form_page(
    client, small_forms, office_admin, tinhkhe_reviewer
):
    client.force_login(office_admin)
    page = client.get("/forms/T-XA-Q/").content.decode()
    assert 'id="four-eyes-grant"' in page
    client.post("/forms/T-XA-Q/four-eyes/", {"unit": "21211", "name": "Xã một công chức"})
    exception = FourEyesException.objects.get()
    assert (exception.unit.code, exception.name, exception.granted_by) == (
        "21211",
        "Xã một công chức",
        office_admin,
    )
    client.post("/forms/T-XA-Q/four-eyes/", {"revoke": str(exception.pk)})
    assert not FourEyesException.objects.exists()
    client.force_login(tinhkhe_reviewer)
    assert 'id="four-eyes-grant"' not in client.get("/forms/T-XA-Q/").content.decode()
    client.post("/forms/T-XA-Q/four-eyes/", {"name": "tự cho phép"})
    assert not FourEyesException.objects.exists()
