"""Issue 10's reproducers of 500s on /api/v1, each now a 4xx in the one error shape.

The lists are found in the OpenAPI document (every operation with a `page` parameter), so a list
added later is covered without touching this file.
"""

import pytest
from django.conf import settings

from tiendo.api.auth import token_create
from tiendo.plans.models import Plan

pytestmark = pytest.mark.django_db

BAD_PAGES = ["9223372036854775807", "99999999999999999999999", "-1", "0", "abc", "1.5", ""]


def _paginated_paths(client) -> list[str]:
    document = client.get("/api/v1/openapi.json").json()
    plan = Plan.objects.get(code="quang-ngai-2026")
    return [
        path.replace("{plan_id}", str(plan.pk))
        for path, operations in document["paths"].items()
        if path.startswith("/api/v1/")  # DHIS2's paths answer its WebMessage (test_dhis2_compat)
        and any(p["name"] == "page" for p in operations.get("get", {}).get("parameters", []))
    ]


@pytest.fixture
def token_auth(office_admin):
    token = token_create(actor=None, user=office_admin, name="fuzz", scopes=["read", "write"])
    return {"HTTP_AUTHORIZATION": f"ApiToken {token}"}


def test_every_list_refuses_a_page_number_it_cannot_serve_with_a_422_naming_page(client, token_auth):
    paths = _paginated_paths(client)
    assert len(paths) >= 5  # plans, a plan's indicators, units, forms, submissions, …
    for path in paths:
        for page in BAD_PAGES:
            response = client.get(f"{path}?page={page}", **token_auth)
            assert response.status_code == 422, (path, page, response.content)
            error = response.json()["error"]
            assert (error["code"], error["field"]) == ("validation_error", "page")
        last = client.get(f"{path}?page=1000000", **token_auth)
        assert last.status_code == 200 and last.json()["items"] == []  # the last page allowed: empty
        assert client.get(f"{path}?page_size=0", **token_auth).status_code == 422


def test_a_body_over_the_limit_is_a_413_naming_the_limit(client, token_auth):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = '{"dossiers": [' + ",".join(['{"dossier_id": "x"}'] * (limit // 18 + 1)) + "]}"
    response = client.post(
        "/api/v1/dossiers", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en", **token_auth
    )
    assert response.status_code == 413
    assert response.json() == {
        "error": {
            "code": "too_large",
            "message": f"Request body too large: at most {limit:,} bytes",
            "field": "body",
        }
    }


def test_a_body_that_is_not_json_is_a_400_in_the_error_shape(client, token_auth):
    response = client.post("/api/v1/dossiers", "{not json", content_type="application/json", **token_auth)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "unreadable_body"


def test_an_id_no_database_integer_can_hold_is_a_404(client, token_auth):
    for path in ("/api/v1/plans/9223372036854775808", "/api/v1/indicators/99999999999999999999999"):
        assert client.get(path, **token_auth).status_code == 404
    assert client.get("/api/v1/submissions/9223372036854775808", **token_auth).status_code == 404
