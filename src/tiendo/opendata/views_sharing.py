"""Sharing between agencies, the office's pages (issue 12, item 4): the systems a user may see and
registers, one system with its keys (issued, rotated, revoked) and its access requests, the requests
a publisher decides, and the office's usage report (item 6).

The rules live in `sharing` (services, which check rights again and audit) and `sharing_selectors`.
A POST that succeeds redirects to a GET with a message, except issuing and rotating a key: that
answer shows the secret, once, and is never cached. A POST that fails renders the page again with
every value typed and the error next to its field. Who may not see a thing gets a 404.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.core.validators import validate_email
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.http import not_found_on_error
from tiendo.core.spreadsheet import FORMULA_TRIGGERS
from tiendo.core.types import Actor
from tiendo.opendata.models import AccessRequest, System, SystemKey
from tiendo.opendata.selectors import units_managed
from tiendo.opendata.sharing import (
    DEFAULT_OVERLAP_DAYS,
    MAX_KEY_DAYS,
    access_request_create,
    access_request_decide,
    access_revoke,
    system_can_manage,
    system_register,
    systemkey_issue,
    systemkey_revoke,
    systemkey_rotate,
)
from tiendo.opendata.sharing_selectors import (
    USAGE_SORTS,
    UsageRow,
    datasets_requestable,
    request_to_decide_get,
    requests_inbox,
    system_get,
    system_granted_datasets,
    system_key_get,
    system_keys,
    system_requests,
    systems_overview,
    systems_visible,
    units_administered,
    usage_report,
)
from tiendo.orgunits.models import OrgUnit

PAGE_SIZE = 25
SYSTEM_FIELDS = ("name", "owner", "purpose", "legal_basis", "contact_email")
DEFAULT_KEY_DAYS = 90
DEFAULT_RATE = 120
MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def _int(text: str, field: str, errors: dict[str, str], label: str) -> int | None:
    try:
        return int(text.strip())
    except ValueError:
        errors[field] = _("%(label)s: hãy nhập một số nguyên.") % {"label": label}
        return None


def _refused(exc: ApplicationError, fields: tuple[str, ...]) -> dict[str, str]:
    """A service's refusal, next to its field (or above the form when the field is not one of it)."""
    if isinstance(exc, PermissionDeniedError):  # the pages offer only what the user may do
        raise Http404
    return {exc.field if exc.field in fields else "form": str(exc.message)}


def sharing_nav(user: Actor) -> dict[str, Any]:
    """Which of the data stewards' tabs the user may open (sharing_nav.html), and how many requests
    wait for them."""
    manage = units_managed(user).exists()
    administers = units_administered(user=user).exists()
    return {
        "manage": manage,
        "systems": administers or systems_visible(user=user).exists(),
        "withheld": administers,
        "pending": requests_inbox(user=user, status=AccessRequest.Status.PENDING).count() if manage else 0,
    }


# ------------------------------------------------------------------------------------------ systems


def _register(
    request: HttpRequest, form: dict[str, str], owners: list[OrgUnit]
) -> HttpResponse | dict[str, str]:
    errors: dict[str, str] = {}
    owner = {unit.code: unit for unit in owners}.get(form["owner"])
    if owner is None:
        errors["owner"] = _("Đơn vị chủ quản: chọn một đơn vị bạn quản trị.")
    if form["contact_email"].strip():
        try:
            validate_email(form["contact_email"].strip())
        except ValidationError:
            errors["contact_email"] = _("Thư điện tử liên hệ: địa chỉ không hợp lệ (ví dụ ten@so.gov.vn).")
    if errors or owner is None:
        return errors
    try:
        system = system_register(
            actor=request.user,
            name=form["name"],
            owner=owner,
            purpose=form["purpose"],
            legal_basis=form["legal_basis"],
            contact_email=form["contact_email"],
        )
    except ApplicationError as exc:
        return _refused(exc, SYSTEM_FIELDS)
    messages.success(
        request,
        _("Đã đăng ký hệ thống “%(name)s”. Hãy xin quyền đọc các bộ dữ liệu cần dùng rồi cấp khóa.")
        % {"name": system.name},
    )
    return redirect("opendata-system", system_id=system.pk)


@login_required
@require_http_methods(["GET", "POST"])
def systems(request: HttpRequest) -> HttpResponse:
    owners = list(units_administered(user=request.user))
    overview = systems_overview(user=request.user)
    if not owners and not overview.exists():
        raise Http404
    form = dict.fromkeys(SYSTEM_FIELDS, "")
    form["owner"] = owners[0].code if len(owners) == 1 else ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        if not owners:
            raise Http404
        form = {key: request.POST.get(key, "") for key in SYSTEM_FIELDS}
        answer = _register(request, form, owners)
        if isinstance(answer, HttpResponse):
            return answer
        errors = answer
    context = {
        "page": Paginator(overview, PAGE_SIZE).get_page(request.GET.get("page")),
        "owners": owners,
        "form": form,
        "errors": errors,
        "nav": sharing_nav(request.user),
    }
    return render(request, "opendata/sharing_systems.html", context, status=422 if errors else 200)


# ------------------------------------------------------------------------------------- one system

ISSUE_FIELDS = ("name", "areas", "datasets", "days", "rate_per_minute")


def _issue_defaults() -> dict[str, Any]:
    return {
        "name": "",
        "areas": [SystemKey.Area.CATALOGUE, SystemKey.Area.DATASTORE],
        "datasets": [],
        "days": str(DEFAULT_KEY_DAYS),
        "rate_per_minute": str(DEFAULT_RATE),
    }


def _issue(request: HttpRequest, system: System, state: dict[str, Any]) -> HttpResponse | None:
    post = request.POST
    form: dict[str, Any] = {
        "name": post.get("name", ""),
        "areas": post.getlist("areas"),
        "datasets": post.getlist("datasets"),
        "days": post.get("days", ""),
        "rate_per_minute": post.get("rate_per_minute", ""),
    }
    state["issue"] = form
    errors: dict[str, str] = {}
    granted = {dataset.name: dataset for dataset in system_granted_datasets(user=request.user, system=system)}
    chosen = [granted.get(name) for name in form["datasets"]]
    if None in chosen:
        errors["datasets"] = _("Bộ dữ liệu: chỉ chọn trong các bộ dữ liệu hệ thống đã được cấp quyền.")
    days = _int(form["days"], "days", errors, _("Số ngày hiệu lực"))
    rate = _int(form["rate_per_minute"], "rate_per_minute", errors, _("Giới hạn mỗi phút"))
    if errors or days is None or rate is None:
        state["issue_errors"] = errors
        return None
    try:
        state["issued"] = systemkey_issue(
            actor=request.user,
            system=system,
            name=form["name"],
            areas=form["areas"],
            datasets=[dataset for dataset in chosen if dataset is not None],
            days=days,
            rate_per_minute=rate,
        )
    except ApplicationError as exc:
        state["issue_errors"] = _refused(exc, ISSUE_FIELDS)
        return None
    state["issue"] = _issue_defaults()
    return None


def _key(request: HttpRequest, system: System) -> SystemKey:
    try:
        key_id = int(request.POST.get("key", ""))
    except ValueError:
        raise Http404 from None
    return system_key_get(user=request.user, system=system, key_id=key_id)


def _rotate(request: HttpRequest, system: System, state: dict[str, Any]) -> HttpResponse | None:
    key = _key(request, system)
    typed = request.POST.get("overlap_days", "")
    state["rotate"] = {key.pk: typed}
    errors: dict[str, str] = {}
    overlap = _int(typed, "overlap_days", errors, _("Số ngày dùng song song"))
    if overlap is None:
        state["key_errors"] = {key.pk: errors["overlap_days"]}
        return None
    try:
        state["issued"] = systemkey_rotate(actor=request.user, key=key, overlap_days=overlap)
    except ApplicationError as exc:
        state["key_errors"] = {key.pk: _refused(exc, ())["form"]}
        return None
    state["rotated"] = system_key_get(user=request.user, system=system, key_id=key.pk)  # its new expiry
    state["overlap"] = overlap > 0
    state["rotate"] = {}
    return None


def _revoke(request: HttpRequest, system: System, state: dict[str, Any]) -> HttpResponse | None:
    key = _key(request, system)
    try:
        systemkey_revoke(actor=request.user, key=key)
    except ApplicationError as exc:
        state["key_errors"] = {key.pk: _refused(exc, ())["form"]}
        return None
    messages.success(
        request,
        _("Đã thu hồi khóa “%(name)s” (%(prefix)s…): mọi lời gọi dùng khóa này bị từ chối ngay.")
        % {"name": key.name, "prefix": key.prefix},
    )
    return redirect("opendata-system", system_id=system.pk)


def _ask(request: HttpRequest, system: System, state: dict[str, Any]) -> HttpResponse | None:
    form = {"dataset": request.POST.get("dataset", ""), "purpose": request.POST.get("purpose", "")}
    state["ask"] = form
    dataset = (
        datasets_requestable(user=request.user, system=system).filter(name=form["dataset"]).first()
        if form["dataset"]
        else None
    )
    if dataset is None:
        state["ask_errors"] = {
            "dataset": _(
                "Bộ dữ liệu: chọn một bộ dữ liệu dùng chung hoặc hạn chế đã công bố trong danh sách."
            )
        }
        return None
    try:
        access_request_create(actor=request.user, system=system, dataset=dataset, purpose=form["purpose"])
    except ApplicationError as exc:
        state["ask_errors"] = _refused(exc, ("dataset", "purpose"))
        return None
    messages.success(
        request,
        _(
            "Đã gửi yêu cầu đọc “%(title)s” tới %(publisher)s; đơn vị công bố sẽ cấp quyền hoặc từ chối, có nêu lý do."
        )
        % {"title": dataset.display_title, "publisher": dataset.publisher.display_name},
    )
    return redirect("opendata-system", system_id=system.pk)


SystemAction = Callable[[HttpRequest, System, dict[str, Any]], HttpResponse | None]
SYSTEM_ACTIONS: dict[str, SystemAction] = {"issue": _issue, "rotate": _rotate, "revoke": _revoke, "ask": _ask}


def _system_context(
    request: HttpRequest, system: System, can_manage: bool, state: dict[str, Any]
) -> dict[str, Any]:
    user = request.user
    granted = list(system_granted_datasets(user=user, system=system))
    rotate = state.get("rotate", {})
    key_errors = state.get("key_errors", {})
    labels = dict(SystemKey.Area.choices)
    keys = [
        (
            row,
            [labels.get(area, area) for area in row.key.areas],
            rotate.get(row.key.pk, str(DEFAULT_OVERLAP_DAYS)),
            key_errors.get(row.key.pk, ""),
        )
        for row in system_keys(user=user, system=system)
    ]
    return {
        "nav": sharing_nav(user),
        "system": system,
        "can_manage": can_manage,
        "keys": keys,
        "requests": system_requests(user=user, system=system),
        "granted": granted,
        "requestable": list(datasets_requestable(user=user, system=system)) if can_manage else [],
        "areas": SystemKey.Area.choices,
        "max_days": MAX_KEY_DAYS,
        "issue": state.get("issue") or _issue_defaults(),
        "issue_errors": state.get("issue_errors", {}),
        "ask": state.get("ask") or {"dataset": "", "purpose": ""},
        "ask_errors": state.get("ask_errors", {}),
        "issued": state.get("issued"),
        "rotated": state.get("rotated"),
        "overlap": state.get("overlap", False),
        "api_url": request.build_absolute_uri(
            reverse("opendata-ckan-action", kwargs={"name": "datastore_search"})
        ),
        "example_dataset": granted[0].name if granted else "",
    }


@never_cache  # the answer to issuing or rotating a key shows its secret: no browser or proxy keeps it
@login_required
@require_http_methods(["GET", "POST"])
@not_found_on_error
def system_page(request: HttpRequest, system_id: int) -> HttpResponse:
    system = system_get(user=request.user, system_id=system_id)
    can_manage = system_can_manage(request.user, system.owner)
    state: dict[str, Any] = {}
    if request.method == "POST":
        if not can_manage:
            raise Http404
        action = SYSTEM_ACTIONS.get(request.POST.get("action", ""))
        if action is None:
            return HttpResponseBadRequest(_("Thao tác không hợp lệ."))
        done = action(request, system, state)
        if done is not None:
            return done
    context = _system_context(request, system, can_manage, state)
    failed = context["issue_errors"] or context["ask_errors"] or state.get("key_errors")
    return render(request, "opendata/sharing_system.html", context, status=422 if failed else 200)


# ---------------------------------------------------------------------------- requests to decide

DECISIONS = ("grant", "refuse", "revoke")


def _decide(request: HttpRequest, state: dict[str, Any]) -> HttpResponse | None:
    action = request.POST.get("action", "")
    if action not in DECISIONS:
        return HttpResponseBadRequest(_("Thao tác không hợp lệ."))
    try:
        request_id = int(request.POST.get("request", ""))
    except ValueError:
        raise Http404 from None
    asked = request_to_decide_get(user=request.user, request_id=request_id)
    reason = request.POST.get("reason", "")
    state["forms"] = {asked.pk: {"reason": reason, "action": action}}
    try:
        if action == "revoke":
            done = access_revoke(actor=request.user, request=asked, reason=reason)
        else:
            done = access_request_decide(
                actor=request.user, request=asked, grant=action == "grant", reason=reason
            )
    except ApplicationError as exc:
        state["errors"] = {asked.pk: _refused(exc, ("reason",))}
        return None
    texts: dict[str, str] = {
        AccessRequest.Status.GRANTED: _("Đã cấp quyền cho %(system)s đọc “%(title)s”."),
        AccessRequest.Status.REFUSED: _("Đã từ chối yêu cầu của %(system)s đối với “%(title)s”."),
        AccessRequest.Status.REVOKED: _("Đã thu hồi quyền đọc “%(title)s” của %(system)s; có hiệu lực ngay."),
    }
    messages.success(
        request, texts[done.status] % {"system": done.system.name, "title": done.dataset.display_title}
    )
    return redirect(request.get_full_path())


@login_required
@require_http_methods(["GET", "POST"])
@not_found_on_error
def requests_page(request: HttpRequest) -> HttpResponse:
    if not units_managed(request.user).exists():
        raise Http404
    status = request.GET.get("status", "")
    dataset_name = request.GET.get("dataset", "").strip()
    state: dict[str, Any] = {}
    if request.method == "POST":
        done = _decide(request, state)
        if done is not None:
            return done
    found = requests_inbox(user=request.user, status=status, dataset_name=dataset_name)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    forms, errors = state.get("forms", {}), state.get("errors", {})
    context = {
        "page": page,
        "rows": [(asked, forms.get(asked.pk, {}), errors.get(asked.pk, {})) for asked in page],
        "status": status if status in AccessRequest.Status.values else "",
        "dataset_name": dataset_name,
        "statuses": AccessRequest.Status.choices,
        "nav": sharing_nav(request.user),
    }
    return render(request, "opendata/sharing_requests.html", context, status=422 if errors else 200)


# ------------------------------------------------------------------------------------ usage report


def _month(text: str, default: date, field: str, errors: dict[str, str]) -> date:
    text = text.strip()
    if not text:
        return default
    if not MONTH.match(text):
        errors[field] = _("Tháng phải có dạng năm-tháng, ví dụ 2026-05.")
        return default
    return date.fromisoformat(text + "-01")


def _months_before(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def _usage_query(request: HttpRequest) -> dict[str, Any]:
    """The report's filter as typed (`form`), as read (`start`, `end`, `q`, `sort`) and its errors."""
    if not units_managed(request.user).exists():
        raise Http404
    get = request.GET
    today = timezone.localdate()
    errors: dict[str, str] = {}
    start = _month(get.get("from", ""), _months_before(today, 11), "from", errors)
    end = _month(get.get("to", ""), today.replace(day=1), "to", errors)
    if start > end and not errors:
        errors["to"] = _("Đến tháng: phải từ tháng bắt đầu trở về sau.")
        start, end = _months_before(today, 11), today.replace(day=1)
    sort = get.get("sort", "-month")
    sort = sort if sort in USAGE_SORTS else "-month"
    q = get.get("q", "").strip()
    form = {
        "from": get.get("from", f"{start:%Y-%m}"),
        "to": get.get("to", f"{end:%Y-%m}"),
        "q": q,
        "sort": sort,
    }
    return {"form": form, "start": start, "end": end, "q": q, "sort": sort, "errors": errors}


def _usage_rows(request: HttpRequest, query: dict[str, Any]) -> list[UsageRow]:
    return usage_report(
        user=request.user, start=query["start"], end=query["end"], q=query["q"], sort=query["sort"]
    )


@login_required
@require_GET
def usage(request: HttpRequest) -> HttpResponse:
    query = _usage_query(request)
    rows = _usage_rows(request, query)
    params = {k: v for k, v in query["form"].items() if v}
    context = {
        **query,
        "rows": rows,
        "total_downloads": sum(row.downloads for row in rows),
        "total_api": sum(row.api for row in rows),
        "csv_query": urlencode(params),
        "sort_links": {
            name: "?" + urlencode(params | {"sort": key})
            for name, key in (
                ("dataset", "dataset"),
                ("month_desc", "-month"),
                ("month_asc", "month"),
                ("downloads", "-downloads"),
                ("api", "-api"),
            )
        },
        "sorts": _sort_labels(),
        "nav": sharing_nav(request.user),
    }
    return render(request, "opendata/sharing_usage.html", context, status=422 if query["errors"] else 200)


def _sort_labels() -> list[tuple[str, str]]:
    return [
        ("-month", _("tháng gần nhất trước")),
        ("month", _("tháng cũ nhất trước")),
        ("dataset", _("tên bộ dữ liệu")),
        ("-downloads", _("nhiều lượt tải nhất")),
        ("-api", _("nhiều lượt gọi API nhất")),
    ]


def _cell(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@login_required
@require_GET
def usage_csv(request: HttpRequest) -> HttpResponse:
    """Exactly the rows the report shows for the same filter, in the same order."""
    query = _usage_query(request)
    if query["errors"]:
        return HttpResponseBadRequest(
            "; ".join(query["errors"].values()), content_type="text/plain; charset=utf-8"
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        [
            _("Tên trong đường dẫn"),
            _("Bộ dữ liệu"),
            _("Đơn vị công bố"),
            _("Tháng"),
            _("Lượt tải xuống"),
            _("Lượt gọi API"),
        ]
    )
    for row in _usage_rows(request, query):
        values = [row.dataset.name, row.dataset.display_title, row.dataset.publisher.display_name]
        writer.writerow([_cell(v) for v in values] + [f"{row.month:%Y-%m}", row.downloads, row.api])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    name = f"su-dung-du-lieu-{query['start']:%Y%m}-{query['end']:%Y%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
