from datetime import date

import pytest
from django.core import mail
from django.core.management import call_command

from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.models import DataSet, Notification, Reminder
from tiendo.reporting.reminders import reminders_send
from tiendo.reporting.services import submission_open, submission_save, submission_submit

pytestmark = pytest.mark.django_db

# T-XA-Q, 2026Q3: cut off 14/09/2026 (Monday), deadline 5 working days later: 21/09/2026
BEFORE = date(2026, 9, 18)  # within 3 days before
AFTER = date(2026, 9, 22)  # 1 day after


@pytest.fixture
def only_small_forms(small_forms):
    DataSet.objects.exclude(code="T-XA-Q").delete()


def test_reporters_of_units_that_have_not_submitted_get_one_reminder_before_the_deadline(
    only_small_forms, tinhkhe_reporter
):
    tinhkhe_reporter.email = "baocao@tinhkhe.quangngai.gov.vn"
    tinhkhe_reporter.save()
    run = reminders_send(today=BEFORE)
    assert (run.sent, run.skipped) == (1, 95)  # communes with no reporter yet are not marked as reminded
    assert Notification.objects.filter(user=tinhkhe_reporter).count() == 1
    note = Notification.objects.get(user=tinhkhe_reporter)
    assert note.text.startswith("Sắp đến hạn 21/09/2026: Biểu số 99/TEST kỳ Quý 3/2026 của Xã Tịnh Khê")
    assert note.link == "/reports/T-XA-Q/21211/2026Q3/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["baocao@tinhkhe.quangngai.gov.vn"]
    again = reminders_send(today=BEFORE)
    assert again.sent == 0 and len(mail.outbox) == 1


def test_after_the_deadline_an_overdue_reminder_goes_once_and_not_to_units_that_submitted(
    only_small_forms, tinhkhe_reporter, office_admin
):
    other = OrgUnit.objects.get(code="21172")
    draft = submission_open(
        actor=office_admin, dataset=DataSet.objects.get(code="T-XA-Q"), unit=other, period="2026Q3"
    )
    saved = submission_save(
        actor=office_admin,
        submission=draft,
        values={"T_LAN_OK": "1", "T_TRAINED": "1", "T_STAFF": "2"},
        version=None,
    )
    submission_submit(actor=office_admin, submission=saved.submission, version=None)
    reminders_send(today=AFTER)
    overdue = Reminder.objects.filter(kind="after", period="2026Q3")
    assert not overdue.filter(unit=other).exists()
    assert overdue.filter(unit__code="21211").count() == 1
    assert Notification.objects.get(user=tinhkhe_reporter, text__startswith="Quá hạn").link.endswith(
        "/2026Q3/"
    )
    reminders_send(today=AFTER)
    assert overdue.count() == 1


def test_the_worker_runs_the_reminder_task_from_the_queue(only_small_forms, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    from tiendo.reporting.tasks import send_reminders

    result = send_reminders.enqueue()
    assert result.return_value["sent"] >= 0
    call_command("send_reminders")


def test_a_reporter_sees_reminders_on_their_page_and_marks_them_read(
    client, only_small_forms, tinhkhe_reporter
):
    reminders_send(today=BEFORE)
    client.force_login(tinhkhe_reporter)
    html = client.get("/reports/").content.decode()
    assert 'id="notifications"' in html and "Sắp đến hạn 21/09/2026" in html
    client.post("/notifications/read")
    assert 'id="notifications"' not in client.get("/reports/").content.decode()


def test_a_mail_failure_for_one_unit_neither_stops_the_others_nor_marks_it_reminded(
    only_small_forms, tinhkhe_reporter, other_viewer, monkeypatch, django_user_model
):
    from tiendo.orgunits.models import Membership

    tinhkhe_reporter.email = "a@example.vn"
    tinhkhe_reporter.save()
    other = django_user_model.objects.create_user("other.reporter", email="b@example.vn")
    Membership.objects.create(user=other, unit=OrgUnit.objects.get(code="21172"), role="reporter")
    sent = []

    def flaky_send_mail(subject, body, sender, recipients):
        if recipients == ["a@example.vn"]:
            raise ConnectionRefusedError("smtp down")
        sent.append(recipients)

    monkeypatch.setattr("tiendo.reporting.reminders.send_mail", flaky_send_mail)
    run = reminders_send(today=BEFORE)
    assert (run.sent, run.failed) == (1, 1)
    assert sent == [["b@example.vn"]]
    assert not Reminder.objects.filter(unit__code="21211").exists()
    assert not Notification.objects.filter(user=tinhkhe_reporter).exists()


def test_a_unit_gets_its_reminder_once_a_reporter_is_added(only_small_forms, django_user_model):
    from tiendo.orgunits.models import Membership

    reminders_send(today=BEFORE)
    late = django_user_model.objects.create_user("moi.vao")
    Membership.objects.create(user=late, unit=OrgUnit.objects.get(code="21172"), role="reporter")
    assert reminders_send(today=BEFORE).sent == 1
    assert Notification.objects.filter(user=late).count() == 1
