"""The error answers of /api/v1 in its OpenAPI document: every operation lists what it can return.

An operation's own rules are declared where it is written (`tiendo.core.api_access.raises`); those
that follow from its shape are added here, the same way the handlers of tiendo.api.api give them:

| answer | when                                                                                   |
| ------ | -------------------------------------------------------------------------------------- |
| 400    | a request body (not JSON: the handler of ninja's HttpError)                            |
| 401    | auth required (`security`)                                                             |
| 403    | auth required on a write (token without the write scope, CSRF, a domain permission)   |
| 404    | a path parameter (an object looked up; also one the caller may not see)              |
| 413    | a request body (DATA_UPLOAD_MAX_MEMORY_SIZE)                                           |
| 422    | a body, or a parameter that can fail validation (a number, an enum, a bound)          |
| 429    | auth required: HTTP Basic locked out after repeated wrong passwords (`Retry-After`)   |
"""

from __future__ import annotations

from typing import Any

from tiendo.core.api_access import error_response_doc

ERROR_SCHEMA: dict[str, Any] = {
    "title": "Error",
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message", "field"],
            "properties": {
                "code": {
                    "type": "string",
                    "description": "machine-readable, e.g. not_found, validation_error",
                },
                "message": {"type": "string", "description": "for people, in the request's language"},
                "field": {
                    "anyOf": [{"type": "string"}, {"type": "null"}],
                    "description": "the field or parameter at fault, if one is",
                },
                "violations": {
                    "type": "array",
                    "description": "validation_failed only: every problem of the report",
                    "items": {"type": "object"},
                },
            },
        }
    },
}
WRITES = {"post", "put", "patch", "delete"}


def _can_fail_validation(parameter: dict[str, Any]) -> bool:
    schema = parameter.get("schema", {})
    variants = schema.get("anyOf", [schema])
    return any(v.get("type") not in ("string", "null", None) or "enum" in v or "$ref" in v for v in variants)


def shape_statuses(method: str, operation: dict[str, Any]) -> set[int]:
    """The error statuses that follow from an operation's shape (see the table above)."""
    statuses: set[int] = set()
    parameters = operation.get("parameters", [])
    if "requestBody" in operation:
        statuses |= {400, 413, 422}
    if operation.get("security"):
        statuses |= {401, 429}  # 429: a Basic login locked out (django-axes), with Retry-After
        if method in WRITES:
            statuses.add(403)
    if any(p["in"] == "path" for p in parameters):
        statuses.add(404)
    if any(_can_fail_validation(p) for p in parameters):
        statuses.add(422)
    return statuses


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Add each operation's error answers and the Error schema to a generated document (in place)."""
    schema.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in schema.get("paths", {}).values():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            declared = {int(status) for status in responses}
            for status in sorted(shape_statuses(method, operation) - declared):
                responses[status] = error_response_doc(status)
            operation["responses"] = dict(sorted(responses.items(), key=lambda item: int(item[0])))
    return schema
