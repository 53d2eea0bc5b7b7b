"""The API tokens page: list, create (the secret shown once), revoke and rotate after confirming."""

import pytest
from django.urls import reverse

from tiendo.conftest import make_user
from tiendo.core.models import AuditLog
from tiendo.orgunits.models import Membership
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import TokenRefusedError, apitoken_authenticate, apitoken_create

pytestmark = pytest.mark.django_db

PAGE = "/tokens/"


def test_a_visitor_is_sent_to_log_in(client, shipped_data):
    response = client.get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_office_lists_every_token_with_owner_unit_scopes_expiry_and_state(
    client, office_admin, tinhkhe_reporter, other_viewer
):
    apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP-xa", scopes=["read", "write"])
    gone = apitoken_create(actor=office_admin, user=other_viewer, name="cu", scopes=["read"])
    gone.token.revoked = True
    gone.token.save()
    client.force_login(office_admin)
    page = client.get(PAGE).content.decode()
    assert "LGSP-xa" in page and "tinhkhe.reporter" in page and "read, write" in page
    assert "Xã Tịnh Khê" in page  # the owner's unit
    assert "đã thu hồi" in page and "cu" in page


def test_creating_a_token_shows_its_secret_once_and_the_list_never_again(
    client, office_admin, tinhkhe_reporter
):
    client.force_login(office_admin)
    response = client.post(
        PAGE, {"username": "tinhkhe.reporter", "name": "LGSP", "scopes": ["read"], "days": "30"}
    )
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    secret = response.context["issued"].secret
    assert secret in response.content.decode()
    token = apitoken_authenticate(secret)
    assert token is not None and token.user == tinhkhe_reporter and token.scopes == ["read"]
    assert secret not in client.get(PAGE).content.decode()
    assert AuditLog.objects.filter(action="apitoken.create", actor=office_admin).count() == 1


def test_bad_input_names_the_field_and_creates_nothing(client, office_admin, tinhkhe_reporter):
    client.force_login(office_admin)
    for form in (
        {"username": "tinhkhe.reporter", "name": "x", "scopes": ["read"], "days": "9999"},
        {"username": "tinhkhe.reporter", "name": "x", "scopes": ["read"], "days": "abc"},
        {"username": "tinhkhe.reporter", "name": "x", "scopes": ["admin"]},
        {"username": "tinhkhe.reporter", "name": "", "scopes": ["read"]},
    ):
        response = client.post(PAGE, form)
        assert response.status_code == 400, form
        assert 'id="token-error"' in response.content.decode()
    assert not ApiToken.objects.exists()


def test_a_unit_admin_cannot_issue_a_token_for_someone_outside_their_unit(client, other_viewer):
    admin = make_user("tinhkhe.admin", "21211", Membership.Role.ADMIN)
    client.force_login(admin)
    outside = client.post(PAGE, {"username": "other.viewer", "name": "x", "scopes": ["read"]})
    unknown = client.post(PAGE, {"username": "nobody", "name": "x", "scopes": ["read"]})
    assert outside.status_code == unknown.status_code == 404  # the same answer: existence not revealed
    assert not ApiToken.objects.exists()


def test_revoking_asks_first_then_refuses_the_token_and_audits_it(client, office_admin, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    client.force_login(office_admin)
    url = reverse("api-token-action", args=[issued.token.pk, "revoke"])
    confirm = client.get(url)
    assert confirm.status_code == 200 and 'id="token-confirm"' in confirm.content.decode()
    assert not ApiToken.objects.get().revoked  # asking changes nothing
    response = client.post(url, {"reason": "lộ mã"})
    assert response.status_code == 302
    with pytest.raises(TokenRefusedError):
        apitoken_authenticate(issued.secret)
    assert AuditLog.objects.get(action="apitoken.revoke").reason == "lộ mã"


def test_rotating_shows_the_new_secret_once_and_the_old_one_stops(client, office_admin, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    client.force_login(office_admin)
    url = reverse("api-token-action", args=[issued.token.pk, "rotate"])
    assert "401" in client.get(url).content.decode()  # the confirmation says what will happen
    response = client.post(url)
    new_secret = response.context["issued"].secret
    assert new_secret in response.content.decode()
    assert apitoken_authenticate(new_secret) is not None
    with pytest.raises(TokenRefusedError):
        apitoken_authenticate(issued.secret)


def test_someone_elses_token_is_not_found(client, office_admin, tinhkhe_viewer, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    client.force_login(tinhkhe_viewer)
    assert f"token-{issued.token.pk}" not in client.get(PAGE).content.decode()
    for action in ("revoke", "rotate"):
        url = reverse("api-token-action", args=[issued.token.pk, action])
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert not ApiToken.objects.get().revoked


def test_the_list_takes_the_same_queries_for_two_tokens_as_for_twelve(client, office_admin, tinhkhe_reporter):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(office_admin)
    counts = []
    for total in (2, 12):
        while ApiToken.objects.count() < total:
            apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="t", scopes=["read"])
        client.get(PAGE)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(PAGE).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_creating_revoking_or_rotating_without_the_csrf_token_is_refused_and_changes_nothing(
    office_admin, tinhkhe_reporter
):
    from tiendo.conftest import SecondFactorClient

    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    client = SecondFactorClient(enforce_csrf_checks=True)
    client.force_login(office_admin)  # with its second factor verified
    form = {"username": "tinhkhe.reporter", "name": "x", "scopes": ["read"]}
    assert client.post(PAGE, form).status_code == 403
    for action in ("revoke", "rotate"):
        assert client.post(reverse("api-token-action", args=[issued.token.pk, action])).status_code == 403
    assert list(ApiToken.objects.values_list("pk", "revoked")) == [(issued.token.pk, False)]


def test_a_unit_admin_may_revoke_but_not_rotate_a_members_token_on_the_page(
    client, office_admin, tinhkhe_reporter
):
    admin = make_user("tinhkhe.admin", "21211", Membership.Role.ADMIN)
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    client.force_login(admin)
    page = client.get(PAGE).content.decode()
    rotate = reverse("api-token-action", args=[issued.token.pk, "rotate"])
    assert f"token-{issued.token.pk}" in page and rotate not in page
    refused = client.post(rotate)
    assert refused.status_code == 403 and 'id="token-error"' in refused.content.decode()
    assert "issued" not in refused.context or refused.context["issued"] is None
    minted = client.post(PAGE, {"username": "tinhkhe.reporter", "name": "x", "scopes": ["read"]})
    assert minted.status_code == 403 and ApiToken.objects.count() == 1
    assert client.post(reverse("api-token-action", args=[issued.token.pk, "revoke"])).status_code == 302
    assert ApiToken.objects.get().revoked
