"""The office edits the registry on its pages: one device at a time, or a whole file uploaded.

A device's form is checked with the same rules as the file (registry.DeviceEntry and its checks);
every error names its field, and nothing is written until all pass. A save audits only what
changed (AuditedWriter). A metric removed from the form is kept if it has readings (history is
never dropped by an edit); a device is never deleted, only set inactive.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import ValidationError

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.types import Actor
from tiendo.core.writer import AuditedWriter, ChangeReport
from tiendo.ioc.models import Device, DeviceMetric, Reading, Subsystem
from tiendo.ioc.registry import DeviceEntry, RegistryLoadReport, registry_load
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin

UPLOAD_MAX_BYTES = 2 * 1024 * 1024


class DeviceFormError(ApplicationError):
    """Every problem of a device form, by field; the first one is the message."""

    def __init__(self, *, errors: dict[str, str]) -> None:
        self.errors = errors
        first_field, first = next(iter(errors.items()))
        super().__init__(f"{first_field}: {first}", field=first_field)


def _require_office(user: Actor) -> None:
    if not user_is_office_admin(user):
        raise NotFoundError()


def _metrics(raw: str, errors: dict[str, str]) -> list[dict[str, str]]:
    metrics = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(";")]
        if len(parts) not in (2, 3):
            errors.setdefault("metrics", _("dòng %(n)s: cần “mã; tên; mã đơn vị đo”") % {"n": number})
            continue
        metric = {"code": parts[0], "name": parts[1]}
        if len(parts) == 3 and parts[2]:
            metric["unit_code"] = parts[2]
        metrics.append(metric)
    return metrics


def _number(raw: str, name: str, errors: dict[str, str]) -> float | None:
    if not raw.strip():
        return None
    try:
        return float(raw.replace(",", "."))
    except ValueError:
        errors[name] = _("phải là một số (độ thập phân, ví dụ 15,12)")
        return None


def _properties(raw: str, errors: dict[str, str]) -> dict[str, Any]:
    if not raw.strip():
        return {}
    try:
        value = json.loads(raw)
    except json.JSONDecodeError as exc:
        errors["properties"] = _("JSON không hợp lệ (dòng %(line)s)") % {"line": exc.lineno}
        return {}
    if not isinstance(value, dict):
        errors["properties"] = _("phải là một đối tượng JSON {…}")
        return {}
    return value


def device_entry_from_form(*, data: dict[str, str], code: str | None) -> DeviceEntry:
    """The form's fields as a registry entry, or DeviceFormError naming every bad field."""
    errors: dict[str, str] = {}
    latitude = _number(data.get("latitude", ""), "latitude", errors)
    longitude = _number(data.get("longitude", ""), "longitude", errors)
    if (latitude is None) != (longitude is None) and not errors:
        errors["latitude"] = _("cần cả vĩ độ và kinh độ, hoặc bỏ trống cả hai")
    values: dict[str, Any] = {
        "code": code or data.get("code", "").strip(),
        "name": data.get("name", "").strip(),
        "subsystem": data.get("subsystem", "").strip(),
        "unit": data.get("unit", "").strip(),
        "owner": data.get("owner", "").strip() or None,
        "kind": data.get("kind", "") or Device.Kind.OTHER,
        "moving": data.get("moving") == "on",
        "location": (latitude, longitude) if latitude is not None and longitude is not None else None,
        "simulated": data.get("simulated") == "on",
        "properties": _properties(data.get("properties", ""), errors),
        "metrics": _metrics(data.get("metrics", ""), errors),
    }
    try:
        entry = DeviceEntry.model_validate(values)
    except ValidationError as exc:
        for problem in exc.errors():
            name = str(problem["loc"][0]) if problem["loc"] else "code"
            errors.setdefault(name, problem["msg"])
        raise DeviceFormError(errors=errors) from None
    if errors:
        raise DeviceFormError(errors=errors)
    return entry


def device_save(*, user: Actor, data: dict[str, str], code: str | None = None) -> Device:
    """Create (code None) or update a device from its form; audited; office only."""
    _require_office(user)
    existing = Device.objects.filter(code=code).first() if code else None
    if code and existing is None:
        raise NotFoundError()
    entry = device_entry_from_form(data=data, code=code)
    errors: dict[str, str] = {}
    if existing is None and Device.objects.filter(code=entry.code).exists():
        errors["code"] = _("đã có thiết bị mã %(code)s") % {"code": entry.code}
    subsystem = Subsystem.objects.filter(code=entry.subsystem).first()
    if subsystem is None:
        errors["subsystem"] = _("không có hệ thống mã %(code)s") % {"code": entry.subsystem}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[entry.unit, entry.owner or ""])}
    for name in ("unit", "owner"):
        unit_code = getattr(entry, name)
        if unit_code and unit_code not in units:
            errors[name] = _("không có đơn vị mã %(code)s") % {"code": unit_code}
    if any(ch in entry.code for ch in "/#+$"):
        errors["code"] = _("mã thiết bị không được chứa / # + $ (chủ đề MQTT)")
    codes = [m.code for m in entry.metrics]
    if len(set(codes)) != len(codes):
        errors["metrics"] = _("chỉ số đo trùng mã")
    if errors:
        raise DeviceFormError(errors=errors)
    assert subsystem is not None
    writer = AuditedWriter(actor=user, actor_label=user.get_username(), report=ChangeReport())
    latitude, longitude = entry.location if entry.location else (None, None)
    with transaction.atomic():
        device = writer.upsert(
            Device,
            lookup={"code": entry.code},
            values={
                "name": entry.name,
                "subsystem": subsystem,
                "unit": units[entry.unit],
                "owner": units.get(entry.owner) if entry.owner else None,
                "kind": entry.kind,
                "moving": entry.moving,
                "latitude": latitude,
                "longitude": longitude,
                "simulated": entry.simulated,
                "properties": entry.properties,
                "active": data.get("active", "on") == "on",
            },
        )
        for metric in entry.metrics:
            writer.upsert(
                DeviceMetric,
                lookup={"device": device, "code": metric.code},
                values={"name": metric.name, "unit_code": metric.unit_code},
            )
        for gone in DeviceMetric.objects.filter(device=device, derived=False).exclude(code__in=codes):
            if not Reading.objects.filter(series=gone).exists():
                writer.delete(gone)
    return device


def registry_upload(*, user: Actor, content: bytes) -> RegistryLoadReport:
    """A registry file uploaded on the page: the same all-or-nothing load as `tiendo load-ioc`."""
    _require_office(user)
    if len(content) > UPLOAD_MAX_BYTES:
        raise ApplicationError(
            _("Tệp quá lớn: tối đa %(n)s MB") % {"n": UPLOAD_MAX_BYTES // (1024 * 1024)}, field="file"
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "danh-muc-ioc.yaml"
        path.write_bytes(content)
        return registry_load(path=path, actor=user)
