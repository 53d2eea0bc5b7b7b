"""Sessions end after TIENDO_SESSION_IDLE_MINUTES without a request and after
TIENDO_SESSION_MAX_HOURS in any case; a page seen in between keeps an active session alive."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tiendo.core.models import AuditLog
from tiendo.web.accounts.session import SEEN, STARTED

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(client, tinhkhe_reporter):
    client.force_login(tinhkhe_reporter)
    assert client.get(reverse("my-reports")).status_code == 200  # starts the clocks
    return client


def shift(client, key, seconds):
    session = client.session
    session[key] -= seconds
    session.save()


def test_a_session_idle_longer_than_the_limit_must_sign_in_again(signed_in, settings):
    settings.TIENDO_SESSION_IDLE_MINUTES = 30
    shift(signed_in, SEEN, 31 * 60)
    response = signed_in.get(reverse("my-reports"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert AuditLog.objects.get(action="auth.logout").changes["reason"] == "idle"


def test_a_session_used_within_the_idle_limit_stays_signed_in(signed_in, settings):
    settings.TIENDO_SESSION_IDLE_MINUTES = 30
    shift(signed_in, SEEN, 29 * 60)
    assert signed_in.get(reverse("my-reports")).status_code == 200
    shift(signed_in, SEEN, 29 * 60)  # the last request moved the clock: still active
    assert signed_in.get(reverse("my-reports")).status_code == 200


def test_a_session_older_than_the_absolute_cap_ends_however_active(signed_in, settings):
    settings.TIENDO_SESSION_MAX_HOURS = 12
    shift(signed_in, STARTED, 12 * 3600 + 1)
    response = signed_in.get(reverse("my-reports"))
    assert response.status_code == 302
    assert AuditLog.objects.get(action="auth.logout").changes["reason"] == "max_age"


def test_the_session_cookie_lasts_no_longer_than_the_cap(settings):
    assert settings.SESSION_COOKIE_AGE == settings.TIENDO_SESSION_MAX_HOURS * 3600
