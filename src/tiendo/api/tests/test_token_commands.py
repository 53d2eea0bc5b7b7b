"""`tiendo create-token --days`, `list-tokens`, `revoke-token`, `rotate-token`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from tiendo.core.models import AuditLog
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import apitoken_authenticate

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue()


def test_create_token_takes_days_and_refuses_more_than_the_maximum(settings, tinhkhe_reporter):
    settings.TIENDO_TOKEN_MAX_DAYS = 30
    secret, _ = run("create_token", "tinhkhe.reporter", "--name", "LGSP", "--days", "10")
    token = apitoken_authenticate(secret)
    assert token is not None and token.name == "LGSP"
    assert abs(token.expires_at - (timezone.now() + timedelta(days=10))) < timedelta(minutes=1)
    with pytest.raises(CommandError, match="30"):
        run("create_token", "tinhkhe.reporter", "--days", "31")
    assert ApiToken.objects.count() == 1
    assert AuditLog.objects.get(action="apitoken.create").actor_label == "tiendo create-token"


def test_list_tokens_shows_owner_scopes_expiry_and_state_but_never_the_secret(tinhkhe_reporter):
    secret, _ = run("create_token", "tinhkhe.reporter", "--name", "LGSP", "--scope", "read")
    revoked_secret, _ = run("create_token", "tinhkhe.reporter", "--name", "cu")
    run("revoke_token", str(ApiToken.objects.get(name="cu").pk))
    listing, _ = run("list_tokens")
    assert "LGSP" in listing and "tinhkhe.reporter" in listing and "\tread\t" in listing
    assert "cu" not in listing.split("\n", 1)[1]  # revoked tokens only with --all
    everything, _ = run("list_tokens", "--all")
    assert "cu" in everything and secret not in everything and revoked_secret not in everything


def test_revoke_token_refuses_the_token_at_once_and_says_so_for_an_unknown_id(tinhkhe_reporter):
    secret, _ = run("create_token", "tinhkhe.reporter")
    token_id = ApiToken.objects.get().pk
    out, _ = run("revoke_token", str(token_id), "--reason", "lộ mã")
    assert str(token_id) in out
    assert ApiToken.objects.get().revoked
    assert AuditLog.objects.get(action="apitoken.revoke").reason == "lộ mã"
    with pytest.raises(CommandError):
        run("revoke_token", str(token_id))  # already revoked
    with pytest.raises(CommandError):
        run("revoke_token", "999999")


def test_rotate_token_prints_a_new_secret_and_the_old_one_stops_working(tinhkhe_reporter):
    from tiendo.reporting.tokens import TokenRefusedError

    old_secret, _ = run("create_token", "tinhkhe.reporter", "--name", "LGSP")
    new_secret, err = run("rotate_token", str(ApiToken.objects.get().pk))
    assert new_secret.startswith("d2pat_") and new_secret != old_secret
    new = apitoken_authenticate(new_secret)
    assert new is not None and new.name == "LGSP"
    with pytest.raises(TokenRefusedError):
        apitoken_authenticate(old_secret)


def test_list_tokens_shows_a_working_token_that_has_no_expiry_among_the_active(tinhkhe_reporter):
    secret, _ = run("create_token", "tinhkhe.reporter", "--name", "eternal")
    ApiToken.objects.update(expires_at=None)  # as loaded from a dump made before expiry existed
    assert apitoken_authenticate(secret) is not None
    listing, _ = run("list_tokens")
    assert "eternal" in listing.split("\n", 1)[1]
