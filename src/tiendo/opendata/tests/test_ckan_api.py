"""The CKAN Action API (/opendata/api/3/action/…) through Django's test client: CKAN 2.11's envelope,
status codes and error shapes, every action and its parameters, who sees what, drafts never, and a
bounded number of queries per search."""

import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import Client

from tiendo.opendata.models import Dataset
from tiendo.opendata.selectors import dataset_usage
from tiendo.opendata.services import dataset_create, dataset_upload
from tiendo.opendata.tests.conftest import health_fields, published_health_dataset
from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.tokens import apitoken_create, apitoken_revoke

pytestmark = pytest.mark.django_db
API = "/opendata/api/3/action/"
HELP = "http://testserver/opendata/api/3/action/help_show?name="


def get(client, action, headers=None, **params):
    return client.get(API + action, params, headers=headers or {})


def post(client, action, body, headers=None):
    return client.post(API + action, json.dumps(body), content_type="application/json", headers=headers or {})


def result(response):
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["success"] is True
    return body["result"]


def error(response, status):
    assert response.status_code == status, response.content[:500]
    body = response.json()
    assert set(body) == {"help", "success", "error"}
    assert body["success"] is False
    return body["error"]


def token_for(user, scopes=("read",)):
    return {
        "Authorization": "ApiToken "
        + apitoken_create(actor=None, user=user, name="ckan", scopes=list(scopes)).secret
    }


@pytest.fixture
def health(syt_admin):
    return published_health_dataset(syt_admin)


@pytest.fixture
def catalogue(syt_admin, skhcn_reporter):
    """Four published datasets (public ×2, shared, restricted to Xã Tịnh Khê) and a draft."""
    tinhkhe = OrgUnit.objects.get(code="21211")
    made = {
        "health": published_health_dataset(syt_admin),
        "schools": published_health_dataset(
            skhcn_reporter,
            title="Internet công cộng: điểm truy cập",
            publisher=OrgUnit.objects.get(code="SKHCN"),
            themes=("EDUC", "GOVE"),
            keywords=("internet", "chuyển đổi số"),
            licence="CC0-1.0",
        ),
        "shared": published_health_dataset(syt_admin, title="Hồ sơ bệnh án dùng chung", access="shared"),
        "restricted": published_health_dataset(
            syt_admin, title="Danh sách trạm hạn chế", access="restricted", allowed_units=(tinhkhe,)
        ),
    }
    made["draft"] = dataset_create(actor=syt_admin, fields=health_fields(title="Bản nháp tiêm chủng"))
    dataset_upload(actor=syt_admin, dataset=made["draft"], filename="d.csv", content=b"a,b\n1,2\n")
    return made


# ------------------------------------------------------------------------------------------ envelope


def test_status_show_answers_in_ckans_envelope_with_the_url_of_its_help(client):
    response = get(client, "status_show")

    body = response.json()
    assert list(body) == ["help", "success", "result"]
    assert body["help"] == HELP + "status_show"
    assert response["Content-Type"].startswith("application/json")
    assert body["result"]["ckan_version"] == "2.11.0"
    assert body["result"]["extensions"] == ["datastore"]
    assert body["result"]["site_url"] == "http://testserver"
    assert body["result"]["site_title"] == "tiendo"


def test_the_path_without_a_version_answers_the_same_actions(client, health):
    body = client.get("/opendata/api/action/package_show", {"id": health.name}).json()

    assert body["help"] == HELP + "package_show"
    assert body["result"]["name"] == health.name


def test_an_unknown_action_is_a_bad_request_as_ckan_answers_it(client):
    response = get(client, "package_delete")

    assert response.status_code == 400
    assert response.json() == "Bad request - Action name not known: package_delete"


def test_a_body_that_is_not_json_or_not_an_object_is_a_bad_request(client):
    broken = client.post(API + "package_show", "{id:", content_type="application/json")
    a_list = client.post(API + "package_show", "[1, 2]", content_type="application/json")

    assert broken.status_code == a_list.status_code == 400
    assert broken.json().startswith("Bad request - JSON Error")
    assert "needs to be a dictionary" in a_list.json()


def test_a_post_reads_without_a_csrf_token_and_a_put_is_refused(health):
    client = Client(enforce_csrf_checks=True)

    assert result(post(client, "package_show", {"id": health.name}))["id"] == str(health.uid)
    assert client.put(API + "package_show").status_code == 405


def test_a_form_post_is_read_as_ckan_reads_it(client, health):
    fields = client.post(API + "package_show", {"id": health.name})
    json_key = client.post(API + "package_show", {json.dumps({"id": health.name}): ""})

    assert result(fields)["name"] == result(json_key)["name"] == health.name


def test_help_show_gives_an_actions_help_and_not_found_for_an_unknown_one(client):
    assert "fq" in result(get(client, "help_show", name="package_search"))
    assert error(get(client, "help_show", name="nope"), 404) == {
        "__type": "Not Found Error",
        "message": "Not found: Action function not found",
    }
    assert error(get(client, "help_show"), 409) == {"__type": "Validation Error", "name": ["Thiếu giá trị"]}


def test_jsonp_wraps_the_answer_in_the_callback_and_reads_as_the_anonymous_reader(
    client, catalogue, syt_admin
):
    response = get(client, "package_list", headers=token_for(syt_admin), callback="cb.done")

    assert response["Content-Type"].startswith("application/javascript")
    text = response.content.decode()
    assert text.startswith("cb.done(") and text.endswith(");")
    assert json.loads(text[len("cb.done(") : -2])["result"] == sorted(
        [catalogue["health"].name, catalogue["schools"].name]
    )
    assert get(client, "package_list", callback="alert(1)").status_code == 400
    posted = client.post(
        API + "package_list", json.dumps({"callback": "cb"}), content_type="application/json"
    )
    assert result(posted) == json.loads(text[len("cb.done(") : -2])["result"]  # not wrapped


# ------------------------------------------------------------------------------------------ packages


def test_package_list_names_the_published_public_datasets_in_order_and_pages(client, catalogue, office_admin):
    public = sorted([catalogue["health"].name, catalogue["schools"].name])

    assert result(get(client, "package_list")) == public
    assert result(get(client, "package_list", headers=token_for(office_admin))) == public
    assert result(get(client, "package_list", limit=1, offset=1)) == public[1:]
    assert error(get(client, "package_list", limit=-1), 409)["limit"] == [
        "Phải là số tự nhiên (số nguyên không âm)"
    ]


def test_package_show_answers_ckans_package_dict(client, health):
    package = result(get(client, "package_show", id=health.name))

    assert package["id"] == str(health.uid)
    assert package["type"] == "dataset"
    assert package["title"] == "Trạm y tế xã và hồ sơ sức khỏe điện tử"
    assert package["state"] == "active" and package["private"] is False
    assert package["license_id"] == "CC-BY-4.0" and package["isopen"] is True
    assert package["license_url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert package["organization"]["name"] == "syt"
    assert package["organization"]["is_organization"] is True
    assert package["owner_org"] == package["organization"]["id"]
    assert [t["name"] for t in package["tags"]] == ["hồ sơ sức khỏe", "y tế"] and package["num_tags"] == 2
    assert [g["name"] for g in package["groups"]] == ["heal"]
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert extras["access_level"] == "public"
    assert extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
    assert extras["contact_email"] == "nghiepvu.syt@example.gov.vn"
    assert "+" not in package["metadata_modified"] and "T" in package["metadata_created"]
    assert package["version"] == "1" and package["num_resources"] == 1
    [resource] = package["resources"]
    assert resource["id"] == str(health.uid) and resource["package_id"] == str(health.uid)
    assert resource["url"] == f"http://testserver/opendata/dataset/{health.name}/data.csv"
    assert (resource["format"], resource["datastore_active"], resource["state"]) == ("CSV", True, "active")
    assert package["url"] == f"http://testserver/opendata/dataset/{health.name}/"


def test_package_show_finds_a_dataset_by_its_id_and_by_post(client, health):
    assert result(get(client, "package_show", id=str(health.uid)))["name"] == health.name
    assert result(post(client, "package_show", {"name_or_id": health.name}))["name"] == health.name


def test_a_missing_package_is_ckans_not_found_error(client):
    body = get(client, "package_show", id="khong-co").json()

    assert body == {
        "help": HELP + "package_show",
        "success": False,
        "error": {"__type": "Not Found Error", "message": "Not found: Không tìm thấy bộ dữ liệu."},
    }


def test_package_show_without_an_id_is_a_validation_error_naming_it(client):
    assert error(get(client, "package_show"), 409) == {"__type": "Validation Error", "id": ["Thiếu giá trị"]}


def test_a_shared_or_restricted_package_is_private_in_ckans_terms(client, catalogue, tinhkhe_viewer):
    shared = result(get(client, "package_show", id=catalogue["shared"].name))
    restricted = result(
        get(client, "package_show", headers=token_for(tinhkhe_viewer), id=catalogue["restricted"].name)
    )

    assert shared["private"] is restricted["private"] is True
    extras = {e["key"]: e["value"] for e in restricted["extras"]}
    assert extras["access_level"] == "restricted"


# ------------------------------------------------------------------------------------------ access


@pytest.mark.parametrize(
    ("access", "expected"),
    [
        ("public", {"anonymous": (200, 200), "other": (200, 200), "named": (200, 200), "office": (200, 200)}),
        ("shared", {"anonymous": (200, 403), "other": (200, 403), "named": (200, 403), "office": (200, 200)}),
        (
            "restricted",
            {"anonymous": (404, 404), "other": (404, 404), "named": (200, 200), "office": (200, 200)},
        ),
    ],
)
def test_each_reader_sees_and_reads_what_the_access_level_allows(
    client, catalogue, office_admin, tinhkhe_viewer, other_viewer, access, expected
):
    dataset = {
        "public": catalogue["health"],
        "shared": catalogue["shared"],
        "restricted": catalogue["restricted"],
    }[access]
    readers = {
        "anonymous": {},
        "other": token_for(other_viewer),
        "named": token_for(tinhkhe_viewer),
        "office": token_for(office_admin),
    }

    seen = {
        who: (
            get(client, "package_show", headers=headers, id=dataset.name).status_code,
            get(client, "datastore_search", headers=headers, resource_id=str(dataset.uid)).status_code,
        )
        for who, headers in readers.items()
    }

    assert seen == expected


def test_reading_rows_one_may_not_read_is_ckans_authorization_error(client, catalogue):
    assert error(get(client, "datastore_search", resource_id=str(catalogue["shared"].uid)), 403)[
        "__type"
    ] == ("Authorization Error")
    assert error(get(client, "datastore_search", resource_id=str(catalogue["restricted"].uid)), 404) == {
        "__type": "Not Found Error",
        "message": f"Not found: Không tìm thấy tài nguyên “{catalogue['restricted'].uid}”.",
    }


def test_a_session_reads_as_its_user(client, catalogue, tinhkhe_viewer):
    client.force_login(tinhkhe_viewer)

    assert (
        result(get(client, "package_show", id=catalogue["restricted"].name))["name"]
        == catalogue["restricted"].name
    )


def test_a_bad_revoked_or_ingest_only_token_is_refused_never_read_as_anonymous(client, health, other_viewer):
    issued = apitoken_create(actor=None, user=other_viewer, name="old", scopes=["read"])
    apitoken_revoke(actor=None, token=issued.token)
    ingest = apitoken_create(actor=None, user=other_viewer, name="iot", scopes=["ingest"]).secret

    for headers in (
        {"Authorization": "d2pat_khong-co"},
        {"Authorization": issued.secret},
        {"X-CKAN-API-Key": ingest},
    ):
        refused = error(get(client, "package_show", headers=headers, id=health.name), 403)
        assert refused["__type"] == "Authorization Error"
        assert refused["message"].startswith("Access denied: ")


def test_the_bare_token_ckan_clients_send_is_read(client, catalogue, tinhkhe_viewer):
    secret = token_for(tinhkhe_viewer)["Authorization"].split()[1]

    shown = get(client, "package_show", headers={"Authorization": secret}, id=catalogue["restricted"].name)

    assert result(shown)["name"] == catalogue["restricted"].name


def test_a_draft_never_appears_to_anyone_outside_its_publisher(client, catalogue, other_viewer):
    draft = catalogue["draft"]
    for headers in ({}, token_for(other_viewer)):
        assert draft.name not in result(get(client, "package_list", headers=headers))
        searched = result(
            get(
                client,
                "package_search",
                headers=headers,
                include_drafts="true",
                include_private="true",
                rows=100,
            )
        )
        assert draft.name not in [p["name"] for p in searched["results"]]
        assert "tiêm chủng" not in json.dumps(searched, ensure_ascii=False)
        assert get(client, "package_show", headers=headers, id=draft.name).status_code == 404
        assert get(client, "resource_show", headers=headers, id=str(draft.uid)).status_code == 404
        assert get(client, "datastore_search", headers=headers, resource_id=str(draft.uid)).status_code == 404


def test_the_office_sees_a_draft_as_draft_and_only_when_asking_for_drafts(client, catalogue, office_admin):
    office = token_for(office_admin)
    draft = catalogue["draft"]

    assert result(get(client, "package_show", headers=office, id=draft.name))["state"] == "draft"
    default = result(get(client, "package_search", headers=office, rows=100))
    drafts = result(get(client, "package_search", headers=office, rows=100, include_drafts="true"))
    assert draft.name not in [p["name"] for p in default["results"]]
    assert draft.name in [p["name"] for p in drafts["results"]]


# ------------------------------------------------------------------------------------------ search


def names(found):
    return sorted(package["name"] for package in found["results"])


def test_package_search_finds_words_typed_without_diacritics(client, catalogue):
    found = result(get(client, "package_search", q="diem truy cap INTERNET"))

    assert found["count"] == 1
    assert names(found) == [catalogue["schools"].name]
    assert found["sort"] == "score desc, metadata_modified desc"
    assert found["results"][0]["organization"]["name"] == "skhcn"


def test_package_search_without_q_lists_public_datasets_and_private_ones_on_request(client, catalogue):
    public = result(get(client, "package_search", q="*:*"))
    with_private = result(get(client, "package_search", include_private="true"))

    assert names(public) == sorted([catalogue["health"].name, catalogue["schools"].name])
    assert names(with_private) == sorted(
        [catalogue["health"].name, catalogue["schools"].name, catalogue["shared"].name]
    )


@pytest.mark.parametrize(
    ("fq", "expected"),
    [
        ("organization:syt", ["health"]),
        ("organization:skhcn", ["schools"]),
        ('tags:"y tế"', ["health"]),
        ("groups:gove", ["schools"]),
        ("groups:educ +groups:gove", ["schools"]),
        ("groups:(heal OR educ)", ["health", "schools"]),
        ("license_id:CC0-1.0", ["schools"]),
        ("res_format:CSV", ["health", "schools"]),
        ("res_format:XLSX", []),
        ("access:shared", []),
        ("+organization:syt +license_id:CC-BY-4.0", ["health"]),
        ("organization:syt organization:skhcn", []),
        ("metadata_modified:[2000-01-01T00:00:00Z TO *]", ["health", "schools"]),
        ("metadata_modified:[2999-01-01T00:00:00Z TO *]", []),
        ("dataset_type:dataset", ["health", "schools"]),
    ],
)
def test_package_search_fq_terms_narrow_as_solr_would(client, catalogue, fq, expected):
    found = result(get(client, "package_search", fq=fq))

    assert names(found) == sorted(catalogue[key].name for key in expected)
    assert found["count"] == len(expected)


def test_fq_list_and_q_field_terms_narrow_too(client, catalogue):
    listed = result(post(client, "package_search", {"fq_list": ["organization:syt", 'tags:"y tế"']}))
    in_q = result(get(client, "package_search", q="tags:internet"))
    shared = result(get(client, "package_search", fq="access:shared", include_private="true"))

    assert names(listed) == [catalogue["health"].name]
    assert names(in_q) == [catalogue["schools"].name]
    assert names(shared) == [catalogue["shared"].name]


@pytest.mark.parametrize(
    "fq", ["author:someone", "-organization:syt", "organization", "metadata_modified:[NOW-1DAY TO *]"]
)
def test_an_fq_term_that_cannot_be_honoured_is_a_validation_error_naming_fq(client, catalogue, fq):
    refused = error(get(client, "package_search", fq=fq), 409)

    assert refused["__type"] == "Validation Error"
    assert list(refused) == ["fq", "__type"]


def test_package_search_pages_with_rows_and_start(client, catalogue):
    first = result(get(client, "package_search", rows=1, sort="name asc"))
    second = result(get(client, "package_search", rows=1, start=1, sort="name asc"))
    none = result(get(client, "package_search", rows=0))

    assert first["count"] == second["count"] == none["count"] == 2
    assert [p["name"] for p in first["results"] + second["results"]] == sorted(
        [catalogue["health"].name, catalogue["schools"].name]
    )
    assert none["results"] == []
    assert result(get(client, "package_search", rows=5000))["count"] == 2  # clamped to 1000, as CKAN
    assert error(get(client, "package_search", rows="mười"), 409) == {
        "__type": "Validation Error",
        "rows": ["Phải là số nguyên"],
    }
    assert list(error(get(client, "package_search", start=-1), 409)) == ["start", "__type"]


@pytest.mark.parametrize(
    ("sort", "first"),
    [
        ("name asc", "schools"),
        ("name desc", "health"),
        ("title_string asc", "schools"),
        ("title_string desc", "health"),
        ("metadata_modified desc", "schools"),
        ("metadata_created asc", "health"),
        ("score desc, metadata_modified asc", "health"),
    ],
)
def test_package_search_sorts_as_asked(client, catalogue, sort, first):
    found = result(get(client, "package_search", sort=sort))

    order = [p["name"] for p in found["results"]]
    assert order[0] == catalogue[first].name
    assert found["sort"] == sort


def test_an_unknown_sort_is_ckans_search_query_error(client, catalogue):
    refused = error(get(client, "package_search", sort="popularity desc"), 400)

    assert refused["__type"] == "Search Query Error"
    assert refused["message"].startswith('Search Query is invalid: (\'Invalid "sort" parameter')


def test_an_unknown_search_parameter_is_ckans_search_query_error(client):
    refused = error(get(client, "package_search", qq="x"), 400)

    assert refused == {
        "__type": "Search Query Error",
        "message": "Search Query is invalid: (\"Invalid search parameters: ['qq']\",)",
    }


def test_package_search_facets_in_both_of_ckans_shapes(client, catalogue):
    fields = ["organization", "groups", "tags", "license_id", "res_format", "access"]
    found = result(get(client, "package_search", **{"facet.field": json.dumps(fields)}))

    assert set(found["search_facets"]) == set(found["facets"]) == set(fields)
    assert found["facets"]["organization"] == {"syt": 1, "skhcn": 1}
    assert found["facets"]["groups"] == {"heal": 1, "educ": 1, "gove": 1}
    assert found["facets"]["res_format"] == {"CSV": 2}
    assert found["facets"]["access"] == {"public": 2}
    organizations = found["search_facets"]["organization"]
    assert organizations["title"] == "organization"
    assert {item["name"] for item in organizations["items"]} == {"syt", "skhcn"}
    assert set(organizations["items"][0]) == {"name", "display_name", "count"}
    displays = [item["display_name"] for item in organizations["items"]]
    assert displays == sorted(displays, reverse=True)  # CKAN sorts items by display name, reversed
    licences = {item["name"]: item["display_name"] for item in found["search_facets"]["license_id"]["items"]}
    assert licences["CC0-1.0"] == "Creative Commons CC0 1.0 (từ bỏ bản quyền)"
    tags = found["facets"]["tags"]
    assert tags == {"y tế": 1, "hồ sơ sức khỏe": 1, "internet": 1, "chuyển đổi số": 1}


def test_facet_limit_keeps_the_most_frequent_and_no_facet_field_means_no_facets(client, catalogue):
    limited = result(
        get(
            client,
            "package_search",
            include_private="true",
            **{"facet.field": '["organization"]', "facet.limit": 1},
        )
    )
    plain = result(get(client, "package_search"))

    assert limited["facets"]["organization"] == {"syt": 2}
    assert plain["facets"] == plain["search_facets"] == {}
    assert list(error(get(client, "package_search", **{"facet.field": '["author"]'}), 409)) == [
        "facet.field",
        "__type",
    ]


def test_fl_answers_only_the_fields_asked(client, catalogue):
    found = result(get(client, "package_search", fl="name,title", sort="name asc"))

    assert found["results"][0] == {"name": catalogue["schools"].name, "title": catalogue["schools"].title}


def test_package_search_of_twenty_results_does_not_query_per_result(
    client, syt_admin, django_assert_max_num_queries
):
    themes = ("HEAL", "EDUC", "GOVE", "ECON")
    for index in range(20):
        published_health_dataset(
            syt_admin,
            title=f"Bộ dữ liệu số {index}",
            themes=themes[: 1 + index % 4],
            keywords=(f"k{index % 3}", "y tế"),
        )
    params = {
        "rows": 20,
        "facet.field": json.dumps(["organization", "groups", "tags", "license_id", "res_format"]),
    }

    with django_assert_max_num_queries(10) as few:
        found = result(
            get(client, "package_search", rows=2, **{k: v for k, v in params.items() if k != "rows"})
        )
    with django_assert_max_num_queries(10) as many:
        found = result(get(client, "package_search", **params))

    assert len(found["results"]) == 20
    assert all(p["num_resources"] == 1 and p["groups"] for p in found["results"])
    assert len(many.captured_queries) == len(few.captured_queries)


# ------------------------------------------------------------------------------------------ groups


def test_organization_list_names_the_publishers_and_their_counts(client, catalogue, office_admin):
    assert result(get(client, "organization_list")) == ["skhcn", "syt"]  # by title: Sở Khoa học… < Sở Y tế
    full = result(get(client, "organization_list", all_fields="true", sort="package_count desc"))
    assert [(o["name"], o["package_count"]) for o in full] == [("syt", 2), ("skhcn", 1)]
    assert full[0]["is_organization"] is True and full[0]["type"] == "organization"
    assert result(get(client, "organization_list", sort="name desc", limit=1)) == ["syt"]
    assert result(get(client, "organization_list", sort="name asc", offset=1)) == ["syt"]
    assert result(get(client, "organization_list", organizations="syt")) == ["syt"]
    office = result(get(client, "organization_list", headers=token_for(office_admin), all_fields="true"))
    assert {o["name"]: o["package_count"] for o in office} == {"skhcn": 1, "syt": 3}
    assert list(error(get(client, "organization_list", sort="users asc"), 409)) == ["sort", "__type"]


def test_organization_show_by_name_or_id_with_its_datasets_on_request(client, catalogue):
    shown = result(get(client, "organization_show", id="syt"))
    by_id = result(get(client, "organization_show", id=shown["id"], include_datasets="true"))

    assert shown["package_count"] == 2 and "packages" not in shown
    assert sorted(p["name"] for p in by_id["packages"]) == sorted(
        [catalogue["health"].name, catalogue["shared"].name]
    )
    assert error(get(client, "organization_show", id="51"), 404)["__type"] == "Not Found Error"


def test_group_list_and_group_show_are_the_themes(client, catalogue):
    groups = result(get(client, "group_list", sort="name asc"))
    full = {g["name"]: g for g in result(get(client, "group_list", all_fields="true", limit=100))}
    heal = result(get(client, "group_show", id="heal", include_datasets="true"))

    assert "heal" in groups and groups == sorted(groups) and len(groups) >= 13
    assert full["gove"]["package_count"] == 1 and full["agri"]["package_count"] == 0
    assert len(full) == len(groups)  # all_fields: at most 25, as CKAN
    assert heal["package_count"] == 2 and heal["is_organization"] is False
    assert {
        "key": "uri",
        "value": "http://publications.europa.eu/resource/authority/data-theme/HEAL",
    } in heal["extras"]
    assert sorted(p["name"] for p in heal["packages"]) == sorted(
        [catalogue["health"].name, catalogue["shared"].name]
    )
    assert get(client, "group_show", id="syt").status_code == 404


def test_tag_list_gives_the_keywords_found_without_diacritics(client, catalogue):
    assert result(get(client, "tag_list")) == sorted(["y tế", "hồ sơ sức khỏe", "internet", "chuyển đổi số"])
    assert result(get(client, "tag_list", query="chuyen doi")) == ["chuyển đổi số"]
    assert result(get(client, "tag_list", query="y te", all_fields="true"))[0]["name"] == "y tế"


def test_license_list_is_the_licence_register_in_ckans_shape(client):
    licences = {entry["id"]: entry for entry in result(get(client, "license_list"))}

    assert licences["CC-BY-4.0"]["od_conformance"] == "approved"
    assert licences["other-closed"]["od_conformance"] == "not reviewed"
    assert set(licences["CC-BY-4.0"]) == {
        "domain_content", "id", "domain_data", "domain_software", "family", "is_generic", "od_conformance",
        "osd_conformance", "maintainer", "status", "url", "title",
    }  # fmt: skip
    assert licences["CC-BY-4.0"]["url"] == "https://creativecommons.org/licenses/by/4.0/"


# ------------------------------------------------------------------------------------------ resources


def test_resource_show_is_the_current_versions_table(client, health):
    resource = result(get(client, "resource_show", id=str(health.uid)))

    assert resource["package_id"] == str(health.uid)
    assert resource["datastore_active"] is True and resource["format"] == "CSV" and resource["version"] == 1
    assert error(get(client, "resource_show", id=health.name), 404)["__type"] == "Not Found Error"
    assert list(error(get(client, "resource_show"), 409)) == ["id", "__type"]


def test_datastore_search_answers_ckans_shape(client, health):
    found = result(get(client, "datastore_search", resource_id=str(health.uid)))

    assert found["resource_id"] == str(health.uid)
    assert found["fields"] == [
        {"id": "_id", "type": "int"},
        {"id": "ma_xa", "type": "int"},
        {"id": "ten_xa", "type": "text"},
        {"id": "nam", "type": "int"},
        {"id": "so_tram_y_te", "type": "int"},
        {"id": "ty_le_ho_so_dien_tu", "type": "numeric"},
    ]
    assert found["records"][1] == {
        "_id": 2, "ma_xa": 21172, "ten_xa": "Phường Cẩm Thành", "nam": 2025, "so_tram_y_te": 2, "ty_le_ho_so_dien_tu": 88.25,
    }  # fmt: skip
    assert (found["total"], found["total_was_estimated"], found["limit"], found["offset"]) == (
        2,
        False,
        100,
        0,
    )
    assert found["records_format"] == "objects" and found["include_total"] is True
    assert found["_links"]["start"] == f"/opendata/api/3/action/datastore_search?resource_id={health.uid}"
    assert (
        found["_links"]["next"]
        == f"/opendata/api/3/action/datastore_search?resource_id={health.uid}&offset=100"
    )


def test_datastore_search_filters_by_columns_with_values_of_any_json_type(client, health):
    uid = str(health.uid)

    by_text = result(get(client, "datastore_search", resource_id=uid, filters='{"ma_xa": "21211"}'))
    by_list = result(
        post(
            client,
            "datastore_search",
            {"resource_id": uid, "filters": {"ten_xa": ["Xã Tịnh Khê", "Phường Cẩm Thành"]}},
        )
    )
    by_number = result(
        post(client, "datastore_search", {"resource_id": uid, "filters": {"ty_le_ho_so_dien_tu": 88.25}})
    )

    assert [r["ten_xa"] for r in by_text["records"]] == ["Xã Tịnh Khê"] and by_text["total"] == 1
    assert by_text["filters"] == {"ma_xa": 21211}
    assert by_list["total"] == 2
    assert [r["_id"] for r in by_number["records"]] == [2]


def test_datastore_search_q_fields_sort_limit_offset_and_total(client, health):
    uid = str(health.uid)

    by_q = result(get(client, "datastore_search", resource_id=uid, q="cam thanh"))
    fields = result(get(client, "datastore_search", resource_id=uid, fields="ten_xa,nam"))
    listed = result(post(client, "datastore_search", {"resource_id": uid, "fields": ["_id", "ten_xa"]}))
    sorted_desc = result(get(client, "datastore_search", resource_id=uid, sort="ty_le_ho_so_dien_tu desc"))
    by_id = result(get(client, "datastore_search", resource_id=uid, sort='"_id" desc, nam'))
    paged = result(get(client, "datastore_search", resource_id=uid, limit=1, offset=1, include_total="false"))

    assert [r["_id"] for r in by_q["records"]] == [2]
    assert fields["records"][0] == {"ten_xa": "Xã Tịnh Khê", "nam": 2025}
    assert [f["id"] for f in fields["fields"]] == ["ten_xa", "nam"]
    assert listed["records"][0] == {"_id": 1, "ten_xa": "Xã Tịnh Khê"}
    assert [r["ty_le_ho_so_dien_tu"] for r in sorted_desc["records"]] == [96.5, 88.25]
    assert [r["_id"] for r in by_id["records"]] == [2, 1]
    assert [r["_id"] for r in paged["records"]] == [2]
    assert "total" not in paged and paged["limit"] == 1
    assert result(get(client, "datastore_search", resource_id=uid, limit=40000))["limit"] == 32000


def test_datastore_search_records_as_lists_csv_and_tsv(client, health):
    uid = str(health.uid)

    lists = result(
        get(client, "datastore_search", resource_id=uid, records_format="lists", fields="ma_xa,ten_xa")
    )
    as_csv = result(
        get(
            client,
            "datastore_search",
            resource_id=uid,
            records_format="csv",
            fields="ten_xa,ty_le_ho_so_dien_tu",
        )
    )
    as_tsv = result(
        get(client, "datastore_search", resource_id=uid, records_format="tsv", fields="ma_xa,nam")
    )

    assert lists["records"] == [[21211, "Xã Tịnh Khê"], [21172, "Phường Cẩm Thành"]]
    assert as_csv["records"] == "Xã Tịnh Khê,96.5\nPhường Cẩm Thành,88.25\n"
    assert as_tsv["records"] == "21211\t2025\n21172\t2025\n"


def test_datastore_search_accepts_the_datasets_name_as_an_alias(client, health):
    found = result(get(client, "datastore_search", id=health.name, limit=1))

    assert found["resource_id"] == str(health.uid)


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"filters": '{"khong_co": 1}'}, "filters"),
        ({"filters": '{"ma_xa": "hai"}'}, "filters"),
        ({"filters": "{not json"}, "filters"),
        ({"filters": "[1]"}, "filters"),
        ({"fields": "ten_xa,khong_co"}, "fields"),
        ({"sort": "khong_co desc"}, "sort"),
        ({"limit": -5}, "limit"),
        ({"offset": "x"}, "offset"),
        ({"records_format": "xml"}, "records_format"),
        ({"distinct": "true"}, "distinct"),
        ({"q": '{"ten_xa": "tinh khe"}'}, "q"),
        ({"plain_text": "1"}, "plain_text"),
    ],
)
def test_a_bad_datastore_parameter_is_a_validation_error_naming_it(client, health, params, key):
    refused = error(get(client, "datastore_search", resource_id=str(health.uid), **params), 409)

    assert list(refused) == [key, "__type"]
    assert refused["__type"] == "Validation Error"
    assert refused[key][0]


def test_a_missing_resource_is_not_found(client):
    refused = error(get(client, "datastore_search", resource_id="00000000-0000-0000-0000-000000000000"), 404)

    assert refused["__type"] == "Not Found Error"
    assert list(error(get(client, "datastore_search"), 409)) == ["resource_id", "__type"]


def test_api_calls_on_a_dataset_are_counted_as_its_usage(client, health):
    get(client, "package_show", id=health.name)
    get(client, "datastore_search", resource_id=str(health.uid))
    get(client, "package_search")

    assert dataset_usage(user=AnonymousUser(), dataset=health)[0]["api"] == 2


def test_a_dataset_without_a_version_has_no_resource(client, syt_admin):
    empty = dataset_create(actor=syt_admin, fields=health_fields(title="Chưa có số liệu"))
    Dataset.objects.filter(pk=empty.pk).update(state=Dataset.State.PUBLISHED)

    package = result(get(client, "package_show", id=empty.name))

    assert package["resources"] == [] and package["num_resources"] == 0 and package["version"] is None
    assert get(client, "datastore_search", resource_id=str(empty.uid)).status_code == 404
