"""package_search answered again from a short cache: keyed by the catalogue the reader may list as
it stands and by who reads, so a change shows at once and nothing a reader may not see is served to
them; a fresh answer in a handful of queries."""

import json

import pytest
from django.core.cache import cache

from tiendo.opendata.models import Dataset
from tiendo.opendata.services import dataset_update, dataset_withdraw
from tiendo.opendata.tests.conftest import health_fields, published_health_dataset
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.reporting.tokens import apitoken_create

pytestmark = pytest.mark.django_db
API = "/opendata/api/3/action/package_search"
FACETS = json.dumps(["groups", "organization"])


@pytest.fixture(autouse=True)
def search_cache(settings):
    settings.TIENDO_CATALOGUE_CACHE_SECONDS = 30
    cache.clear()
    yield
    cache.clear()


def search(client, headers=None, **params):
    response = client.get(API, {"facet.field": FACETS, **params}, headers=headers or {})
    assert response.status_code == 200, response.content[:300]
    return response.json()["result"]


def names(found):
    return sorted(package["name"] for package in found["results"])


def token_for(user):
    return {"Authorization": apitoken_create(actor=None, user=user, name="t", scopes=["read"]).secret}


def test_a_repeated_search_is_answered_from_the_cache_after_one_query(
    client, syt_admin, django_assert_num_queries
):
    published_health_dataset(syt_admin)
    first = search(client, q="tram y te")

    with django_assert_num_queries(1):  # what the catalogue looks like now
        again = search(client, q="tram y te")

    assert again == first and first["count"] == 1


def test_a_fresh_answer_reads_the_catalogue_in_a_handful_of_queries(
    client, syt_admin, django_assert_max_num_queries
):
    for index in range(12):
        published_health_dataset(syt_admin, title=f"Trạm y tế số {index}", themes=("HEAL", "EDUC"))

    with django_assert_max_num_queries(5):  # the stamp, the matches and facets, themes, page, versions
        found = search(client, q="tram y te", rows=10)

    assert found["count"] == 12 and len(found["results"]) == 10
    assert found["facets"]["groups"] == {"heal": 12, "educ": 12}


def test_a_dataset_published_changed_or_withdrawn_shows_in_the_next_answer(client, syt_admin):
    first = published_health_dataset(syt_admin)
    assert names(search(client, q="tram")) == [first.name]

    second = published_health_dataset(syt_admin, title="Trạm y tế lưu động")
    assert names(search(client, q="tram")) == sorted([first.name, second.name])

    dataset_update(
        actor=syt_admin, dataset=second, fields=health_fields(title="Xe cứu thương", name="xe-cuu-thuong")
    )
    assert names(search(client, q="tram")) == [first.name]

    dataset_withdraw(actor=syt_admin, dataset=first, reason="Số liệu sai")
    assert search(client, q="tram")["count"] == 0


def test_a_members_answer_is_never_served_to_the_anonymous_reader_nor_the_reverse(
    client, syt_admin, tinhkhe_viewer
):
    tinhkhe = OrgUnit.objects.get(code="21211")
    restricted = published_health_dataset(
        syt_admin, title="Trạm hạn chế", access="restricted", allowed_units=(tinhkhe,)
    )
    member = token_for(tinhkhe_viewer)

    anonymous_before = search(client, q="tram", include_private="true")
    as_member = search(client, member, q="tram", include_private="true")
    anonymous_after = search(client, q="tram", include_private="true")

    assert names(as_member) == [restricted.name]
    assert anonymous_before["count"] == anonymous_after["count"] == 0


def test_a_member_who_leaves_the_unit_no_longer_sees_what_it_was_shown(client, syt_admin, tinhkhe_viewer):
    tinhkhe = OrgUnit.objects.get(code="21211")
    published_health_dataset(syt_admin, title="Trạm hạn chế", access="restricted", allowed_units=(tinhkhe,))
    member = token_for(tinhkhe_viewer)
    assert search(client, member, q="tram", include_private="true")["count"] == 1

    Membership.objects.filter(user=tinhkhe_viewer).delete()  # no dataset changes

    assert search(client, member, q="tram", include_private="true")["count"] == 0


def test_an_answer_in_english_is_not_served_in_vietnamese(client, syt_admin):
    published_health_dataset(syt_admin)

    english = search(client, {"Accept-Language": "en"}, q="tram")
    vietnamese = search(client, q="tram")

    titles = {
        language: {i["name"]: i["display_name"] for i in found["search_facets"]["groups"]["items"]}
        for language, found in (("en", english), ("vi", vietnamese))
    }
    assert titles["en"]["heal"] != titles["vi"]["heal"]


def test_with_the_cache_off_every_answer_is_read_afresh(
    client, syt_admin, settings, django_assert_num_queries
):
    settings.TIENDO_CATALOGUE_CACHE_SECONDS = 0
    published_health_dataset(syt_admin)
    search(client, q="tram")

    with django_assert_num_queries(4):  # no stamp: the matches and facets, themes, page, versions
        search(client, q="tram")

    assert Dataset.objects.count() == 1
