"""An approved value cannot be changed in the admin (nor by any other path) without reopening the
report, and every admin change lands in the report's trail (issue 10)."""

from decimal import Decimal

import pytest

from tiendo.conftest import make_user
from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.reporting.models import DataValue, Submission
from tiendo.reporting.services import (
    datavalue_admin_save,
    submission_approve,
    submission_reopen,
)
from tiendo.reporting.tests.test_submission_workflow import open_draft, submitted

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser(shipped_data):
    return make_user("root", None, None, superuser=True)


@pytest.fixture
def approved(small_forms, tinhkhe_reporter, tinhkhe_reviewer):
    return submission_approve(actor=tinhkhe_reviewer, submission=submitted(tinhkhe_reporter), version=None)


def staff_of(report) -> DataValue:
    return DataValue.objects.get(submission=report, data_element__code="T_STAFF")


def change_url(value) -> str:
    return f"/admin/reporting/datavalue/{value.pk}/change/"


def form_data(stored, **changes) -> dict:
    value = stored
    data = {
        "data_element": value.data_element_id,
        "unit": value.unit_id,
        "period": value.period,
        "value": str(value.value),
        "text_value": value.text_value,
        "source": value.source,
        "source_detail": value.source_detail,
        "submission": value.submission_id or "",
        "comment": value.comment,
    }
    return {**data, **changes}


def test_the_admin_shows_an_approved_value_read_only_and_refuses_a_change(client, superuser, approved):
    value = staff_of(approved)
    client.force_login(superuser)
    page = client.get(change_url(value))
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()
    response = client.post(change_url(value), form_data(value, value="999"))
    assert response.status_code == 403
    assert staff_of(approved).value == 20
    assert Submission.objects.get(pk=approved.pk).status == "approved"
    delete = client.post(f"/admin/reporting/datavalue/{value.pk}/delete/", {"post": "yes"})
    assert delete.status_code == 403 and DataValue.objects.filter(pk=value.pk).exists()


def test_the_model_refuses_to_change_or_delete_a_value_of_an_approved_report(approved):
    value = staff_of(approved)
    value.value = 999
    with pytest.raises(ApplicationError) as caught:
        value.save()
    assert caught.value.code == "locked"
    with pytest.raises(ApplicationError):
        staff_of(approved).delete()
    with pytest.raises(ApplicationError):  # nor slipped in as a new value of the approved report
        DataValue.objects.create(
            data_element=value.data_element,
            unit=value.unit,
            period="2026Q2",
            value=1,
            source="manual",
            submission=approved,
        )
    assert staff_of(approved).value == 20


def test_after_reopening_an_admin_change_lands_in_the_reports_trail_and_the_audit(
    client, superuser, approved, office_admin
):
    reopened = submission_reopen(actor=office_admin, submission=approved, version=None, reason="sai số")
    value = staff_of(reopened)
    client.force_login(superuser)
    response = client.post(change_url(value), form_data(value, value="25"))
    assert response.status_code == 302, response.content.decode()[:2000]
    assert staff_of(reopened).value == 25
    event = reopened.events.get(action="admin")
    assert event.actor == superuser and event.changes == [{"element": "T_STAFF", "old": "20", "new": "25"}]
    audit = AuditLog.objects.get(action="datavalue.update.admin")
    assert audit.actor == superuser and audit.changes["new"] == "25"
    assert AuditLog.objects.filter(action="submission.admin", object_id=str(reopened.pk)).count() == 1
    assert Submission.objects.get(pk=reopened.pk).version > reopened.version


def test_the_admin_editor_becomes_an_author_who_cannot_approve(approved, office_admin, tinhkhe_reporter):
    from tiendo.reporting.services import submission_submit

    reopened = submission_reopen(actor=office_admin, submission=approved, version=None, reason="sai số")
    value = staff_of(reopened)
    value.value = Decimal(30)
    datavalue_admin_save(actor=office_admin, value=value, changed=["value"])
    report = submission_submit(actor=tinhkhe_reporter, submission=reopened, version=None)
    with pytest.raises(PermissionDeniedError):
        submission_approve(actor=office_admin, submission=report, version=None)


def test_a_submitted_report_is_also_read_only_in_the_admin(client, superuser, small_forms, tinhkhe_reporter):
    report = submitted(tinhkhe_reporter)
    value = staff_of(report)
    client.force_login(superuser)
    assert client.post(change_url(value), form_data(value, value="999")).status_code == 403
    with pytest.raises(ApplicationError):
        datavalue_admin_save(actor=superuser, value=value, changed=["value"])


def test_only_the_office_edits_through_the_admin_service(small_forms, tinhkhe_reporter):
    draft = open_draft(tinhkhe_reporter)
    from tiendo.reporting.services import submission_save

    submission_save(actor=tinhkhe_reporter, submission=draft, values={"T_STAFF": "20"}, version=None)
    value = staff_of(draft)
    with pytest.raises(PermissionDeniedError):
        datavalue_admin_save(actor=tinhkhe_reporter, value=value, changed=["value"])


def test_a_value_without_a_report_cannot_be_slipped_into_an_empty_cell_of_an_approved_report(
    approved, office_admin
):
    """The report shows every value of its form, unit and period, owned or not: an unowned value
    added to an empty cell would change the approved figures outside its trail."""
    from tiendo.reporting.models import DataElement
    from tiendo.reporting.selectors import current_values

    note = DataValue(
        data_element=DataElement.objects.get(code="T_NOTE"),
        unit=approved.unit,
        period=approved.period,
        text_value="thêm sau khi duyệt",
        source="manual",
    )
    with pytest.raises(ApplicationError) as caught:
        datavalue_admin_save(actor=office_admin, value=note, changed=["text_value"])
    assert caught.value.code == "locked"
    with pytest.raises(ApplicationError):
        note.save()
    assert "T_NOTE" not in current_values(approved)


def test_an_unowned_value_added_to_a_draft_lands_in_its_trail_and_makes_the_editor_an_author(
    small_forms, office_admin, tinhkhe_reporter
):
    from tiendo.reporting.models import DataElement
    from tiendo.reporting.services import submission_save, submission_submit

    draft = open_draft(tinhkhe_reporter)
    values = {"T_LAN_OK": "có", "T_TRAINED": "10", "T_STAFF": "20"}
    draft = submission_save(actor=tinhkhe_reporter, submission=draft, values=values, version=None).submission
    note = DataValue(
        data_element=DataElement.objects.get(code="T_NOTE"),
        unit=draft.unit,
        period=draft.period,
        text_value="văn phòng ghi",
        source="manual",
    )
    datavalue_admin_save(actor=office_admin, value=note, changed=["text_value"])
    assert draft.events.filter(action="admin", actor=office_admin).exists()
    report = submission_submit(actor=tinhkhe_reporter, submission=draft, version=None)
    with pytest.raises(PermissionDeniedError):
        submission_approve(actor=office_admin, submission=report, version=None)


def test_a_value_deleted_in_the_admin_is_exported_as_a_tombstone(client, approved, office_admin):

    from tiendo.reporting.services import datavalue_admin_delete

    reopened = submission_reopen(actor=office_admin, submission=approved, version=None, reason="sai số")
    datavalue_admin_delete(actor=office_admin, value=staff_of(reopened))
    from tiendo.reporting.tests.credentials import api_auth

    query = {"dataSet": "T-XA-Q", "period": "2026Q1", "orgUnit": "21211", "includeDeleted": "true"}
    body = client.get("/api/dataValueSets", query, **api_auth(office_admin)).json()
    gone = [v for v in body["dataValues"] if v["deleted"]]
    assert [(v["value"], v["storedBy"]) for v in gone] == [("20", "office")]


def test_an_unowned_value_shown_by_a_submitted_report_is_read_only_in_the_admin(
    client, superuser, small_forms, office_admin, tinhkhe_reporter
):
    from tiendo.reporting.models import DataElement
    from tiendo.reporting.services import submission_save, submission_submit

    draft = open_draft(tinhkhe_reporter)
    values = {"T_LAN_OK": "có", "T_TRAINED": "10", "T_STAFF": "20"}
    draft = submission_save(actor=tinhkhe_reporter, submission=draft, values=values, version=None).submission
    note = DataValue(
        data_element=DataElement.objects.get(code="T_NOTE"),
        unit=draft.unit,
        period=draft.period,
        text_value="văn phòng ghi",
        source="manual",
    )
    datavalue_admin_save(actor=office_admin, value=note, changed=["text_value"])
    submission_submit(actor=tinhkhe_reporter, submission=draft, version=None)
    client.force_login(superuser)
    response = client.post(change_url(note), form_data(note, text_value="đổi sau khi gửi", value=""))
    assert response.status_code == 403
    assert DataValue.objects.get(pk=note.pk).text_value == "văn phòng ghi"
