import pytest
from django.contrib.auth.models import AnonymousUser

from tiendo.core.exceptions import NotFoundError
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import unit_can_view_private, unit_list, unit_memberships, user_is_office_admin
from tiendo.reporting.selectors import datavalues_for_unit

pytestmark = pytest.mark.django_db


def unit(code: str) -> OrgUnit:
    return OrgUnit.objects.get(code=code)


def test_a_commune_viewer_sees_the_private_data_of_their_own_commune(tinhkhe_viewer):
    assert unit_can_view_private(tinhkhe_viewer, unit("21211"))
    assert list(datavalues_for_unit(user=tinhkhe_viewer, unit=unit("21211"))) == []


def test_a_commune_viewer_cannot_read_another_communes_private_data(tinhkhe_viewer):
    assert not unit_can_view_private(tinhkhe_viewer, unit("21172"))
    with pytest.raises(NotFoundError):
        datavalues_for_unit(user=tinhkhe_viewer, unit=unit("21172"))
    with pytest.raises(NotFoundError):
        unit_memberships(user=tinhkhe_viewer, unit=unit("21172"))


def test_a_commune_viewer_cannot_read_the_provinces_private_data(tinhkhe_viewer):
    assert not unit_can_view_private(tinhkhe_viewer, unit("51"))


def test_the_office_admin_sees_every_units_private_data(office_admin):
    assert user_is_office_admin(office_admin)
    assert all(unit_can_view_private(office_admin, u) for u in OrgUnit.objects.all())


def test_an_agency_reviewer_sees_only_their_agency(skhcn_reviewer):
    assert not user_is_office_admin(skhcn_reviewer)
    assert unit_can_view_private(skhcn_reviewer, unit("SKHCN"))
    assert not unit_can_view_private(skhcn_reviewer, unit("STC"))
    assert not unit_can_view_private(skhcn_reviewer, unit("21211"))


def test_an_anonymous_visitor_sees_no_private_data(shipped_data):
    assert not unit_can_view_private(AnonymousUser(), unit("21211"))


def test_the_unit_tree_itself_is_public(shipped_data):
    assert unit_list(user=AnonymousUser(), kind="commune").count() == 96


def test_search_ignores_diacritics_and_case(shipped_data):
    names = list(unit_list(user=AnonymousUser(), q="TINH khe").values_list("name", flat=True))
    assert names == ["Xã Tịnh Khê"]
    assert list(unit_list(user=AnonymousUser(), q="21211").values_list("code", flat=True)) == ["21211"]
    assert unit_list(user=AnonymousUser(), q="đặc khu").get().name == "Đặc khu Lý Sơn"


def test_search_finds_an_agency_by_its_alias(shipped_data):
    assert unit_list(user=AnonymousUser(), kind="agency", q="VPUB").get().code == "VPUBND"
