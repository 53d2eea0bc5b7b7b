"""Login throttling and lockout (django-axes) on the sign-in form, on HTTP Basic for /api/v1 and on
/api/dataValueSets: N wrong passwords lock the username from that client, the right password is
refused while locked (without running the password hasher), and the cool-off ends it."""

from __future__ import annotations

import base64
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.contrib.auth.hashers import MD5PasswordHasher
from django.urls import reverse
from django.utils import timezone

from tiendo.core.models import AuditLog

pytestmark = pytest.mark.django_db

LIMIT = 3


class CountingHasher(MD5PasswordHasher):
    """The test hasher, counting how often a password is hashed (verified or encoded)."""

    algorithm = "counting_md5"
    calls = 0

    def encode(self, password, salt):
        CountingHasher.calls += 1
        return super().encode(password, salt)


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.AXES_FAILURE_LIMIT = LIMIT
    settings.AXES_COOLOFF_TIME = timedelta(minutes=15)
    settings.PASSWORD_HASHERS = ["tiendo.web.tests.test_login_lockout.CountingHasher"]


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(username="vanthu", password="mat-khau-dung-123")


def login(client, password, username="vanthu"):
    return client.post(reverse("login"), {"username": username, "password": password})


def basic(username, password):
    return {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()}


def end_cooloff():
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=15, seconds=1))


def test_the_form_locks_a_username_after_the_limit_and_refuses_even_the_right_password(client, clerk):
    for _ in range(LIMIT - 1):
        assert login(client, "sai").status_code == 200  # the form again, with its error
    locked = login(client, "sai")
    assert locked.status_code == 429
    assert 850 <= int(locked["Retry-After"]) <= 900
    assert "Đăng nhập sai quá nhiều lần từ máy này" in locked.content.decode()
    right = login(client, "mat-khau-dung-123")
    assert right.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_cooloff_lets_the_right_password_in_again(client, clerk):
    for _ in range(LIMIT):
        login(client, "sai")
    end_cooloff()
    response = login(client, "mat-khau-dung-123")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(clerk.pk)


def test_the_locked_out_page_speaks_english(client, clerk):
    client.cookies["django_language"] = "en"
    for _ in range(LIMIT):
        response = login(client, "sai")
    assert "Too many failed sign-ins from this computer" in response.content.decode()


def test_the_lockout_is_per_username_and_client(client, clerk, django_user_model):
    django_user_model.objects.create_user(username="lanhdao", password="mat-khau-khac-456")
    for _ in range(LIMIT):
        login(client, "sai")
    assert login(client, "mat-khau-khac-456", username="lanhdao").status_code == 302
    other_client = client.__class__(REMOTE_ADDR="10.0.0.9")
    assert login(other_client, "mat-khau-dung-123").status_code == 302


def test_basic_auth_is_locked_after_the_limit_with_429_retry_after_and_the_error_shape(client, clerk):
    for _ in range(LIMIT - 1):
        assert client.get("/api/v1/submissions", **basic("vanthu", "sai")).status_code == 401
    response = client.get("/api/v1/submissions", **basic("vanthu", "sai"))
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response.json()["error"]["code"] == "too_many_attempts"
    assert response.json()["error"]["field"] == "Authorization"
    right = client.get("/api/v1/submissions", **basic("vanthu", "mat-khau-dung-123"))
    assert right.status_code == 429
    end_cooloff()
    assert client.get("/api/v1/submissions", **basic("vanthu", "mat-khau-dung-123")).status_code == 200


def test_a_locked_out_basic_attempt_does_not_run_the_password_hasher(client, clerk):
    for _ in range(LIMIT):
        client.get("/api/v1/submissions", **basic("vanthu", "sai"))
    CountingHasher.calls = 0
    for _ in range(20):
        assert client.get("/api/v1/submissions", **basic("vanthu", "sai")).status_code == 429
    assert CountingHasher.calls == 0


@pytest.mark.parametrize("path", ["/api/dataValueSets", "/api/me", "/api/system/info"])
def test_dhis2_endpoints_answer_a_locked_out_client_429_as_a_dhis2_web_message(client, clerk, path):
    for _ in range(LIMIT):
        client.get(path, **basic("vanthu", "sai"))
    response = client.get(path, **basic("vanthu", "mat-khau-dung-123"))
    assert response.status_code == 429
    assert response.json()["httpStatus"] == "Too Many Requests"
    assert int(response["Retry-After"]) > 0


def test_the_failure_that_locks_is_audited_and_later_refusals_add_no_rows(client, clerk):
    for _ in range(LIMIT + 5):
        client.get("/api/v1/submissions", **basic("vanthu", "sai"))
    rows = AuditLog.objects.filter(action="auth.login_failed", object_label="vanthu").order_by("id")
    assert rows.count() == LIMIT
    assert [row.changes["locked_out"] for row in rows] == [False] * (LIMIT - 1) + [True]


def test_the_locked_out_page_carries_the_content_security_policy(client, clerk):
    for _ in range(LIMIT):
        response = login(client, "sai")
    assert response.status_code == 429
    assert "script-src 'self'" in response["Content-Security-Policy"]
