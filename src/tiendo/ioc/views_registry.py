"""The registry pages of the office: devices listed, added, edited, set inactive; a file uploaded."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from tiendo.core.exceptions import ApplicationError
from tiendo.core.yamlfile import FileValidationError
from tiendo.ioc.models import Device, Subsystem
from tiendo.ioc.registry_edit import DeviceFormError, device_save, registry_upload
from tiendo.ioc.selectors import refusals_recent
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin

PAGE_SIZE = 50
SORTS = {
    "code": "code",
    "name": "name",
    "unit": "unit__name",
    "state": "state",
    "-last_seen": "-last_seen_at",
}


def _office_only(request: HttpRequest) -> None:
    if not user_is_office_admin(request.user):
        raise Http404


@login_required
@require_http_methods(["GET", "POST"])
def registry(request: HttpRequest) -> HttpResponse:
    _office_only(request)
    upload_errors: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ApplicationError(_("Chọn một tệp YAML để nạp"), field="file")
            report = registry_upload(user=request.user, content=upload.read())
        except FileValidationError as exc:
            upload_errors = exc.errors
        except ApplicationError as exc:
            upload_errors = [str(exc.message)]
        else:
            messages.success(request, _("Đã nạp danh mục: %(summary)s") % {"summary": report.summary()})
            return redirect("ioc-registry")
    q = request.GET.get("q", "").strip()
    subsystem = request.GET.get("subsystem", "")
    sort = request.GET.get("sort", "code")
    devices = Device.objects.select_related("subsystem", "unit").order_by(SORTS.get(sort, "code"), "code")
    if q:
        devices = devices.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(unit__name__icontains=q))
    if subsystem:
        devices = devices.filter(subsystem__code=subsystem)
    page = Paginator(devices, PAGE_SIZE).get_page(request.GET.get("page"))
    refusals, refused_total = refusals_recent(user=request.user)
    context = {
        "refusals": refusals,
        "refused_total": refused_total,
        "page": page,
        "q": q,
        "subsystem": subsystem,
        "sort": sort,
        "subsystems": Subsystem.objects.order_by("name"),
        "upload_errors": upload_errors,
    }
    return render(request, "ioc/registry_list.html", context, status=422 if upload_errors else 200)


def _form_of(device: Device | None) -> dict[str, str]:
    if device is None:
        return {"active": "on", "metrics": "", "properties": ""}
    metrics = device.metrics.filter(derived=False).order_by("code")
    return {
        "code": device.code,
        "name": device.name,
        "subsystem": device.subsystem.code,
        "unit": device.unit.code,
        "owner": device.owner.code if device.owner else "",
        "kind": device.kind,
        "moving": "on" if device.moving else "",
        "simulated": "on" if device.simulated else "",
        "active": "on" if device.active else "",
        "latitude": "" if device.latitude is None else str(device.latitude),
        "longitude": "" if device.longitude is None else str(device.longitude),
        "metrics": "\n".join(f"{m.code}; {m.name}; {m.unit_code}" for m in metrics),
        "properties": json.dumps(device.properties, ensure_ascii=False, indent=1)
        if device.properties
        else "",
    }


@login_required
@require_http_methods(["GET", "POST"])
def registry_device(request: HttpRequest, code: str | None = None) -> HttpResponse:
    _office_only(request)
    device = None
    if code is not None:
        device = Device.objects.select_related("subsystem", "unit", "owner").filter(code=code).first()
        if device is None:
            raise Http404
    errors: dict[str, str] = {}
    form = _form_of(device)
    if request.method == "POST":
        form = {key: request.POST.get(key, "") for key in _form_of(None) | _form_of_keys()}
        try:
            saved = device_save(user=request.user, data=form, code=code)
        except DeviceFormError as exc:
            errors = exc.errors
        else:
            messages.success(request, _("Đã lưu thiết bị %(code)s") % {"code": saved.code})
            return redirect("ioc-registry")
    context = {
        "device": device,
        "form": form,
        "errors": errors,
        "kinds": Device.Kind.choices,
        "subsystems": Subsystem.objects.order_by("name"),
        "units": OrgUnit.objects.order_by("kind", "name").only("code", "name"),
    }
    return render(request, "ioc/registry_device.html", context, status=422 if errors else 200)


def _form_of_keys() -> dict[str, str]:
    keys = (
        "code",
        "name",
        "subsystem",
        "unit",
        "owner",
        "kind",
        "moving",
        "simulated",
        "latitude",
        "longitude",
    )
    return dict.fromkeys(keys, "")
