from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tiendo.analytics.selectors import indicator_row
from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataSet, DataValue, Submission, SubmissionEvent
from tiendo.reporting.selectors import submission_get, submission_validate
from tiendo.reporting.services import (
    ConflictError,
    SubmissionInvalidError,
    submission_approve,
    submission_open,
    submission_reopen,
    submission_return,
    submission_save,
    submission_submit,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def in_english():
    """The messages asserted here are the English ones (the catalogue's translations)."""
    with translation.override("en"):
        yield


GOOD = {"T_LAN_OK": "có", "T_TRAINED": "10", "T_STAFF": "20"}


def open_draft(actor, unit_code="21211", period="2026Q1"):
    return submission_open(
        actor=actor,
        dataset=DataSet.objects.get(code="T-XA-Q"),
        unit=OrgUnit.objects.get(code=unit_code),
        period=period,
    )


def submitted(reporter, values=GOOD, unit_code="21211", period="2026Q1"):
    draft = open_draft(reporter, unit_code, period)
    result = submission_save(actor=reporter, submission=draft, values=values, version=draft.version)
    return submission_submit(actor=reporter, submission=result.submission, version=result.submission.version)


def test_a_reporter_saves_a_draft_and_the_trail_records_old_and_new_values(small_forms, tinhkhe_reporter):
    draft = open_draft(tinhkhe_reporter)
    result = submission_save(
        actor=tinhkhe_reporter,
        submission=draft,
        values={"T_TRAINED": "1.200", "T_STAFF": "1.500"},
        version=draft.version,
        number_style="vi",
    )
    assert result.submission.status == "draft"
    assert DataValue.objects.get(submission=draft, data_element__code="T_TRAINED").value == Decimal(1200)
    second = submission_save(
        actor=tinhkhe_reporter,
        submission=draft,
        values={"T_TRAINED": "1300"},
        version=result.submission.version,
    )
    event = SubmissionEvent.objects.filter(submission=draft, action="save").last()
    assert event.changes == [{"element": "T_TRAINED", "old": "1200", "new": "1300"}]
    assert event.actor == tinhkhe_reporter
    assert second.submission.version == draft.version + 2


def test_a_second_save_from_a_stale_page_is_refused_and_overwrites_nothing(small_forms, tinhkhe_reporter):
    draft = open_draft(tinhkhe_reporter)
    submission_save(
        actor=tinhkhe_reporter, submission=draft, values={"T_TRAINED": "5"}, version=draft.version
    )
    with pytest.raises(ConflictError, match="nothing was overwritten"):
        submission_save(
            actor=tinhkhe_reporter, submission=draft, values={"T_TRAINED": "7"}, version=draft.version
        )
    assert DataValue.objects.get(submission=draft, data_element__code="T_TRAINED").value == 5


def test_unreadable_values_are_all_named_and_nothing_is_saved(small_forms, tinhkhe_reporter):
    draft = open_draft(tinhkhe_reporter)
    with pytest.raises(ApplicationError) as error:
        submission_save(
            actor=tinhkhe_reporter,
            submission=draft,
            values={"T_TRAINED": "mười", "T_LAN_OK": "maybe"},
            version=draft.version,
        )
    assert "T_TRAINED" in str(error.value) and "is not a number" in str(error.value)
    assert "T_LAN_OK" in str(error.value) and "is not yes/no" in str(error.value)
    assert not DataValue.objects.filter(submission=draft).exists()


def test_errors_block_submission_with_messages_naming_the_elements(small_forms, tinhkhe_reporter):
    draft = open_draft(tinhkhe_reporter)
    saved = submission_save(
        actor=tinhkhe_reporter,
        submission=draft,
        values={"T_TRAINED": "30", "T_STAFF": "20"},
        version=draft.version,
    )
    with pytest.raises(SubmissionInvalidError) as error:
        submission_submit(
            actor=tinhkhe_reporter, submission=saved.submission, version=saved.submission.version
        )
    messages = [v.message for v in error.value.violations]
    assert any(m.startswith("T_LAN_OK “Mạng LAN hoạt động thông suốt”: required") for m in messages)
    assert any("T-R1: Trained officials cannot exceed all officials" in m for m in messages)
    with translation.override("vi"):
        violations = submission_validate(submission=saved.submission)
    assert any(v.message == "T_LAN_OK “Mạng LAN hoạt động thông suốt”: bắt buộc nhập" for v in violations)
    assert any(
        v.message.startswith("T-R1: Số cán bộ được bồi dưỡng không được lớn hơn tổng số cán bộ (")
        for v in violations
    )
    assert Submission.objects.get(pk=draft.pk).status == "draft"


def test_a_value_three_times_the_previous_period_needs_a_comment(
    small_forms, tinhkhe_reporter, tinhkhe_reviewer
):
    first = submitted(tinhkhe_reporter, period="2026Q1")
    submission_approve(actor=tinhkhe_reviewer, submission=first, version=first.version)
    draft = open_draft(tinhkhe_reporter, period="2026Q2")
    saved = submission_save(
        actor=tinhkhe_reporter,
        submission=draft,
        values={**GOOD, "T_TRAINED": "19", "T_STAFF": "80"},
        version=draft.version,
    )
    assert [v.severity for v in saved.violations] == ["warning"]
    with pytest.raises(SubmissionInvalidError, match="a comment is required"):
        submission_submit(
            actor=tinhkhe_reporter, submission=saved.submission, version=saved.submission.version
        )
    explained = submission_save(
        actor=tinhkhe_reporter,
        submission=draft,
        values={},
        comments={"T_STAFF": "Sáp nhập thêm 3 xã"},
        version=saved.submission.version,
    )
    assert (
        submission_submit(
            actor=tinhkhe_reporter, submission=explained.submission, version=explained.submission.version
        ).status
        == "submitted"
    )


def test_the_reviewer_returns_with_a_reason_and_the_reporter_resubmits(
    small_forms, tinhkhe_reporter, tinhkhe_reviewer
):
    report = submitted(tinhkhe_reporter)
    with pytest.raises(ApplicationError, match="a reason is required"):
        submission_return(actor=tinhkhe_reviewer, submission=report, version=report.version, reason="  ")
    returned = submission_return(
        actor=tinhkhe_reviewer, submission=report, version=report.version, reason="Kiểm tra lại số cán bộ"
    )
    assert (returned.status, returned.reason) == ("returned", "Kiểm tra lại số cán bộ")
    fixed = submission_save(
        actor=tinhkhe_reporter, submission=returned, values={"T_STAFF": "25"}, version=returned.version
    )
    again = submission_submit(
        actor=tinhkhe_reporter, submission=fixed.submission, version=fixed.submission.version
    )
    approved = submission_approve(actor=tinhkhe_reviewer, submission=again, version=again.version)
    assert approved.status == "approved"
    assert [e.action for e in approved.events.all()] == [
        "create",
        "save",
        "submit",
        "return",
        "save",
        "submit",
        "approve",
    ]


def test_approval_locks_the_values_until_the_office_reopens_with_a_reason(
    small_forms, tinhkhe_reporter, tinhkhe_reviewer, office_admin
):
    report = submitted(tinhkhe_reporter)
    approved = submission_approve(actor=tinhkhe_reviewer, submission=report, version=report.version)
    with pytest.raises(ApplicationError, match="cannot be edited"):
        submission_save(
            actor=tinhkhe_reporter, submission=approved, values={"T_STAFF": "30"}, version=approved.version
        )
    with pytest.raises(PermissionDeniedError):
        submission_reopen(actor=tinhkhe_reviewer, submission=approved, version=approved.version, reason="sai")
    reopened = submission_reopen(
        actor=office_admin, submission=approved, version=approved.version, reason="Số liệu Sở Nội vụ khác"
    )
    assert reopened.status == "returned"
    assert submission_save(
        actor=tinhkhe_reporter, submission=reopened, values={"T_STAFF": "30"}, version=reopened.version
    ).changes


def test_approved_reports_flow_into_the_indicators_as_a_ratio_of_sums(
    small_forms, django_user_model, office_admin
):
    # two communes: 10/20 (50%) and 90/100 (90%): the province is 100/120 = 83,33%, not the 70% an average gives
    for code, trained, staff in (("21211", "10", "20"), ("21172", "90", "100")):
        report = submitted(
            office_admin, {"T_LAN_OK": "1", "T_TRAINED": trained, "T_STAFF": staff}, unit_code=code
        )
        # four eyes: the office admin who filled and sent the reports is not the one who approves
        submission_approve(actor=_office(), submission=report, version=report.version)
    trained = indicator_row(
        user=AnonymousUser(),
        indicator=Indicator.objects.get(plan__code="quang-ngai-2026", group__code="V", number="1"),
        as_of=date(2026, 11, 22),
    )
    assert round(trained.evaluation.value, 2) == Decimal("83.33")
    assert trained.evaluation.period == "2026Q1"
    assert trained.evaluation.data_value.source == "computed"
    assert "Σ T_TRAINED (2) / Σ T_STAFF (2) × 100" == trained.evaluation.data_value.source_detail
    lan = indicator_row(
        user=AnonymousUser(),
        indicator=Indicator.objects.get(plan__code="quang-ngai-2026", group__code="II", number="2"),
        as_of=date(2026, 11, 22),
    )
    assert round(lan.evaluation.value, 2) == round(Decimal(2) / 96 * 100, 2)


def test_values_of_a_report_not_yet_approved_do_not_count(small_forms, tinhkhe_reporter):
    submitted(tinhkhe_reporter)
    row = indicator_row(
        user=AnonymousUser(),
        indicator=Indicator.objects.get(plan__code="quang-ngai-2026", group__code="V", number="1"),
        as_of=date(2026, 11, 22),
    )
    assert row.evaluation.value is None


# role × action matrix: who may open, save, submit, approve, return, reopen, read a commune's report
MATRIX = {
    "tinhkhe_reporter": {"save": True, "approve": False, "read": True, "reopen": False},
    "tinhkhe_reviewer": {"save": False, "approve": True, "read": True, "reopen": False},
    "tinhkhe_viewer": {"save": False, "approve": False, "read": True, "reopen": False},
    "other_viewer": {"save": False, "approve": False, "read": False, "reopen": False},
    "skhcn_reviewer": {"save": False, "approve": False, "read": False, "reopen": False},
    "office_admin": {"save": True, "approve": True, "read": True, "reopen": True},
}


@pytest.mark.parametrize("persona", sorted(MATRIX))
def test_the_role_and_action_matrix(persona, request, small_forms, tinhkhe_reporter):
    actor = request.getfixturevalue(persona) if persona != "tinhkhe_reporter" else tinhkhe_reporter
    expected = MATRIX[persona]
    draft = open_draft(tinhkhe_reporter)

    def allowed(call) -> bool:
        try:
            call()
        except (PermissionDeniedError, NotFoundError):
            return False
        return True

    assert allowed(lambda: submission_get(user=actor, submission_id=draft.pk)) == expected["read"]
    # saving is tried on another period's report: whoever saves a report becomes its author, whom the
    # four-eyes rule keeps from approving it (test_four_eyes.py); this matrix is about roles
    other = open_draft(tinhkhe_reporter, period="2026Q2")
    assert (
        allowed(lambda: submission_save(actor=actor, submission=other, values=GOOD, version=None))
        == expected["save"]
    )
    report = Submission.objects.get(pk=draft.pk)
    if report.status == "draft":
        submission_save(actor=tinhkhe_reporter, submission=report, values=GOOD, version=None)
        report = submission_submit(actor=tinhkhe_reporter, submission=report, version=None)
    else:
        report = submission_submit(actor=tinhkhe_reporter, submission=report, version=None)
    assert (
        allowed(lambda: submission_approve(actor=actor, submission=report, version=None))
        == expected["approve"]
    )
    report = Submission.objects.get(pk=draft.pk)
    if report.status != "approved":
        report = submission_approve(actor=_office(), submission=report, version=None)
    assert (
        allowed(lambda: submission_reopen(actor=actor, submission=report, version=None, reason="kiểm tra"))
        == expected["reopen"]
    )


def _office():
    from django.contrib.auth import get_user_model

    from tiendo.orgunits.models import Membership

    user, _ = get_user_model().objects.get_or_create(username="office.matrix")
    Membership.objects.get_or_create(
        user=user, unit=OrgUnit.objects.get(code="51"), defaults={"role": "admin"}
    )
    return user


def test_a_form_not_assigned_to_the_unit_or_a_wrong_period_type_is_refused(small_forms, office_admin):
    dataset = DataSet.objects.get(code="T-XA-Q")
    with pytest.raises(ApplicationError, match="not assigned to unit SKHCN"):
        submission_open(
            actor=office_admin, dataset=dataset, unit=OrgUnit.objects.get(code="SKHCN"), period="2026Q1"
        )
    with pytest.raises(ApplicationError, match="is not a quarterly period"):
        submission_open(
            actor=office_admin, dataset=dataset, unit=OrgUnit.objects.get(code="21211"), period="202601"
        )
