"""API tokens: expiry, revocation, rotation, who may manage whose, last use (tiendo.reporting.tokens)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tiendo.conftest import make_user
from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.models import AuditLog
from tiendo.orgunits.models import Membership
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import (
    TokenRefusedError,
    apitoken_authenticate,
    apitoken_create,
    apitoken_revoke,
    apitoken_rotate,
    apitoken_state,
    apitokens_visible,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def tinhkhe_admin(shipped_data):
    return make_user("tinhkhe.admin", "21211", Membership.Role.ADMIN)


def test_a_token_expires_after_the_default_days_unless_asked_and_never_beyond_the_maximum(
    settings, office_admin, tinhkhe_reporter
):
    settings.TIENDO_TOKEN_DAYS, settings.TIENDO_TOKEN_MAX_DAYS = 90, 365
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    assert abs(issued.token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    week = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="thử", scopes=["read"], days=7)
    assert abs(week.token.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    for days in (366, 0, -1):
        with pytest.raises(ApplicationError) as refused:
            apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="x", scopes=["read"], days=days)
        assert refused.value.field == "days"
    assert ApiToken.objects.count() == 2


def test_only_the_hash_is_kept_and_the_secret_authenticates(office_admin, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    row = ApiToken.objects.get()
    assert issued.secret not in (row.token_hash, row.prefix) and issued.secret.startswith(row.prefix)
    assert apitoken_authenticate(issued.secret) == row
    assert apitoken_authenticate("d2pat_unknown") is None
    audit = AuditLog.objects.get(action="apitoken.create")
    assert audit.actor == office_admin and issued.secret not in str(audit.changes)


def test_an_expired_token_is_refused_saying_it_expired(office_admin, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    with pytest.raises(TokenRefusedError) as refused:
        apitoken_authenticate(issued.secret)
    assert (refused.value.status_code, refused.value.code) == (401, "token_expired")
    assert apitoken_state(ApiToken.objects.get()) == "expired"


def test_a_revoked_token_is_refused_at_once_and_the_revocation_is_audited(office_admin, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    apitoken_revoke(actor=office_admin, token=issued.token, reason="lộ mã")
    with pytest.raises(TokenRefusedError) as refused:
        apitoken_authenticate(issued.secret)
    assert refused.value.code == "token_revoked"
    row = ApiToken.objects.get()
    assert row.revoked and row.revoked_at is not None and apitoken_state(row) == "revoked"
    audit = AuditLog.objects.get(action="apitoken.revoke")
    assert (audit.actor, audit.reason, audit.object_id) == (office_admin, "lộ mã", str(row.pk))
    with pytest.raises(ApplicationError):  # twice: refused, nothing changes
        apitoken_revoke(actor=office_admin, token=row)
    assert AuditLog.objects.filter(action="apitoken.revoke").count() == 1


def test_rotation_gives_a_new_secret_with_the_same_owner_and_scopes_and_revokes_the_old_one(
    office_admin, tinhkhe_reporter
):
    old = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read", "write"])
    new = apitoken_rotate(actor=office_admin, token=old.token)
    assert new.secret != old.secret
    assert (new.token.user, new.token.name, new.token.scopes) == (tinhkhe_reporter, "LGSP", ["read", "write"])
    assert apitoken_authenticate(new.secret) == new.token
    with pytest.raises(TokenRefusedError) as refused:
        apitoken_authenticate(old.secret)
    assert refused.value.code == "token_revoked" and "xoay vòng" in str(refused.value.message)
    assert apitoken_state(ApiToken.objects.get(pk=old.token.pk)) == "rotated"
    assert AuditLog.objects.filter(action="apitoken.rotate", object_id=str(old.token.pk)).count() == 1
    with pytest.raises(ApplicationError):
        apitoken_rotate(actor=office_admin, token=old.token)


def test_a_unit_admin_manages_the_tokens_of_their_units_members_and_no_one_elses(
    tinhkhe_admin, tinhkhe_reporter, other_viewer, office_admin
):
    mine = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="xa", scopes=["read"])
    theirs = apitoken_create(actor=office_admin, user=other_viewer, name="khac", scopes=["read"])
    assert list(apitokens_visible(user=tinhkhe_admin)) == [mine.token]
    assert set(apitokens_visible(user=office_admin)) == {mine.token, theirs.token}
    with pytest.raises(NotFoundError):
        apitoken_create(actor=tinhkhe_admin, user=other_viewer, name="x", scopes=["read"])
    with pytest.raises(NotFoundError):
        apitoken_revoke(actor=tinhkhe_admin, token=theirs.token)
    with pytest.raises(NotFoundError):
        apitoken_rotate(actor=tinhkhe_admin, token=theirs.token)
    assert not ApiToken.objects.get(pk=theirs.token.pk).revoked


def test_a_reporter_sees_and_manages_only_their_own_tokens(tinhkhe_reporter, tinhkhe_viewer, office_admin):
    own = apitoken_create(actor=tinhkhe_reporter, user=tinhkhe_reporter, name="tôi", scopes=["read"])
    other = apitoken_create(actor=office_admin, user=tinhkhe_viewer, name="bạn", scopes=["read"])
    assert list(apitokens_visible(user=tinhkhe_reporter)) == [own.token]
    with pytest.raises(NotFoundError):
        apitoken_revoke(actor=tinhkhe_reporter, token=other.token)
    apitoken_revoke(actor=tinhkhe_reporter, token=own.token)


def test_the_time_of_last_use_is_written_at_most_once_a_minute(
    office_admin, tinhkhe_reporter, django_assert_num_queries
):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    with django_assert_num_queries(2):  # read + the first use written
        apitoken_authenticate(issued.secret)
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with django_assert_num_queries(1):  # within the minute: read only
        apitoken_authenticate(issued.secret)
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - timedelta(minutes=2))
    apitoken_authenticate(issued.secret)
    assert ApiToken.objects.get().last_used_at > first - timedelta(seconds=1)


def test_a_token_of_a_deactivated_user_no_longer_authenticates(office_admin, tinhkhe_reporter):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="LGSP", scopes=["read"])
    tinhkhe_reporter.is_active = False
    tinhkhe_reporter.save()
    assert apitoken_authenticate(issued.secret) is None
