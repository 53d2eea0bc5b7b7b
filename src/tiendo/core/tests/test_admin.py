import pytest

from tiendo.core.models import AuditLog
from tiendo.orgunits.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db


def test_the_office_admin_opens_every_admin_list(client, django_user_model, shipped_data):
    admin = django_user_model.objects.create_superuser("root", "root@example.vn", "pw")
    client.force_login(admin)
    for path in (
        "orgunits/orgunit",
        "orgunits/membership",
        "plans/plan",
        "plans/indicator",
        "plans/task",
        "reporting/datavalue",
        "core/auditlog",
    ):
        assert client.get(f"/admin/{path}/").status_code == 200, path


def test_a_role_given_in_the_admin_is_written_to_the_audit_trail(client, django_user_model, shipped_data):
    admin = django_user_model.objects.create_superuser("root", "root@example.vn", "pw")
    clerk = django_user_model.objects.create_user("clerk", password="pw")
    client.force_login(admin)
    unit = OrgUnit.objects.get(code="21211")
    response = client.post(
        "/admin/orgunits/membership/add/", {"user": clerk.pk, "unit": unit.pk, "role": "reporter"}
    )
    assert response.status_code == 302
    membership = Membership.objects.get(user=clerk)
    row = AuditLog.objects.get(action="membership.create.admin", object_id=str(membership.pk))
    assert row.actor == admin
    assert row.changes["role"] == "reporter"


def test_a_reporter_cannot_open_the_admin(client, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    assert client.get("/admin/").status_code == 302
