"""Issue 10's reproducer: an anonymous request for an existing report's PDF answered 500 (from
`can_review`), which also told that the report exists. Now every reader who may not see it gets the
same 404 as for a report that does not exist."""

import pytest

from tiendo.documents.tests.test_submission_seal import approved_submission
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.permissions import can_read, can_review

pytestmark = pytest.mark.django_db


def test_an_anonymous_reader_of_an_approved_report_s_pdf_gets_the_404_of_a_missing_one(
    client, small_forms, tinhkhe_reporter, tinhkhe_reviewer
):
    submission = approved_submission(tinhkhe_reporter, tinhkhe_reviewer)
    submission.dataset.reviewer_unit = OrgUnit.objects.get(code="21211")  # a form with a reviewer unit
    submission.dataset.save()
    base = f"/reports/{submission.dataset.code}/{submission.unit.code}"
    existing, missing = client.get(f"{base}/{submission.period}/pdf"), client.get(f"{base}/2020Q1/pdf")
    assert existing.status_code == missing.status_code == 404
    assert existing.content == missing.content  # nothing tells one from the other
    assert client.get(f"{base}/{submission.period}/pdf?sealed=1").status_code == 404
    assert client.get(f"{base}/{submission.period}/xlsx").status_code in (302, 404)


def test_the_permission_rules_answer_no_for_an_anonymous_user(small_forms, tinhkhe_reporter):
    from django.contrib.auth.models import AnonymousUser

    from tiendo.reporting.models import DataSet

    dataset = DataSet.objects.get(code="T-XA-Q")
    dataset.reviewer_unit = OrgUnit.objects.get(code="21211")
    unit = OrgUnit.objects.get(code="21211")
    assert can_review(AnonymousUser(), dataset, unit) is False
    assert can_read(AnonymousUser(), dataset, unit) is False
