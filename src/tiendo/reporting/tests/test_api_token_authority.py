"""Who may manage whose API tokens, probed as an attacker: a unit's admin reaches only users who lie
wholly inside their units. A token acts with all its owner's rights, so issuing, rotating or even
revoking one for a user who is also the office, a superuser or a member of another unit would reach
beyond the admin's own units; and issuing or rotating one for a member hands the admin a secret that
acts as that member, which only the office may (review of the security merge, issue 10)."""

import pytest

from tiendo.conftest import make_user
from tiendo.core.exceptions import NotFoundError, PermissionDeniedError
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.reporting.models import ApiToken
from tiendo.reporting.tokens import apitoken_create, apitoken_revoke, apitoken_rotate, apitokens_visible

pytestmark = pytest.mark.django_db


@pytest.fixture
def tinhkhe_admin(shipped_data):
    return make_user("tinhkhe.admin", "21211", Membership.Role.ADMIN)


def _also_member(user, unit_code: str, role: str) -> None:
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(code=unit_code), role=role)


def _assert_out_of_reach(admin, target, office_admin) -> None:
    theirs = apitoken_create(actor=office_admin, user=target, name="theirs", scopes=["read"])
    assert theirs.token not in apitokens_visible(user=admin)
    with pytest.raises(NotFoundError):
        apitoken_create(actor=admin, user=target, name="mine-now", scopes=["read", "write"])
    with pytest.raises(NotFoundError):
        apitoken_rotate(actor=admin, token=theirs.token)
    with pytest.raises(NotFoundError):
        apitoken_revoke(actor=admin, token=theirs.token)
    assert list(ApiToken.objects.filter(user=target, revoked=False)) == [theirs.token]


def test_a_unit_admin_cannot_mint_a_token_for_an_office_admin_who_is_also_a_member_of_their_unit(
    tinhkhe_admin, office_admin
):
    _also_member(office_admin, "21211", Membership.Role.VIEWER)
    _assert_out_of_reach(tinhkhe_admin, office_admin, office_admin)


def test_a_unit_admin_cannot_mint_a_token_for_a_superuser_who_is_a_member_of_their_unit(
    tinhkhe_admin, office_admin
):
    root = make_user("root", "21211", Membership.Role.VIEWER, superuser=True)
    _assert_out_of_reach(tinhkhe_admin, root, office_admin)


def test_a_unit_admin_cannot_reach_a_member_who_also_belongs_to_another_unit(
    tinhkhe_admin, office_admin, tinhkhe_viewer
):
    _also_member(tinhkhe_viewer, "21172", Membership.Role.ADMIN)
    _assert_out_of_reach(tinhkhe_admin, tinhkhe_viewer, office_admin)


def test_a_unit_admin_sees_and_revokes_a_member_wholly_inside_their_units(
    tinhkhe_admin, tinhkhe_reporter, office_admin
):
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="xa", scopes=["read"])
    assert list(apitokens_visible(user=tinhkhe_admin)) == [issued.token]
    apitoken_revoke(actor=tinhkhe_admin, token=issued.token)
    assert ApiToken.objects.get().revoked


def test_a_unit_admin_cannot_issue_or_rotate_a_secret_that_acts_as_one_of_their_members(
    tinhkhe_admin, tinhkhe_reporter, office_admin
):
    # with it they could submit as the reporter and approve as themselves (four eyes)
    issued = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="xa", scopes=["read"])
    with pytest.raises(PermissionDeniedError):
        apitoken_create(actor=tinhkhe_admin, user=tinhkhe_reporter, name="x", scopes=["read", "write"])
    with pytest.raises(PermissionDeniedError):
        apitoken_rotate(actor=tinhkhe_admin, token=issued.token)
    assert list(ApiToken.objects.values_list("pk", "revoked")) == [(issued.token.pk, False)]


def test_a_unit_admin_still_issues_and_rotates_their_own_and_the_office_anyones(
    tinhkhe_admin, tinhkhe_reporter, office_admin
):
    own = apitoken_create(actor=tinhkhe_admin, user=tinhkhe_admin, name="own", scopes=["read"])
    assert apitoken_rotate(actor=tinhkhe_admin, token=own.token).token.user == tinhkhe_admin
    theirs = apitoken_create(actor=office_admin, user=tinhkhe_reporter, name="xa", scopes=["read"])
    assert apitoken_rotate(actor=office_admin, token=theirs.token).token.user == tinhkhe_reporter
