"""The data stewards' pages: the datasets a user manages (the office: all; an agency's admins and
reporters: their agency's), each one described, given new versions, published and withdrawn.

Every write goes through a service (which checks rights again and audits); a POST that succeeds
redirects to a GET with a message; one that fails renders the page again with every value typed and
the error next to its field. Who manages nothing, or not this dataset, gets a 404.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.opendata.models import Dataset
from tiendo.opendata.selectors import (
    MANAGE_SORTS,
    dataset_get_managed,
    dataset_usage,
    dataset_versions,
    datasets_managed,
    licences_all,
    themes_all,
    units_managed,
)
from tiendo.opendata.services import (
    DEFAULT_LICENCE,
    MAX_UPLOAD_BYTES,
    DatasetFields,
    dataset_create,
    dataset_publish,
    dataset_update,
    dataset_upload,
    dataset_withdraw,
)
from tiendo.opendata.sharing_selectors import access_log_for, dataset_requests
from tiendo.opendata.tables import TableRefusedError
from tiendo.opendata.views_sharing import sharing_nav
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import unit_list

PAGE_SIZE = 25
LOG_PAGE_SIZE = 50
TEXT_FIELDS = (
    "title",
    "name",
    "title_en",
    "description",
    "description_en",
    "publisher",
    "keywords",
    "licence",
    "frequency",
    "temporal_start",
    "temporal_end",
    "spatial",
    "contact_name",
    "contact_email",
    "access",
)
LIST_FIELDS = ("themes", "allowed_units")


def _units_or_404(request: HttpRequest) -> list[OrgUnit]:
    units = list(units_managed(request.user))
    if not units:
        raise Http404
    return units


@login_required
@require_GET
def manage_list(request: HttpRequest) -> HttpResponse:
    _units_or_404(request)
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "")
    sort = request.GET.get("sort", "-modified")
    found = datasets_managed(user=request.user, q=q, state=state, sort=sort)
    context = {
        "page": Paginator(found, PAGE_SIZE).get_page(request.GET.get("page")),
        "q": q,
        "state": state,
        "sort": sort if sort in MANAGE_SORTS else "-modified",
        "states": Dataset.State.choices,
        "nav": sharing_nav(request.user),
    }
    return render(request, "opendata/manage_list.html", context)


# ------------------------------------------------------------------------------------- the description


def _form_of(dataset: Dataset | None, units: list[OrgUnit]) -> dict[str, Any]:
    """The form's values as text (what a browser sends back), from a dataset or for a new one."""
    if dataset is None:
        return {
            **dict.fromkeys(TEXT_FIELDS, ""),
            "publisher": units[0].code if len(units) == 1 else "",
            "licence": DEFAULT_LICENCE,
            "frequency": Dataset.Frequency.IRREGULAR,
            "access": Dataset.Access.PUBLIC,
            "themes": [],
            "allowed_units": [],
        }
    return {
        "title": dataset.title,
        "name": dataset.name,
        "title_en": dataset.title_en,
        "description": dataset.description,
        "description_en": dataset.description_en,
        "publisher": dataset.publisher.code,
        "keywords": ", ".join(dataset.keywords),
        "licence": dataset.licence_id,
        "frequency": dataset.frequency,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "spatial": dataset.spatial.code if dataset.spatial else "",
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "access": dataset.access,
        "themes": [theme.code for theme in dataset.themes.all()],
        "allowed_units": [unit.code for unit in dataset.allowed_units.all()],
    }


def _form_from_post(post: QueryDict) -> dict[str, Any]:
    form: dict[str, Any] = {key: post.get(key, "") for key in TEXT_FIELDS}
    form.update({key: post.getlist(key) for key in LIST_FIELDS})
    return form


def _date(form: dict[str, Any], key: str, errors: dict[str, str]) -> date | None:
    text = form[key].strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        errors[key] = _("Ngày phải có dạng năm-tháng-ngày, ví dụ 2026-12-31.")
        return None


def _parse(
    form: dict[str, Any], managed: list[OrgUnit], every_unit: dict[str, OrgUnit]
) -> tuple[DatasetFields | None, dict[str, str]]:
    """The form as the service's input, or the errors of what the service cannot be given."""
    errors: dict[str, str] = {}
    publisher = {unit.code: unit for unit in managed}.get(form["publisher"])
    if publisher is None:
        errors["publisher"] = _("Đơn vị công bố: chọn một đơn vị bạn quản lý dữ liệu.")
    spatial = every_unit.get(form["spatial"]) if form["spatial"] else None
    if form["spatial"] and spatial is None:
        errors["spatial"] = _("Phạm vi không gian: không có đơn vị mã %(code)s.") % {"code": form["spatial"]}
    allowed = [every_unit.get(code) for code in form["allowed_units"]]
    if None in allowed:
        errors["allowed_units"] = _("Đơn vị được đọc: có mã không thuộc danh mục đơn vị.")
    start, end = _date(form, "temporal_start", errors), _date(form, "temporal_end", errors)
    if errors or publisher is None:
        return None, errors
    fields = DatasetFields(
        title=form["title"],
        publisher=publisher,
        name=form["name"].strip(),
        title_en=form["title_en"],
        description=form["description"],
        description_en=form["description_en"],
        themes=tuple(form["themes"]),
        keywords=tuple(word.strip() for word in form["keywords"].split(",") if word.strip()),
        licence=form["licence"],
        frequency=form["frequency"],
        temporal_start=start,
        temporal_end=end,
        spatial=spatial,
        contact_name=form["contact_name"],
        contact_email=form["contact_email"],
        access=form["access"],
        allowed_units=tuple(unit for unit in allowed if unit is not None),
    )
    return fields, errors


def _error_of(exc: ApplicationError) -> dict[str, str]:
    field = exc.field if exc.field in (*TEXT_FIELDS, *LIST_FIELDS) else "form"
    return {field: str(exc.message)}


def _choices(managed: list[OrgUnit], every_unit: dict[str, OrgUnit]) -> dict[str, Any]:
    units = list(every_unit.values())
    return {
        "publishers": managed,
        "provinces": [u for u in units if u.kind == OrgUnit.Kind.PROVINCE],
        "agencies": [u for u in units if u.kind == OrgUnit.Kind.AGENCY],
        "communes": [u for u in units if u.kind == OrgUnit.Kind.COMMUNE],
        "themes": themes_all(),
        "licences": licences_all(),
        "frequencies": Dataset.Frequency.choices,
        "accesses": Dataset.Access.choices,
    }


@login_required
@require_http_methods(["GET", "POST"])
def manage_new(request: HttpRequest) -> HttpResponse:
    managed = _units_or_404(request)
    every_unit = {unit.code: unit for unit in unit_list(user=request.user)}
    form = _form_of(None, managed)
    errors: dict[str, str] = {}
    if request.method == "POST":
        form = _form_from_post(request.POST)
        fields, errors = _parse(form, managed, every_unit)
        if fields is not None:
            try:
                dataset = dataset_create(actor=request.user, fields=fields)
            except ApplicationError as exc:
                errors = _error_of(exc)
            else:
                messages.success(
                    request,
                    _(
                        "Đã tạo bộ dữ liệu “%(title)s” (nháp). Hãy tải lên phiên bản số liệu đầu tiên rồi công bố."
                    )
                    % {"title": dataset.title},
                )
                return redirect("opendata-manage-dataset", name=dataset.name)
    context = {"dataset": None, "form": form, "errors": errors, **_choices(managed, every_unit)}
    return render(request, "opendata/manage_dataset.html", context, status=422 if errors else 200)


# ---------------------------------------------------------------------------------------- one dataset


@login_required
@require_http_methods(["GET", "POST"])
def manage_dataset(request: HttpRequest, name: str) -> HttpResponse:
    try:
        dataset = dataset_get_managed(user=request.user, name=name)
    except NotFoundError:
        raise Http404 from None
    managed = _units_or_404(request)
    every_unit = {unit.code: unit for unit in unit_list(user=request.user)}
    state: dict[str, Any] = {"form": _form_of(dataset, managed), "errors": {}}
    if request.method == "POST":
        action = ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponseBadRequest(_("Thao tác không hợp lệ."))
        done = action(request, dataset, state, managed, every_unit)
        if done is not None:
            return done
    context = {
        "dataset": dataset,
        "versions": dataset_versions(user=request.user, dataset=dataset),
        "form": state["form"],
        "errors": state["errors"],
        "upload": state.get("upload", {}),
        "withdraw": state.get("withdraw", {}),
        "publish_error": state.get("publish_error", ""),
        **_choices(managed, every_unit),
        **_sharing(request, dataset),
    }
    failed = state["errors"] or context["upload"].get("error") or context["withdraw"].get("error")
    failed = failed or context["publish_error"]
    return render(request, "opendata/manage_dataset.html", context, status=422 if failed else 200)


def _sharing(request: HttpRequest, dataset: Dataset) -> dict[str, Any]:
    """The dataset's use by month; for shared and restricted ones, who read its rows (the latest
    first, LOG_PAGE_SIZE a page) and the systems' requests for it."""
    user = request.user
    shared = dataset.access != Dataset.Access.PUBLIC
    log = access_log_for(user=user, dataset=dataset) if shared else None
    return {
        "usage": dataset_usage(user=user, dataset=dataset),
        "access_log": Paginator(log, LOG_PAGE_SIZE).get_page(request.GET.get("log"))
        if log is not None
        else None,
        "access_requests": list(dataset_requests(user=user, dataset=dataset)) if shared else [],
        "nav": sharing_nav(user),
    }


def _save(
    request: HttpRequest,
    dataset: Dataset,
    state: dict[str, Any],
    managed: list[OrgUnit],
    every_unit: dict[str, OrgUnit],
) -> HttpResponse | None:
    state["form"] = _form_from_post(request.POST)
    fields, state["errors"] = _parse(state["form"], managed, every_unit)
    if fields is None:
        return None
    try:
        saved = dataset_update(actor=request.user, dataset=dataset, fields=fields)
    except ApplicationError as exc:
        state["errors"] = _error_of(exc)
        return None
    messages.success(request, _("Đã lưu mô tả bộ dữ liệu."))
    return redirect("opendata-manage-dataset", name=saved.name)


def _upload(
    request: HttpRequest, dataset: Dataset, state: dict[str, Any], *_args: Any
) -> HttpResponse | None:
    note = request.POST.get("note", "")
    upload: dict[str, Any] = {"note": note}
    state["upload"] = upload
    file = request.FILES.get("file")
    if file is None:
        upload["error"] = _("Tệp số liệu: hãy chọn một tệp CSV hoặc XLSX.")
        return None
    content = file.read(MAX_UPLOAD_BYTES + 1)  # one byte more than allowed: the service refuses it
    try:
        version = dataset_upload(
            actor=request.user, dataset=dataset, filename=file.name or "", content=content, note=note
        )
    except TableRefusedError as exc:
        upload.update(error=str(exc.message), cells=exc.errors, total=exc.total)
        return None
    except ApplicationError as exc:
        upload["error"] = str(exc.message)
        return None
    messages.success(
        request,
        _("Đã lưu phiên bản %(number)s (%(rows)s dòng).")
        % {"number": version.number, "rows": version.row_count},
    )
    return redirect("opendata-manage-dataset", name=dataset.name)


def _publish(
    request: HttpRequest, dataset: Dataset, state: dict[str, Any], *_args: Any
) -> HttpResponse | None:
    try:
        dataset_publish(actor=request.user, dataset=dataset)
    except ApplicationError as exc:
        state["publish_error"] = str(exc.message)
        return None
    messages.success(request, _("Đã công bố bộ dữ liệu."))
    return redirect("opendata-manage-dataset", name=dataset.name)


def _withdraw(
    request: HttpRequest, dataset: Dataset, state: dict[str, Any], *_args: Any
) -> HttpResponse | None:
    reason = request.POST.get("reason", "")
    state["withdraw"] = {"reason": reason}
    try:
        dataset_withdraw(actor=request.user, dataset=dataset, reason=reason)
    except ApplicationError as exc:
        state["withdraw"]["error"] = str(exc.message)
        return None
    messages.success(request, _("Đã thu hồi bộ dữ liệu; các phiên bản vẫn được giữ."))
    return redirect("opendata-manage-dataset", name=dataset.name)


Action = Callable[
    [HttpRequest, Dataset, dict[str, Any], list[OrgUnit], dict[str, OrgUnit]], HttpResponse | None
]
ACTIONS: dict[str, Action] = {"save": _save, "upload": _upload, "publish": _publish, "withdraw": _withdraw}
