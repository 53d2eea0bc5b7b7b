"""Password change (signed in) and reset by e-mail: Django's views with tiendo's pages, the
validators (12 characters, not a common password) and an audit row for each change."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.urls import reverse

from tiendo.core.models import AuditLog

pytestmark = pytest.mark.django_db

NEW = "mot-mat-khau-moi-dai-2026"


@pytest.fixture
def clerk(django_user_model):
    return django_user_model.objects.create_user(
        username="vanthu", password="mat-khau-cu-dai-123", email="vanthu@tinhkhe.example"
    )


def test_a_signed_in_user_changes_their_password_and_it_is_audited(client, clerk):
    client.force_login(clerk)
    response = client.post(
        reverse("password_change"),
        {"old_password": "mat-khau-cu-dai-123", "new_password1": NEW, "new_password2": NEW},
    )
    assert response.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(NEW)
    assert AuditLog.objects.filter(action="auth.password_change", actor=clerk).exists()
    assert client.get(reverse("my-reports")).status_code == 200  # still signed in


def test_a_short_or_common_new_password_is_refused_with_the_rule_named(client, clerk):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"
    for weak, rule in [("ngan-1234", "at least 12 characters"), ("password1234", "too common")]:
        response = client.post(
            reverse("password_change"),
            {"old_password": "mat-khau-cu-dai-123", "new_password1": weak, "new_password2": weak},
        )
        assert response.status_code == 200
        assert rule in response.content.decode()
    clerk.refresh_from_db()
    assert clerk.check_password("mat-khau-cu-dai-123")


def test_the_password_change_page_needs_a_signed_in_user(client):
    response = client.get(reverse("password_change"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_reset_e_mail_carries_a_link_that_works_once(client, clerk):
    response = client.post(reverse("password_reset"), {"email": "vanthu@tinhkhe.example"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["vanthu@tinhkhe.example"]
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/\S+/)", message.body).group(1)
    form = client.get(link, follow=True)
    assert form.status_code == 200
    set_url = form.redirect_chain[-1][0]
    done = client.post(set_url, {"new_password1": NEW, "new_password2": NEW})
    assert done.status_code == 302
    clerk.refresh_from_db()
    assert clerk.check_password(NEW)
    assert AuditLog.objects.filter(action="auth.password_reset", actor=clerk).exists()
    assert AuditLog.objects.filter(action="auth.password_reset_request").exists()
    again = client.get(link, follow=True)
    assert 'id="invalid-link"' in again.content.decode()


def test_a_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, clerk):
    response = client.post(reverse("password_reset"), {"email": "ai-do@example.org"})
    assert response.status_code == 302
    assert response["Location"] == reverse("password_reset_done")
    assert mail.outbox == []


def test_the_reset_e_mail_goes_through_the_configured_backend(client, clerk, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(reverse("password_reset"), {"email": "vanthu@tinhkhe.example"})
    assert "tiendo" in mail.outbox[0].subject


def test_the_login_page_links_to_the_reset(client):
    assert reverse("password_reset") in client.get(reverse("login")).content.decode()


@pytest.mark.parametrize(("language", "title"), [("vi", "Quên mật khẩu"), ("en", "Forgotten password")])
def test_the_reset_page_renders_in_both_languages(client, language, title):
    client.cookies["django_language"] = language
    assert title in client.get(reverse("password_reset")).content.decode()
