"""One dataValueSets request over three units: one audit row per report it touched, naming each
(issue 10: the probe found one row for three submissions)."""

import json

import pytest

from tiendo.core.models import AuditLog
from tiendo.reporting.models import Submission

pytestmark = pytest.mark.django_db

UNITS = ("21211", "21172", "21025")


def test_a_request_over_three_units_writes_one_audit_row_naming_each_submission(
    client, small_forms, office_admin
):
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "dataValues": [
            {"dataElement": "T_STAFF", "orgUnit": unit, "value": str(20 + i)} for i, unit in enumerate(UNITS)
        ],
    }
    client.force_login(office_admin)
    response = client.post("/api/dataValueSets", data=json.dumps(payload), content_type="application/json")
    assert response.status_code == 200, response.content
    submissions = {s.unit.code: s for s in Submission.objects.filter(period="2026Q1").select_related("unit")}
    assert set(submissions) == set(UNITS)
    rows = AuditLog.objects.filter(action="datavalueset.import")
    assert rows.count() == 3
    by_submission = {row.object_id: row for row in rows}
    assert set(by_submission) == {str(s.pk) for s in submissions.values()}
    for i, unit in enumerate(UNITS):
        row = by_submission[str(submissions[unit].pk)]
        assert row.object_type == "reporting.submission" and unit in row.object_label
        assert row.actor == office_admin
        assert row.changes["values"] == [{"element": "T_STAFF", "old": None, "new": str(20 + i)}]
        assert row.changes["request"]["submissions"] == 3


def test_a_repeated_request_adds_no_audit_row(client, small_forms, office_admin):
    payload = {
        "dataSet": "T-XA-Q",
        "period": "2026Q1",
        "dataValues": [{"dataElement": "T_STAFF", "orgUnit": unit, "value": "20"} for unit in UNITS],
    }
    client.force_login(office_admin)
    for _ in range(2):
        client.post("/api/dataValueSets", data=json.dumps(payload), content_type="application/json")
    assert AuditLog.objects.filter(action="datavalueset.import").count() == 3
