"""The OpenAPI document lists the error answers each /api/v1 operation gives (issue 10: it listed
only 200), each in the one error shape. The fuzz run (test_api_fuzz) checks them against reality."""

import pytest

pytestmark = pytest.mark.django_db

ERROR = {"$ref": "#/components/schemas/Error"}


def _operations(client):
    document = client.get("/api/v1/openapi.json").json()
    for path, operations in document["paths"].items():
        if not path.startswith("/api/v1/"):  # DHIS2's paths: its WebMessage (test_dhis2_compat)
            continue
        for method, operation in operations.items():
            yield f"{method.upper()} {path}", operation, document


def test_every_operation_lists_its_error_answers_in_the_error_shape(client):
    document = client.get("/api/v1/openapi.json").json()
    for name, operation, _document in _operations(client):
        responses = operation["responses"]
        errors = {int(s) for s in responses if int(s) >= 400}
        if operation.get("security"):
            assert 401 in errors, name
        if "requestBody" in operation:
            assert {400, 413, 422} <= errors, name
        if "{" in name:
            assert 404 in errors, name
        if name.startswith(("POST", "PUT")) and operation.get("security"):
            assert 403 in errors, name
        for status in errors:
            assert responses[str(status)]["content"]["application/json"]["schema"] == ERROR, (name, status)
    assert document["components"]["schemas"]["Error"]["required"] == ["error"]


def test_the_rules_of_an_operation_s_own_domain_are_listed_too(client):
    operations = {name: operation for name, operation, _ in _operations(client)}
    assert "409" in operations["PUT /api/v1/submissions/{submission_id}/values"]["responses"]
    assert "409" in operations["POST /api/v1/submissions/{submission_id}/approve"]["responses"]
    assert "400" in operations["GET /api/v1/indicators/{indicator_id}/units"]["responses"]
    assert "400" in operations["GET /api/v1/orgunits"]["responses"]
    assert set(operations["GET /api/v1/plans"]["responses"]) == {"200", "422"}  # public, no body: no 401
