"""The DHIS2 resources clients call besides dataValueSets: system/info and me (on connect), dataSets,
single dataValues, and the status of an `async=true` import (system/tasks, system/taskSummaries).

Shapes follow DHIS2 2.38+; only what tiendo has is answered (docs/dhis2-compatibility.md).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.views.decorators.csrf import csrf_exempt

from tiendo import __version__
from tiendo.api.auth import token_allows
from tiendo.api.dhis2 import caller, refused, web_message
from tiendo.core.exceptions import NotFoundError
from tiendo.core.uids import is_uid, uid_for
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.reporting.datavaluesets import datavalueset_import
from tiendo.reporting.datavaluesets.export import flag, schemes_parse
from tiendo.reporting.datavaluesets.formats import PayloadError
from tiendo.reporting.datavaluesets.jobs import datavalueset_job_status
from tiendo.reporting.datavaluesets.validate import resolve
from tiendo.reporting.models import DataElement, DataSet, DataSetElement
from tiendo.reporting.selectors import datavalues_for_unit

# the DHIS2 Web API level whose behaviour tiendo's DHIS2 endpoints follow (clients gate features on it)
DHIS2_VERSION = "2.39.0"
_PERIOD_TYPES = {
    "monthly": "Monthly",
    "quarterly": "Quarterly",
    "sixmonthly": "SixMonthly",
    "yearly": "Yearly",
}
_AUTHORITIES: dict[str, list[str]] = {
    Membership.Role.ADMIN: ["F_DATAVALUE_ADD", "F_DATAVALUE_DELETE", "F_APPROVE_DATA", "F_VIEW_DATA"],
    Membership.Role.REVIEWER: ["F_APPROVE_DATA", "F_VIEW_DATA"],
    Membership.Role.REPORTER: ["F_DATAVALUE_ADD", "F_DATAVALUE_DELETE", "F_VIEW_DATA"],
    Membership.Role.VIEWER: ["F_VIEW_DATA"],
}


def _json(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, safe=False, json_dumps_params={"ensure_ascii": False})


@csrf_exempt  # read-only: any other method is a 405 from caller, before CSRF matters
def system_info(request: HttpRequest, version: str | None = None) -> HttpResponse:
    """GET /api/system/info: what DHIS2 clients read on connect (version, serverDate…)."""
    user, _token, refusal = caller(request)
    if refusal is not None:
        return refusal
    now = timezone.now()
    return _json(
        {
            "version": DHIS2_VERSION,
            "revision": f"tiendo-{__version__}",
            "buildTime": now.isoformat(timespec="milliseconds"),
            "serverDate": now.isoformat(timespec="milliseconds"),
            "serverTimeZoneId": settings.TIME_ZONE,
            "serverTimeZoneDisplayName": settings.TIME_ZONE,
            "contextPath": request.build_absolute_uri("/").rstrip("/"),
            "userAgent": request.headers.get("User-Agent", ""),
            "calendar": "iso8601",
            "dateFormat": "yyyy-mm-dd",
            "systemName": "tiendo",
            "systemId": uid_for("system", "tiendo"),
            "isMetadataVersionEnabled": False,
        }
    )


@csrf_exempt  # read-only: any other method is a 405 from caller, before CSRF matters
def me(request: HttpRequest, version: str | None = None) -> HttpResponse:
    """GET /api/me: the caller as DHIS2 describes a user (id, username, units, authorities)."""
    user, _token, refusal = caller(request)
    if refusal is not None:
        return refusal
    memberships = list(Membership.objects.filter(user=user).select_related("unit"))
    units = [{"id": m.unit.uid, "code": m.unit.code, "name": m.unit.name} for m in memberships]
    authorities = {a for m in memberships for a in _AUTHORITIES.get(m.role, [])}
    if user.is_superuser:
        authorities.add("ALL")
    name = user.get_full_name() or user.get_username()
    return _json(
        {
            "id": uid_for("user", user.get_username()),
            "username": user.get_username(),
            "name": name,
            "displayName": name,
            "firstName": user.first_name,
            "surname": user.last_name,
            "email": user.email,
            "userCredentials": {"username": user.get_username()},
            "organisationUnits": units,
            "dataViewOrganisationUnits": units,
            "authorities": sorted(authorities),
        }
    )


def _element(e: DataElement) -> dict[str, Any]:
    return {
        "id": e.uid,
        "code": e.code,
        "name": e.name,
        "displayName": e.name,
        "valueType": e.value_type.upper(),
    }


def _dataset(d: DataSet, fields: set[str]) -> dict[str, Any]:
    full = {
        "id": d.uid,
        "code": d.code,
        "name": d.title,
        "displayName": d.title,
        "shortName": d.symbol,
        "periodType": _PERIOD_TYPES.get(d.period_type, d.period_type),
        "dataSetElements": [
            {"dataElement": _element(fe.element), "dataSet": {"id": d.uid}} for fe in d.form_elements.all()
        ],
        "organisationUnits": [{"id": u.uid, "code": u.code, "name": u.name} for u in d.units.all()],
    }
    if "*" in fields or ":all" in fields:
        return full
    return {k: v for k, v in full.items() if k in fields}


def _fields(request: HttpRequest, default: str) -> set[str]:
    raw = request.GET.get("fields") or default
    return {f.split("[", 1)[0].strip() for f in raw.split(",") if f.strip()}


def _page(request: HttpRequest) -> tuple[int, int, bool]:
    """(page, pageSize, paging) as DHIS2 reads them; a wrong value raises PayloadError."""
    paging = flag(request.GET.get, "paging", default=True)
    numbers = []
    for name, default in (("page", "1"), ("pageSize", "50")):
        raw = request.GET.get(name) or default
        if not raw.isdigit() or not 1 <= int(raw) <= 100_000:
            raise PayloadError(gettext("%(name)s phải là số nguyên dương") % {"name": name}, field=name)
        numbers.append(int(raw))
    return numbers[0], numbers[1], paging


def _datasets_query() -> Any:
    elements = Prefetch("form_elements", DataSetElement.objects.select_related("element"))
    return DataSet.objects.order_by("code").prefetch_related(elements, "units")


@csrf_exempt  # read-only: any other method is a 405 from caller, before CSRF matters
def data_sets(request: HttpRequest, version: str | None = None, uid: str | None = None) -> HttpResponse:
    """GET /api/dataSets (paged, `fields=`) and /api/dataSets/{uid}: the forms, as DHIS2 data sets."""
    user, _token, refusal = caller(request)
    if refusal is not None:
        return refusal
    if uid is not None:
        found = _datasets_query().filter(uid=uid).first() if is_uid(uid) else None
        if found is None:
            return web_message(404, gettext("Không tìm thấy biểu mẫu %(uid)s") % {"uid": uid})
        return _json(_dataset(found, _fields(request, "*")))
    try:
        page, size, paging = _page(request)
    except PayloadError as exc:
        return refused(exc, 400)
    datasets = _datasets_query()
    fields = _fields(request, "id,displayName")
    if not paging:
        return _json({"dataSets": [_dataset(d, fields) for d in datasets]})
    total = datasets.count()
    rows = datasets[(page - 1) * size : page * size]
    pager = {"page": page, "pageCount": max(1, -(-total // size)), "total": total, "pageSize": size}
    return _json({"pager": pager, "dataSets": [_dataset(d, fields) for d in rows]})


def _param(request: HttpRequest, *names: str) -> str:
    for name in names:
        value = request.GET.get(name) or request.POST.get(name)
        if value:
            return value
    return ""


def _single_payload(request: HttpRequest) -> dict[str, Any]:
    value: dict[str, Any] = {
        "dataElement": _param(request, "de"),
        "period": _param(request, "pe"),
        "orgUnit": _param(request, "ou"),
        "categoryOptionCombo": _param(request, "co") or None,
        "attributeOptionCombo": _param(request, "cc", "cp") or None,
    }
    if request.method == "POST":
        value["value"] = _param(request, "value")
        if comment := _param(request, "comment"):
            value["comment"] = comment
    payload: dict[str, Any] = {"dataValues": [value]}
    if dataset := _param(request, "ds"):
        payload["dataSet"] = dataset
    return payload


def _missing(request: HttpRequest) -> str | None:
    return next((name for name in ("de", "pe", "ou") if not _param(request, name)), None)


def _read_value(request: HttpRequest, user: Any) -> HttpResponse:
    schemes = schemes_parse(request.GET.get)
    element = resolve(DataElement, {_param(request, "de")}, schemes.data_element)
    unit = resolve(OrgUnit, {_param(request, "ou")}, schemes.org_unit)
    if not element or not unit:
        return web_message(404, gettext("Không có giá trị này"))
    try:
        values = datavalues_for_unit(user=user, unit=next(iter(unit.values())))
    except NotFoundError:
        return web_message(404, gettext("Không có giá trị này"))
    found = values.filter(data_element=next(iter(element.values())), period=_param(request, "pe")).first()
    if found is None:
        return web_message(404, gettext("Không có giá trị này"))
    shown = found.text_value if found.value is None else format(found.value.normalize(), "f")
    return _json([shown])


def _write_value(request: HttpRequest, user: Any, token: Any) -> HttpResponse:
    if not token_allows(token, "write"):
        return web_message(403, gettext("Mã truy cập không có quyền ghi"))
    schemes = schemes_parse(request.GET.get)
    strategy = "DELETE" if request.method == "DELETE" else "CREATE_AND_UPDATE"
    summary = datavalueset_import(
        actor=user, payload=_single_payload(request), strategy=strategy, id_schemes=schemes
    )
    if summary.conflicts:
        conflict = summary.conflicts[0]
        return web_message(
            409, conflict["value"], property=conflict["property"], errorCode=conflict["errorCode"]
        )
    if strategy == "DELETE" and not summary.deleted:
        return web_message(404, gettext("Không có giá trị này"))
    return HttpResponse(status=204 if strategy == "DELETE" else 201)


@csrf_exempt  # header credentials are not ambient; a session write is CSRF-checked in caller
def data_values(request: HttpRequest, version: str | None = None) -> HttpResponse:
    """GET/POST/DELETE /api/dataValues?de=&pe=&ou=[&co=&value=&comment=]: one value, as DHIS2."""
    user, token, refusal = caller(request, ("GET", "HEAD", "POST", "DELETE"))
    if refusal is not None:
        return refusal
    missing = _missing(request)
    if missing is not None:
        return web_message(409, gettext("Thiếu tham số %(name)s") % {"name": missing}, property=missing)
    try:
        if request.method == "GET":
            return _read_value(request, user)
        return _write_value(request, user, token)
    except PayloadError as exc:
        return refused(exc)


def _job(request: HttpRequest, job_id: str) -> tuple[Any, HttpResponse | None]:
    user, _token, refusal = caller(request)
    if refusal is not None:
        return None, refusal
    status = datavalueset_job_status(actor=user, job_id=job_id)
    if status is None:
        return None, web_message(404, gettext("Không có tác vụ %(id)s") % {"id": job_id})
    return status, None


@csrf_exempt  # read-only: any other method is a 405 from caller, before CSRF matters
def job_notifications(request: HttpRequest, job_id: str, version: str | None = None) -> HttpResponse:
    """GET /api/system/tasks/DATAVALUE_IMPORT/{id}: the job's notifications, newest first."""
    status, refusal = _job(request, job_id)
    if refusal is not None:
        return refusal
    if status.failed:
        message, level = "Import failed", "ERROR"
    else:
        message, level = ("Import done", "INFO") if status.finished else ("Import in progress", "INFO")
    return _json(
        [
            {
                "uid": status.id,
                "id": status.id,
                "level": level,
                "category": "DATAVALUE_IMPORT",
                "time": status.enqueued_at,
                "message": message,
                "completed": status.finished,
            }
        ]
    )


@csrf_exempt  # read-only: any other method is a 405 from caller, before CSRF matters
def job_summary(request: HttpRequest, job_id: str, version: str | None = None) -> HttpResponse:
    """GET /api/system/taskSummaries/DATAVALUE_IMPORT/{id}: the ImportSummary once the job is done."""
    status, refusal = _job(request, job_id)
    if refusal is not None:
        return refusal
    return _json(status.summary or {})
