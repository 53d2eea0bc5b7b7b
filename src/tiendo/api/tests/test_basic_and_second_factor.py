"""A role whose web sign-in asks for a second factor cannot reach the API with its password alone
(HTTP Basic carries no second factor): it is told to use a token. Other roles keep Basic."""

import base64

import pytest
from django.utils import translation

from tiendo.reporting.tokens import apitoken_create

pytestmark = pytest.mark.django_db


def basic(user) -> dict[str, str]:
    secret = base64.b64encode(f"{user.username}:pw-{user.username}".encode()).decode()
    return {"HTTP_AUTHORIZATION": "Basic " + secret}


def test_an_office_admin_with_a_right_password_is_refused_on_the_api_and_told_to_use_a_token(
    client, office_admin
):
    with translation.override("vi"):
        response = client.get("/api/v1/submissions", **basic(office_admin))
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "second_factor_required" and "ApiToken" in error["message"]


def test_a_reviewer_is_refused_on_dhis2s_endpoints_too(client, skhcn_reviewer):
    response = client.get("/api/me", **basic(skhcn_reviewer))
    assert response.status_code == 401
    assert "ApiToken" in response.json()["message"]


def test_the_same_office_admin_reaches_the_api_with_a_token(client, office_admin):
    issued = apitoken_create(actor=None, user=office_admin, name="LGSP", scopes=["read"])
    response = client.get("/api/v1/submissions", HTTP_AUTHORIZATION=f"ApiToken {issued.secret}")
    assert response.status_code == 200


def test_a_reporter_keeps_http_basic(client, tinhkhe_reporter):
    assert client.get("/api/v1/submissions", **basic(tinhkhe_reporter)).status_code == 200


def test_with_the_requirement_off_an_office_admin_may_use_basic(client, office_admin, settings):
    settings.TIENDO_REQUIRE_2FA = False
    assert client.get("/api/v1/submissions", **basic(office_admin)).status_code == 200
