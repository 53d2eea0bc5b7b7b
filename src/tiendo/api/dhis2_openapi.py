"""The DHIS2-compatible endpoints (outside /api/v1, plain Django views) described in /api/v1's OpenAPI
document, so a client generator or a fuzzer finds them with their parameters and every answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_WEB_MESSAGE = {
    "type": "object",
    "description": "DHIS2's WebMessage; an import's answer carries its ImportSummary in `response`.",
    "properties": {
        "httpStatus": {"type": "string"},
        "httpStatusCode": {"type": "integer"},
        "status": {"type": "string", "enum": ["OK", "WARNING", "ERROR"]},
        "message": {"type": "string"},
        "property": {"type": ["string", "null"]},
        "errorCode": {"type": "string"},
        "response": {"$ref": "#/components/schemas/Dhis2ImportSummary"},
    },
    "required": ["httpStatus", "httpStatusCode", "status", "message"],
}
_IMPORT_SUMMARY = {
    "type": "object",
    "properties": {
        "responseType": {"type": "string"},
        "status": {"type": "string", "enum": ["SUCCESS", "WARNING", "ERROR"]},
        "importOptions": {"type": "object"},
        "description": {"type": "string"},
        "importCount": {
            "type": "object",
            "properties": {k: {"type": "integer"} for k in ("imported", "updated", "ignored", "deleted")},
        },
        "conflicts": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "object": {"type": "string"},
                    "value": {"type": "string"},
                    "errorCode": {"type": "string"},
                    "property": {"type": "string"},
                    "indexes": {"type": "array", "items": {"type": "integer"}},
                },
            },
        },
    },
}
_DATA_VALUE_SET = {
    "type": "object",
    "properties": {
        **{k: {"type": "string"} for k in ("completeDate", "period", "orgUnit", "attributeOptionCombo")},
        "dataSet": {"type": ["string", "null"]},
        "dataValues": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    **{
                        k: {"type": "string"}
                        for k in (
                            "dataElement",
                            "period",
                            "orgUnit",
                            "categoryOptionCombo",
                            "attributeOptionCombo",
                            "value",
                            "comment",
                        )
                    },
                    "followup": {"type": "boolean"},
                    "deleted": {"type": "boolean"},
                },
            },
        },
    },
}
_MESSAGE_REF = {"application/json": {"schema": {"$ref": "#/components/schemas/Dhis2WebMessage"}}}
_ERRORS = {
    "400": "The body or a parameter cannot be read (XML with a DOCTYPE or entity, not UTF-8, bad JSON)",
    "401": "No or wrong credentials (HTTP Basic, `ApiToken d2pat_…`, or a session)",
    "403": "A token without the scope, or a session write without CSRF",
    "409": "Refused: the ImportSummary lists every conflict, or a parameter is wrong (named in `property`)",
}


def _responses(ok: str, *codes: str, ok_content: dict[str, Any] | None = None) -> dict[str, Any]:
    answers: dict[str, Any] = {"200": {"description": ok, "content": ok_content or _MESSAGE_REF}}
    for code in codes:
        if code == "413":
            answers[code] = {
                "description": "The body is larger than TIENDO_DATAVALUESETS_MAX_BYTES",
                "content": _MESSAGE_REF,
            }
        elif code == "404":
            answers[code] = {
                "description": "Not found, or not readable by the caller",
                "content": _MESSAGE_REF,
            }
        elif code == "415":
            answers[code] = {"description": "A body that is not JSON, XML or CSV", "content": _MESSAGE_REF}
        else:
            answers[code] = {"description": _ERRORS[code], "content": _MESSAGE_REF}
    if "401" in codes:  # HTTP Basic is locked out after repeated wrong passwords (django-axes)
        answers["429"] = {
            "description": "Too many wrong passwords for this user from this client; wait `Retry-After` seconds",
            "content": _MESSAGE_REF,
        }
    return answers


_FLAG = ["true", "false", "1", "0", "yes", "no"]


def _query(
    name: str, description: str, *, required: bool = False, enum: list[str] | None = None
) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    if enum:
        schema["enum"] = enum
    return {"name": name, "in": "query", "required": required, "description": description, "schema": schema}


def _integer(name: str, description: str, maximum: int = 100_000) -> dict[str, Any]:
    schema = {"type": "integer", "minimum": 1, "maximum": maximum}
    return {"name": name, "in": "query", "required": False, "description": description, "schema": schema}


_SCHEMES = [
    _query(name, "UID (default), CODE or NAME", enum=["UID", "CODE", "NAME"])
    for name in ("idScheme", "dataElementIdScheme", "orgUnitIdScheme", "dataSetIdScheme")
]
_EXPORT = [
    _query("dataSet", "form (repeatable)", required=True),
    _query("orgUnit", "unit (repeatable)", required=True),
    _query("period", "DHIS2 period id (repeatable); or startDate/endDate or lastUpdated(Duration)"),
    _query("startDate", "yyyy-MM-dd, with endDate"),
    _query("endDate", "yyyy-MM-dd, with startDate"),
    _query("children", "true: the units below orgUnit too", enum=_FLAG),
    _query("lastUpdated", "values stored since (date or ISO 8601 time)"),
    _query("lastUpdatedDuration", "values stored in the last 10d, 2h, 30m, 45s"),
    _query("includeDeleted", "true: deleted values as tombstones (deleted: true)", enum=_FLAG),
    _integer("limit", "at most this many values", maximum=10_000_000),
    *_SCHEMES,
]
_IMPORT = [
    _query("dryRun", "true: check, write nothing", enum=_FLAG),
    _query(
        "importStrategy",
        "default CREATE_AND_UPDATE",
        enum=["CREATE_AND_UPDATE", "CREATE", "UPDATE", "DELETE"],
    ),
    _query(
        "atomicMode",
        "ALL (default): all or nothing; NONE: the valid values, conflicts listed",
        enum=["ALL", "NONE"],
    ),
    _query("async", "true: run as a job; answer with its relativeNotifierEndpoint", enum=_FLAG),
    _query("firstRowIsHeader", "CSV: the first row is a header (default true)", enum=_FLAG),
    *_SCHEMES,
]
_SINGLE = [
    _query("de", "data element", required=True),
    _query("pe", "period", required=True),
    _query("ou", "unit", required=True),
]
_ANY_JSON = {"application/json": {"schema": {"type": "object"}}}
_LIST_JSON = {"application/json": {"schema": {"type": "array", "items": {"type": "object"}}}}
_VALUE_JSON = {"application/json": {"schema": {"type": "array", "items": {"type": "string"}}}}


def _op(operation_id: str, summary: str, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "operationId": operation_id,
        "summary": summary,
        "tags": ["DHIS2"],
        **extra,
        "responses": responses,
    }


def _path_id(name: str) -> list[dict[str, Any]]:
    return [{"name": name, "in": "path", "required": True, "schema": {"type": "string"}}]


def _without_200(answers: dict[str, Any], code: str, description: str) -> dict[str, Any]:
    return {code: {"description": description}, **{k: v for k, v in answers.items() if k != "200"}}


def _dvs_paths() -> dict[str, Any]:
    kinds = {
        "application/xml": {"schema": {"type": "string", "description": "dxf2 <dataValueSet>"}},
        "application/csv": {"schema": {"type": "string", "description": "DHIS2 CSV columns"}},
    }
    content = {"application/json": {"schema": {"$ref": "#/components/schemas/Dhis2DataValueSet"}}, **kinds}
    export = _responses("The data value set", "400", "401", "403", "409", ok_content=content)
    answers = _responses("Imported (or the job started)", "400", "401", "403", "409", "413", "415")
    return {
        "/api/dataValueSets": {
            "get": _op(
                "dhis2_datavaluesets_export", "Export (.json/.xml/.csv or Accept)", export, parameters=_EXPORT
            ),
            "post": _op(
                "dhis2_datavaluesets_import",
                "Import JSON, XML or CSV: an ImportSummary, or a job when async=true",
                answers,
                parameters=_IMPORT,
                requestBody={"required": True, "content": content},
            ),
        }
    }


def _single_paths() -> dict[str, Any]:
    written = [*_SINGLE, _query("value", "the value"), _query("comment", "a comment")]
    return {
        "/api/dataValues": {
            "get": _op(
                "dhis2_datavalue_get",
                "One value, as a one-item list",
                _responses("[value]", "400", "401", "404", "409", ok_content=_VALUE_JSON),
                parameters=_SINGLE,
            ),
            "post": _op(
                "dhis2_datavalue_set",
                "Write one value",
                _without_200(_responses("", "400", "401", "403", "409"), "201", "Stored"),
                parameters=written,
            ),
            "delete": _op(
                "dhis2_datavalue_delete",
                "Delete one value",
                _without_200(_responses("", "400", "401", "403", "404", "409"), "204", "Deleted"),
                parameters=_SINGLE,
            ),
        }
    }


def _metadata_paths() -> dict[str, Any]:
    paging = [
        _query("fields", "id,name,code,displayName,periodType,dataSetElements,organisationUnits or *"),
        _integer("page", "1…"),
        _integer("pageSize", "default 50"),
        _query("paging", "false: every one", enum=_FLAG),
    ]
    one = _responses("The data set", "400", "401", "404", ok_content=_ANY_JSON)
    return {
        "/api/dataSets": {
            "get": _op(
                "dhis2_datasets",
                "Forms as DHIS2 data sets, paged (pager)",
                _responses("{pager, dataSets}", "400", "401", "409", ok_content=_ANY_JSON),
                parameters=paging,
            )
        },
        "/api/dataSets/{uid}": {"get": _op("dhis2_dataset", "One form", one, parameters=_path_id("uid"))},
        "/api/system/info": {
            "get": _op(
                "dhis2_system_info",
                "version, serverDate…",
                _responses("Info", "400", "401", ok_content=_ANY_JSON),
            )
        },
        "/api/me": {
            "get": _op("dhis2_me", "The caller", _responses("The user", "400", "401", ok_content=_ANY_JSON))
        },
    }


def _job_paths() -> dict[str, Any]:
    summary = {"application/json": {"schema": {"$ref": "#/components/schemas/Dhis2ImportSummary"}}}
    return {
        "/api/system/tasks/DATAVALUE_IMPORT/{id}": {
            "get": _op(
                "dhis2_job_notifications",
                "An async import's notifications (completed: true when done)",
                _responses("Notifications", "400", "401", "404", ok_content=_LIST_JSON),
                parameters=_path_id("id"),
            )
        },
        "/api/system/taskSummaries/DATAVALUE_IMPORT/{id}": {
            "get": _op(
                "dhis2_job_summary",
                "An async import's ImportSummary ({} until done)",
                _responses("ImportSummary", "400", "401", "404", ok_content=summary),
                parameters=_path_id("id"),
            )
        },
    }


def with_dhis2_paths(build: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap NinjaAPI.get_openapi_schema: the same document plus the DHIS2 endpoints."""

    def get_openapi_schema(**kwargs: Any) -> Any:
        schema = build(**kwargs)
        for paths in (_dvs_paths(), _single_paths(), _metadata_paths(), _job_paths()):
            schema["paths"].update(paths)
        schema.setdefault("components", {}).setdefault("schemas", {}).update(
            {
                "Dhis2WebMessage": _WEB_MESSAGE,
                "Dhis2ImportSummary": _IMPORT_SUMMARY,
                "Dhis2DataValueSet": _DATA_VALUE_SET,
            }
        )
        return schema

    return get_openapi_schema
