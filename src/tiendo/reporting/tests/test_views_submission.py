import pytest

from tiendo.reporting.models import DataValue, Submission

pytestmark = pytest.mark.django_db

URL = "/reports/T-XA-Q/21211/2026Q1/"


def speak(client, language: str) -> None:
    """Choose the interface language as a person does (the language switch's cookie)."""
    client.cookies["django_language"] = language


def test_a_reporter_sees_the_forms_of_their_unit_with_periods_and_deadlines(
    client, small_forms, tinhkhe_reporter
):
    client.force_login(tinhkhe_reporter)
    html = client.get("/reports/").content.decode()
    assert "Biểu số 99/TEST" in html
    assert "Quý 1/2026" in html and "20/03/2026" in html  # Q1 cut off 14/03 (Saturday) + 5 working days


def test_a_reporter_fills_the_grid_saves_a_draft_and_submits(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    page = client.get(URL)
    assert page.status_code == 200
    assert 'name="v_T_TRAINED"' in page.content.decode()
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211", period="2026Q1")
    response = client.post(
        URL + "action",
        {
            "action": "save",
            "version": submission.version,
            "v_T_LAN_OK": "1",
            "v_T_TRAINED": "12",
            "v_T_STAFF": "40",
        },
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    response = client.post(URL + "action", {"action": "submit", "version": submission.version})
    assert response.status_code == 302
    assert Submission.objects.get(pk=submission.pk).status == "submitted"
    html = client.get(URL).content.decode()
    assert "T_TRAINED</code>: — → 12" in html


def test_submitting_with_errors_shows_them_and_keeps_the_draft(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    response = client.post(
        URL + "action",
        {"action": "submit", "version": submission.version, "v_T_TRAINED": "50", "v_T_STAFF": "40"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "T-R1: Số cán bộ được bồi dưỡng không được lớn hơn tổng số cán bộ" in html
    assert "T_LAN_OK “Mạng LAN hoạt động thông suốt”: bắt buộc nhập" in html
    assert "required" not in html.split("<main", 1)[-1]  # the Vietnamese page has no English half
    assert Submission.objects.get(pk=submission.pk).status == "draft"


def test_a_stale_page_is_refused_with_a_clear_message_and_the_typed_values_kept(
    client, small_forms, tinhkhe_reporter
):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    client.post(URL + "action", {"action": "save", "version": submission.version, "v_T_TRAINED": "5"})
    stale = {"action": "save", "version": submission.version, "v_T_TRAINED": "9"}
    speak(client, "en")
    response = client.post(URL + "action", stale)
    assert response.status_code == 409
    html = response.content.decode()
    assert "nothing was overwritten" in html
    speak(client, "vi")
    in_vietnamese = client.post(URL + "action", stale).content.decode()
    assert "không có gì bị ghi đè" in in_vietnamese and "nothing was overwritten" not in in_vietnamese
    assert 'value="5"' in html  # the grid shows what is stored now ...
    assert "<code>T_TRAINED</code>: 9" in html  # ... and what this person typed is listed to re-enter
    assert DataValue.objects.get(submission=submission, data_element__code="T_TRAINED").value == 5


def test_inline_check_reports_problems_without_saving(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    response = client.post(
        URL + "check", {"v_T_TRAINED": "50", "v_T_STAFF": "40", "v_T_LAN_OK": "1"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "T-R1" in html
    assert not DataValue.objects.filter(data_element__code="T_TRAINED").exists()
    speak(client, "en")
    unreadable = client.post(URL + "check", {"v_T_TRAINED": "abc"})
    assert "is not a number" in unreadable.content.decode()
    speak(client, "vi")
    assert "không phải là số" in client.post(URL + "check", {"v_T_TRAINED": "abc"}).content.decode()


def test_the_reviewer_approves_from_the_page(client, small_forms, tinhkhe_reporter, tinhkhe_reviewer):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    client.post(
        URL + "action",
        {
            "action": "submit",
            "version": submission.version,
            "v_T_LAN_OK": "1",
            "v_T_TRAINED": "1",
            "v_T_STAFF": "2",
        },
    )
    client.force_login(tinhkhe_reviewer)
    assert "Chờ duyệt (1)" in client.get("/reports/").content.decode()
    submission.refresh_from_db()
    page = client.get(URL).content.decode()
    assert 'value="approve"' in page
    client.post(URL + "action", {"action": "approve", "version": submission.version})
    assert Submission.objects.get(pk=submission.pk).status == "approved"


def test_another_communes_viewer_gets_a_404(client, small_forms, tinhkhe_reporter, other_viewer):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    client.force_login(other_viewer)
    assert client.get(URL).status_code == 404
    assert client.post(URL + "action", {"action": "save", "version": 1}).status_code == 404


def test_the_form_page_shows_completeness_for_the_period(client, small_forms, office_admin, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    submission = Submission.objects.get(dataset__code="T-XA-Q", unit__code="21211")
    client.post(
        URL + "action",
        {
            "action": "submit",
            "version": submission.version,
            "v_T_LAN_OK": "1",
            "v_T_TRAINED": "1",
            "v_T_STAFF": "2",
        },
    )
    client.force_login(office_admin)
    response = client.get("/forms/T-XA-Q/", {"period": "2026Q1"})
    report = response.context["report"]
    assert (report.expected, report.submitted, report.missing) == (96, 1, 95)
    assert report.late == 1  # submitted in November, the Q1 deadline was 20/03/2026
    assert "Phải nộp" in response.content.decode()


def test_the_overdue_list_shows_unsent_reports_past_their_deadline_in_the_users_scope(
    client, small_forms, tinhkhe_reporter, office_admin
):
    from tiendo.reporting.models import DataSet

    DataSet.objects.exclude(code="T-XA-Q").delete()
    client.force_login(tinhkhe_reporter)
    rows = client.get("/reports/overdue/").context["page"].object_list
    assert {(r.unit.code, r.period) for r in rows} >= {
        ("21211", "2026Q1"),
        ("21211", "2026Q2"),
        ("21211", "2026Q3"),
    }
    assert {r.unit.code for r in rows} == {"21211"}
    client.force_login(office_admin)
    assert client.get("/reports/overdue/").context["total"] > 96 * 3


def test_opening_an_empty_draft_counts_the_required_values_instead_of_listing_errors(
    client, small_forms, tinhkhe_reporter
):
    client.force_login(tinhkhe_reporter)
    html = client.get(URL).content.decode()
    assert "Còn 3 chỉ số bắt buộc chưa nhập." in html
    assert ": bắt buộc nhập" not in html


def test_a_form_post_without_its_version_is_a_clear_error_not_a_crash(client, small_forms, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    client.get(URL)
    speak(client, "en")
    response = client.post(URL + "action", {"action": "save", "v_T_TRAINED": "1"})
    assert response.status_code == 400
    assert (
        "the form&#x27;s version is missing" in response.content.decode()
        or "version is missing" in response.content.decode()
    )
    speak(client, "vi")
    in_vietnamese = client.post(URL + "action", {"action": "save", "v_T_TRAINED": "1"})
    assert "Thiếu phiên bản của báo cáo" in in_vietnamese.content.decode()
    assert client.get("/reports/", {"year": "abc"}).status_code == 200


def test_the_review_queue_takes_a_fixed_number_of_queries(
    client, small_forms, tinhkhe_reviewer, office_admin, django_assert_max_num_queries
):
    from tiendo.orgunits.models import OrgUnit
    from tiendo.reporting.models import DataSet
    from tiendo.reporting.services import submission_open, submission_save, submission_submit

    dataset = DataSet.objects.get(code="T-XA-Q")
    for unit in OrgUnit.objects.filter(kind="commune")[:12]:
        draft = submission_open(actor=office_admin, dataset=dataset, unit=unit, period="2026Q1")
        saved = submission_save(
            actor=office_admin,
            submission=draft,
            values={"T_LAN_OK": "1", "T_TRAINED": "1", "T_STAFF": "2"},
            version=None,
        )
        submission_submit(actor=office_admin, submission=saved.submission, version=None)
    client.force_login(office_admin)
    with django_assert_max_num_queries(20):
        assert "Chờ duyệt (12)" in client.get("/reports/").content.decode()
