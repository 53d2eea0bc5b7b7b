"""/ngsi-ld/v1/: the IOC and the plan's indicators for FIWARE clients (ETSI GS CIM 009), read-only.

`GET /entities?type=…` (or `id=`, `idPattern=`), `GET /entities/{id}`, `GET /temporal/entities/{id}`
(`lastN`, `timerel`/`timeAt`/`endTimeAt`, `attrs`, `options=temporalValues`). Answers are JSON-LD:
with `Accept: application/ld+json` the `@context` is in the body, otherwise (application/json) in a
`Link` header, as the specification says. Errors are its problem details
`{"type": "https://uri.etsi.org/ngsi-ld/errors/…", "title", "detail"}`. Authentication as the rest of
the API (ApiToken, Basic, session); what the caller may not see is "ResourceNotFound".
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from itertools import islice
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from tiendo.api.auth import authenticate_request
from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.ioc import ngsi

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
LIMIT_DEFAULT, LIMIT_MAX = 20, 1000
LAST_N_MAX = 10000
LINK = '<{}>; rel="http://www.w3.org/ns/json-ld#context"; type="application/ld+json"'


class BadRequest(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def problem(kind: str, title: str, detail: str, status: int) -> HttpResponse:
    body = {"type": ERRORS + kind, "title": title, "detail": detail}
    return HttpResponse(json.dumps(body, ensure_ascii=False), status=status, content_type="application/json")


def _wants_ld(request: HttpRequest) -> bool | None:
    """True for application/ld+json, False for application/json, None when neither is acceptable."""
    accept = request.headers.get("Accept", "") or "*/*"
    kinds = [part.split(";")[0].strip().lower() for part in accept.split(",")]
    if "application/ld+json" in kinds:
        return True
    if any(kind in ("application/json", "application/*", "*/*") for kind in kinds):
        return False
    return None


def _answer(
    request: HttpRequest, payload: Any, types: list[str], *, count: int | None = None
) -> HttpResponse:
    wants_ld = _wants_ld(request)
    if wants_ld is None:
        return problem("NotAcceptable", "Not Acceptable", "application/json or application/ld+json", 406)
    context = ngsi.context_for(types)
    if wants_ld:
        if isinstance(payload, list):
            payload = [{**entity, "@context": context} for entity in payload]
        else:
            payload = {**payload, "@context": context}
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, default=str),
        content_type="application/ld+json" if wants_ld else "application/json",
    )
    if not wants_ld:
        response["Link"] = ", ".join(LINK.format(url) for url in context)
    if count is not None:
        response["NGSILD-Results-Count"] = str(count)
    return response


def _user(request: HttpRequest):
    user = authenticate_request(request, scope="read")
    if user is None:
        raise PermissionError
    return user


def _guarded(view):
    """Authentication, and every refusal in NGSI-LD's problem details."""

    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            request.user = _user(request)
            return view(request, *args, **kwargs)
        except PermissionError:
            response = problem("NotAuthorized", "Unauthorized", _("Cần đăng nhập"), 401)
            response["WWW-Authenticate"] = 'Basic realm="tiendo"'
            return response
        except PermissionDeniedError as exc:
            return problem("NotAuthorized", "Forbidden", str(exc.message), 403)
        except NotFoundError:
            return problem("ResourceNotFound", "Not Found", _("Không tìm thấy thực thể"), 404)
        except BadRequest as exc:
            return problem("BadRequestData", "Bad Request", exc.detail, 400)
        except ApplicationError as exc:
            return problem("BadRequestData", "Bad Request", str(exc.message), 400)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return require_safe(wrapper)


def _int(request: HttpRequest, name: str, default: int | None, *, low: int, high: int) -> int | None:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise BadRequest(f"{name}: {low}…{high}")
    return int(raw)


def _options(request: HttpRequest) -> set[str]:
    return {o.strip() for o in request.GET.get("options", "").split(",") if o.strip()} | (
        {"keyValues"} if request.GET.get("format") in ("simplified", "keyValues") else set()
    )


@_guarded
def entities(request: HttpRequest) -> HttpResponse:
    """Query entities: by type (a comma-separated list), id list or idPattern; limit/offset; count."""
    types = [t for t in request.GET.get("type", "").split(",") if t]
    ids = [i for i in request.GET.get("id", "").split(",") if i]
    pattern = request.GET.get("idPattern")
    if not types and not ids and not pattern and not request.GET.get("attrs"):
        raise BadRequest("type, id, idPattern or attrs is required")
    limit = _int(request, "limit", LIMIT_DEFAULT, low=0, high=LIMIT_MAX) or 0
    offset = _int(request, "offset", 0, low=0, high=10**9) or 0
    try:
        matcher = re.compile(pattern) if pattern else None
    except re.error as exc:
        raise BadRequest(f"idPattern: {exc}") from exc
    known = [t for t in (types or list(ngsi.TYPES)) if t in ngsi.TYPES]
    if ids:
        known = [t for t in known if any(i.split(":")[2:3] == [t] for i in ids)]
    attrs = [a for a in request.GET.get("attrs", "").split(",") if a]
    matched = (
        entity
        for entity_type in known
        for entity in ngsi.entities_of_type(user=request.user, entity_type=entity_type)
        if (not ids or entity["id"] in ids)
        and (matcher is None or matcher.match(entity["id"]))
        and (not attrs or any(a in entity for a in attrs))
    )
    want_count = request.GET.get("count") == "true" or "count" in _options(request)
    if want_count:
        everything = list(matched)
        page, total = everything[offset : offset + limit], len(everything)
    else:
        page, total = list(islice(matched, offset, offset + limit)), None
    page = [_shape(request, entity, attrs) for entity in page]
    return _answer(request, page, known, count=total)


def _shape(request: HttpRequest, entity: dict[str, Any], attrs: list[str]) -> dict[str, Any]:
    if attrs:
        entity = {k: v for k, v in entity.items() if k in ("id", "type") or k in attrs}
    return ngsi.key_values(entity) if "keyValues" in _options(request) else entity


@_guarded
def entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    """One entity by its URN."""
    found = ngsi.entity_of(user=request.user, entity_id=entity_id)
    attrs = [a for a in request.GET.get("attrs", "").split(",") if a]
    return _answer(request, _shape(request, found, attrs), [found["type"]])


def _moment(request: HttpRequest, name: str) -> datetime | None:
    raw = request.GET.get(name)
    if not raw:
        return None
    moment = parse_datetime(raw.replace("Z", "+00:00"))
    if moment is None or moment.tzinfo is None:
        raise BadRequest(f"{name}: ISO-8601 date-time with a time zone")
    return moment


def _window(request: HttpRequest) -> ngsi.TimeWindow:
    timerel = request.GET.get("timerel")
    at, end = _moment(request, "timeAt"), _moment(request, "endTimeAt")
    last_n = _int(request, "lastN", None, low=1, high=LAST_N_MAX)
    if timerel is None:
        return ngsi.TimeWindow(last_n=last_n if last_n is not None else 100)
    if at is None:
        raise BadRequest("timeAt is required with timerel")
    if timerel == "before":
        return ngsi.TimeWindow(until=at, last_n=last_n)
    if timerel == "after":
        return ngsi.TimeWindow(since=at, last_n=last_n)
    if timerel == "between":
        if end is None or end <= at:
            raise BadRequest("endTimeAt (after timeAt) is required with timerel=between")
        return ngsi.TimeWindow(since=at, until=end, last_n=last_n)
    raise BadRequest("timerel: before, after or between")


@_guarded
def temporal_entity(request: HttpRequest, entity_id: str) -> HttpResponse:
    """An entity's history; without timerel, the newest 100 instances of each attribute (lastN)."""
    attrs = [a for a in request.GET.get("attrs", "").split(",") if a] or None
    found = ngsi.temporal_of(user=request.user, entity_id=entity_id, window=_window(request), attrs=attrs)
    if "temporalValues" in _options(request) or request.GET.get("format") == "temporalValues":
        found = ngsi.temporal_values(found)
    return _answer(request, found, [found["type"]])
