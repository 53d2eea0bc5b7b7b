import pytest

pytestmark = pytest.mark.django_db


def test_orgunits_filters_communes_by_a_search_without_diacritics(client, shipped_data):
    body = client.get("/api/v1/orgunits", {"kind": "commune", "q": "tinh khe"}).json()
    assert body == {
        "items": [
            {
                "code": "21211",
                "name": "Xã Tịnh Khê",
                "name_en": "Xã Tịnh Khê",
                "kind": "commune",
                "division_type": "xã",
                "parent": "51",
            }
        ],
        "count": 1,
    }


def test_orgunits_lists_the_96_communes_over_pages(client, shipped_data):
    first = client.get("/api/v1/orgunits", {"kind": "commune"}).json()
    second = client.get("/api/v1/orgunits", {"kind": "commune", "page": 2}).json()
    assert first["count"] == 96
    assert len(first["items"]) + len(second["items"]) == 96


def test_orgunits_filters_by_parent(client, shipped_data):
    body = client.get("/api/v1/orgunits", {"parent": "51", "kind": "agency"}).json()
    assert body["count"] == 24
    assert all(item["parent"] == "51" for item in body["items"])


def test_an_unknown_kind_is_a_400_naming_the_field_in_the_readers_language(client, shipped_data):
    response = client.get("/api/v1/orgunits", {"kind": "huyen"})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == "kind"
    assert error["message"] == "kind phải là một trong province, commune, agency"
    client.cookies["django_language"] = "en"  # the language switch's choice
    english = client.get("/api/v1/orgunits", {"kind": "huyen"})
    assert english.json()["error"]["message"] == "kind must be one of province, commune, agency"


def test_one_orgunit_by_code_and_a_404_for_an_unknown_code(client, shipped_data):
    assert client.get("/api/v1/orgunits/21211").json()["name"] == "Xã Tịnh Khê"
    assert client.get("/api/v1/orgunits/00000").json()["error"]["code"] == "not_found"


def test_listing_orgunits_takes_a_fixed_number_of_queries(
    client, shipped_data, django_assert_max_num_queries
):
    with django_assert_max_num_queries(3):
        assert client.get("/api/v1/orgunits", {"kind": "commune"}).status_code == 200
