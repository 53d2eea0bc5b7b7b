"""Sign-in events in the audit log: a login, a logout and a failed login each write one row with the
username tried, the client's IP and user agent, and never the password."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from tiendo.core.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-rat-bi-mat-42"


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(username="vanthu", password=PASSWORD)


def sign_in(client, password):
    return client.post(
        reverse("login"),
        {"username": "vanthu", "password": password},
        HTTP_USER_AGENT="Firefox/140 (test)",
        REMOTE_ADDR="203.0.113.7",
    )


def test_a_login_writes_an_audit_row_with_ip_and_user_agent(client, clerk):
    assert sign_in(client, PASSWORD).status_code == 302
    row = AuditLog.objects.get(action="auth.login")
    assert row.actor == clerk
    assert row.object_id == str(clerk.pk)
    assert row.changes["username"] == "vanthu"
    assert row.changes["ip"] == "203.0.113.7"
    assert row.changes["user_agent"] == "Firefox/140 (test)"


def test_a_logout_writes_an_audit_row(client, clerk):
    sign_in(client, PASSWORD)
    client.post(reverse("logout"))
    row = AuditLog.objects.get(action="auth.logout")
    assert row.actor == clerk
    assert row.changes["reason"] == "user"


def test_a_failed_login_writes_the_username_tried_and_never_the_password(client, clerk):
    assert sign_in(client, "sai-mat-khau-nay").status_code == 200
    row = AuditLog.objects.get(action="auth.login_failed")
    assert row.actor is None
    assert row.object_label == "vanthu"
    assert row.changes["ip"] == "203.0.113.7"
    assert "sai-mat-khau-nay" not in json.dumps(row.changes)


def test_a_failed_login_for_an_unknown_username_is_audited_too(client, clerk):
    client.post(reverse("login"), {"username": "khong-co-ai", "password": "x"})
    assert AuditLog.objects.get(action="auth.login_failed").changes["username"] == "khong-co-ai"
