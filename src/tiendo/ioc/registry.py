"""The registry file (YAML): subsystems, devices and their series, loaded all-or-nothing.

Every problem of the file is reported with its line before anything is written; a load that
passes creates or updates rows field by field and audits only what changed (AuditedWriter), so
loading the same file twice changes nothing. Devices absent from the file are left as they are
(a registry also edited by the office on its pages is never pruned by a file).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated

from django.db import transaction
from django.utils.translation import gettext as _
from pydantic import Field, ValidationError, field_validator

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.types import Actor
from tiendo.core.writer import AuditedWriter, ChangeReport
from tiendo.core.yamlfile import StrictModel, YamlDocument, as_text
from tiendo.ioc.alerts_services import RuleInput, rule_fields
from tiendo.ioc.domain import derived_problems
from tiendo.ioc.models import AlertRule, Device, DeviceMetric, Subsystem
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.models import Indicator

SHIPPED_REGISTRY = Path(__file__).parent / "data" / "quang-ngai-ioc.yaml"
SHIPPED_RULES = Path(__file__).parent / "data" / "quang-ngai-alert-rules.yaml"
CODE = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
UNECE_CODE = r"^[A-Z0-9]{2,3}$"  # UN/CEFACT Recommendation 20 common codes (GQ, MTR, CEL, C62 …)

ShortText = Annotated[str, Field(min_length=1, max_length=300)]


class MetricEntry(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[a-z0-9_]+$")]
    name: ShortText
    unit_code: Annotated[str, Field(pattern=UNECE_CODE)] = "C62"
    derived: bool = False  # computed by tiendo from the device's other series (ioc/domain)


class DeviceEntry(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=80, pattern=CODE)]
    name: ShortText
    subsystem: str
    unit: str
    owner: str | None = None
    kind: Device.Kind = Device.Kind.OTHER
    moving: bool = False
    location: (
        tuple[Annotated[float, Field(ge=-90, le=90)], Annotated[float, Field(ge=-180, le=180)]] | None
    ) = None
    simulated: bool = False
    properties: dict[str, object] = {}
    metrics: Annotated[list[MetricEntry], Field(min_length=1)]

    _text = field_validator("unit", "owner", "subsystem", mode="before")(as_text)


class SubsystemEntry(StrictModel):
    code: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[a-z0-9-]+$")]
    name: ShortText
    owner: str | None = None
    owner_name: str = ""
    year: int | None = None
    description: str = ""
    source: str = ""

    _text = field_validator("owner", mode="before")(as_text)


class RuleEntry(StrictModel):
    """An alert rule as the file writes it; checked by the same rules as the office's form."""

    code: str
    name: ShortText
    severity: str = "warning"
    condition: str = "threshold"
    metric: str = ""
    device: str = ""
    device_kind: str = ""
    subsystem: str = ""
    indicator: str = ""  # "<plan code>:<number>", e.g. "quang-ngai-2026:II.7"
    operator: str = ""
    threshold: float | None = None
    per_minutes: float | None = None
    minutes: int | None = None
    duration_seconds: int = 0
    repeat_count: int = 1
    notify_emails: list[str] = []
    notify_webhook: str = ""
    active: bool = True


class RegistryFile(StrictModel):
    subsystems: list[SubsystemEntry] = []
    devices: list[DeviceEntry] = []
    rules: list[RuleEntry] = []


@dataclass
class RegistryLoadReport(ChangeReport):
    devices: int = 0
    subsystems: int = 0


@dataclass
class _Context:
    document: YamlDocument
    units: dict[str, OrgUnit]
    subsystems: set[str]
    errors: list[str] = field(default_factory=list)

    def error(self, loc: tuple[str | int, ...], message: str) -> None:
        self.errors.append(self.document.error(loc, message))


def _parse(path: Path) -> tuple[YamlDocument, RegistryFile]:
    document = YamlDocument.load(path)
    try:
        return document, RegistryFile.model_validate(document.data or {})
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise  # unreachable: fail raises


def _check(document: YamlDocument, registry: RegistryFile) -> _Context:
    named = {s.owner for s in registry.subsystems} | {d.unit for d in registry.devices}
    named |= {d.owner for d in registry.devices}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=[c for c in named if c])}
    subsystems = {s.code for s in registry.subsystems} | set(Subsystem.objects.values_list("code", flat=True))
    context = _Context(document=document, units=units, subsystems=subsystems)
    seen: set[str] = set()
    for index, sub in enumerate(registry.subsystems):
        if sub.owner and sub.owner not in units:
            context.error(
                ("subsystems", index, "owner"), _("không có đơn vị mã %(code)s") % {"code": sub.owner}
            )
    for index, device in enumerate(registry.devices):
        _check_device(context, device, ("devices", index), seen)
    return context


def _check_device(context: _Context, device: DeviceEntry, loc: tuple[str | int, ...], seen: set[str]) -> None:
    if device.code in seen:
        context.error((*loc, "code"), _("mã thiết bị trùng: %(code)s") % {"code": device.code})
    seen.add(device.code)
    if device.subsystem not in context.subsystems:
        context.error((*loc, "subsystem"), _("không có hệ thống mã %(code)s") % {"code": device.subsystem})
    for key in ("unit", "owner"):
        code = getattr(device, key)
        if code and code not in context.units:
            context.error((*loc, key), _("không có đơn vị mã %(code)s") % {"code": code})
    metric_codes = [m.code for m in device.metrics]
    for index, code in enumerate(metric_codes):
        if code in metric_codes[:index]:
            context.error((*loc, "metrics", index, "code"), _("chỉ số đo trùng: %(code)s") % {"code": code})
    for index, metric in enumerate(device.metrics):
        if metric.derived:
            for where, message in derived_problems(
                metric=metric.code, metrics=metric_codes, properties=device.properties
            ):
                at = (*loc, "metrics", index, "code") if where == ("metric",) else (*loc, *where)
                context.error(at, f"{metric.code}: {message}")
    if re.search(r"[/#+$]", device.code):
        context.error((*loc, "code"), _("mã thiết bị không được chứa / # + $ (chủ đề MQTT)"))


def registry_load(*, path: Path, actor: Actor | None = None) -> RegistryLoadReport:
    """Check the whole file, then write it in one transaction; any error → nothing written."""
    if actor is not None and not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS được nạp danh mục IOC"))
    document, registry = _parse(path)
    context = _check(document, registry)
    if context.errors:
        document.fail(context.errors)
    report = RegistryLoadReport(devices=len(registry.devices), subsystems=len(registry.subsystems))
    writer = AuditedWriter(actor=actor, actor_label="tiendo load-ioc", report=report)
    with transaction.atomic():
        for sub in registry.subsystems:
            writer.upsert(
                Subsystem,
                lookup={"code": sub.code},
                values={
                    "name": sub.name,
                    "owner": context.units.get(sub.owner) if sub.owner else None,
                    "owner_name": sub.owner_name,
                    "year": sub.year,
                    "description": sub.description,
                    "source": sub.source,
                },
            )
        subsystems = {s.code: s for s in Subsystem.objects.all()}
        for entry in registry.devices:
            _write_device(entry, writer=writer, units=context.units, subsystems=subsystems)
        rule_errors = _write_rules(registry.rules, writer=writer, document=document)
        if rule_errors:  # checked against the devices just written; the transaction rolls back
            document.fail(rule_errors)
    return report


def _rule_input(entry: RuleEntry) -> RuleInput | str:
    """The form's input for a rule of the file, or the error of its indicator reference."""
    indicator = ""
    if entry.indicator:
        plan_code, _sep, number = entry.indicator.partition(":")
        found = (
            Indicator.objects.filter(plan__code=plan_code, number=number).values_list("pk", flat=True).first()
        )
        if found is None:
            return _("không có chỉ tiêu %(ref)s (dạng <mã kế hoạch>:<số>)") % {"ref": entry.indicator}
        indicator = str(found)
    values = entry.model_dump(exclude={"indicator"})
    return RuleInput(**values, indicator=indicator)


def _write_rules(rules: list[RuleEntry], *, writer: AuditedWriter, document: YamlDocument) -> list[str]:
    errors: list[str] = []
    for index, entry in enumerate(rules):
        data = _rule_input(entry)
        if isinstance(data, str):
            errors.append(document.error(("rules", index, "indicator"), data))
            continue
        existing = AlertRule.objects.filter(code=entry.code).first()
        try:
            fields = rule_fields(data, rule=existing)
        except ApplicationError as exc:
            errors.append(document.error(("rules", index, exc.field or "code"), str(exc.message)))
            continue
        fields.pop("code")
        writer.upsert(AlertRule, lookup={"code": entry.code}, values=fields)
    return errors


def _write_device(
    entry: DeviceEntry, *, writer: AuditedWriter, units: dict[str, OrgUnit], subsystems: dict[str, Subsystem]
) -> None:
    latitude, longitude = entry.location if entry.location else (None, None)
    device = writer.upsert(
        Device,
        lookup={"code": entry.code},
        values={
            "name": entry.name,
            "subsystem": subsystems[entry.subsystem],
            "unit": units[entry.unit],
            "owner": units.get(entry.owner) if entry.owner else None,
            "kind": entry.kind,
            "moving": entry.moving,
            "latitude": latitude,
            "longitude": longitude,
            "simulated": entry.simulated,
            "properties": entry.properties,
        },
    )
    for metric in entry.metrics:
        writer.upsert(
            DeviceMetric,
            lookup={"device": device, "code": metric.code},
            values={"name": metric.name, "unit_code": metric.unit_code, "derived": metric.derived},
        )
