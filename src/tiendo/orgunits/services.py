"""Writes to the unit tree. Each service is transactional and audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.yamlfile import YamlDocument
from tiendo.orgunits.models import Membership, OrgUnit, UnitGroup
from tiendo.orgunits.selectors import user_is_office_admin

DATA_DIR = Path(__file__).resolve().parent / "data"
VIETNAM_PROVINCES_SOURCE = "vietnam-provinces {version}"

# The collective groups every province has; plans name them ("UBND các địa phương").
COMMUNE_GROUPS = {
    "communes": ("UBND các xã, phường, đặc khu", "Commune-level People's Committees"),
    "xa": ("Xã", "Communes (xã)"),
    "phuong": ("Phường", "Wards (phường)"),
    "dac-khu": ("Đặc khu", "Special zones (đặc khu)"),
}
_DIVISION_GROUP = {"xã": "xa", "phường": "phuong", "đặc khu": "dac-khu"}


@dataclass
class LoadReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    messages: list[str] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)


def _upsert_unit(*, code: str, values: dict[str, Any], report: LoadReport, actor_label: str) -> OrgUnit:
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        unit = OrgUnit(code=code, **values)
        unit.save()
        audit_record(
            actor=None,
            actor_label=actor_label,
            action="orgunit.create",
            obj=unit,
            changes=values_for_audit(values),
        )
        report.count("created")
        return unit
    changes = {k: [_plain(getattr(unit, k)), _plain(v)] for k, v in values.items() if getattr(unit, k) != v}
    if changes:
        for key, value in values.items():
            setattr(unit, key, value)
        unit.save()
        audit_record(actor=None, actor_label=actor_label, action="orgunit.update", obj=unit, changes=changes)
        report.count("updated")
    else:
        report.count("unchanged")
    return unit


def _plain(value: Any) -> Any:
    return value.code if isinstance(value, OrgUnit) else value


def values_for_audit(values: dict[str, Any]) -> dict[str, Any]:
    return {k: _plain(v) for k, v in values.items()}


def _ensure_group(*, code: str, name: str, name_en: str, actor_label: str) -> UnitGroup:
    group = UnitGroup.objects.filter(code=code).first()
    if group is None:
        group = UnitGroup.objects.create(code=code, name=name, name_en=name_en)
        audit_record(
            actor=None, actor_label=actor_label, action="unitgroup.create", obj=group, changes={"name": name}
        )
    elif (group.name, group.name_en) != (name, name_en):
        changes = {"name": [group.name, name], "name_en": [group.name_en, name_en]}
        group.name, group.name_en = name, name_en
        group.save(update_fields=["name", "name_en"])
        audit_record(
            actor=None, actor_label=actor_label, action="unitgroup.update", obj=group, changes=changes
        )
    return group


def _sync_group_members(
    *, group: UnitGroup, desired: set[OrgUnit], scope: QuerySet[OrgUnit], actor_label: str
) -> None:
    """Make the group's members within `scope` (one province's communes or agencies) exactly `desired`.

    Members outside the scope (another province's units) are left alone, so one group such as
    "communes" can serve a nationwide tree.
    """
    current = set(group.members.filter(pk__in=scope.values("pk")))
    added, removed = desired - current, current - desired
    if not added and not removed:
        return
    group.members.add(*added)
    group.members.remove(*removed)
    audit_record(
        actor=None,
        actor_label=actor_label,
        action="unitgroup.members",
        obj=group,
        changes={"added": sorted(u.code for u in added), "removed": sorted(u.code for u in removed)},
    )


@transaction.atomic
def units_load_province(*, province_code: int, actor_label: str = "tiendo load-units") -> LoadReport:
    """Load a province and its commune-level units from the `vietnam-provinces` package.

    Idempotent: a second run reports everything unchanged. Units that the package no longer lists
    are reported, never deleted (data may hang on them).
    """
    from importlib.metadata import version

    import vietnam_provinces as vp

    try:
        province = vp.Province.from_code(vp.ProvinceCode(province_code))
    except ValueError:
        codes = ", ".join(str(p.code.value) for p in vp.Province.iter_all())
        raise ApplicationError(
            _("Mã tỉnh %(code)s không có trong danh mục (có: %(codes)s)")
            % {"code": province_code, "codes": codes},
            field="province",
        ) from None
    source = VIETNAM_PROVINCES_SOURCE.format(version=version("vietnam-provinces"))
    report = LoadReport()
    root = _upsert_unit(
        code=str(province.code.value),
        values={
            "name": province.name,
            "name_en": province.name,
            "kind": OrgUnit.Kind.PROVINCE,
            "division_type": province.division_type.value,
            "parent": None,
            "source": source,
        },
        report=report,
        actor_label=actor_label,
    )
    groups = {
        code: _ensure_group(code=code, name=n, name_en=e, actor_label=actor_label)
        for code, (n, e) in COMMUNE_GROUPS.items()
    }
    desired: dict[str, set[OrgUnit]] = {code: set() for code in COMMUNE_GROUPS}
    seen: set[str] = set()
    for ward in vp.Ward.iter_by_province(province.code):
        code = f"{ward.code.value:05d}"
        seen.add(code)
        unit = _upsert_unit(
            code=code,
            values={
                "name": ward.name,
                "name_en": ward.name,
                "kind": OrgUnit.Kind.COMMUNE,
                "division_type": ward.division_type.value,
                "parent": root,
                "source": source,
            },
            report=report,
            actor_label=actor_label,
        )
        desired["communes"].add(unit)
        group_code = _DIVISION_GROUP.get(ward.division_type.value)
        if group_code:
            desired[group_code].add(unit)
    communes = OrgUnit.objects.filter(parent=root, kind=OrgUnit.Kind.COMMUNE)
    for code, group in groups.items():
        _sync_group_members(group=group, desired=desired[code], scope=communes, actor_label=actor_label)
    stale = OrgUnit.objects.filter(parent=root, kind=OrgUnit.Kind.COMMUNE).exclude(code__in=seen)
    for unit in stale:
        report.messages.append(
            _("%(code)s %(name)s: không có trong %(source)s (vẫn giữ)")
            % {"code": unit.code, "name": unit.name, "source": source}
        )
    return report


@transaction.atomic
def agencies_load(*, path: Path, actor_label: str = "tiendo load-units") -> LoadReport:
    """Load a province's agencies and named groups from its YAML file (see agencies-51.yaml)."""
    document = YamlDocument.load(path)
    data = document.data
    if not isinstance(data, dict):
        document.fail([document.error((), _("tệp phải là một bảng (mapping)"))])
    province_code = str(data.get("province", ""))
    root = OrgUnit.objects.filter(code=province_code, kind=OrgUnit.Kind.PROVINCE).first()
    errors = _check_agencies(document, data)
    if root is None:
        message = _("tỉnh %(code)s chưa được nạp; chạy `tiendo load-units --province %(code)s` trước")
        errors.insert(0, document.error(("province",), message % {"code": province_code}))
    if errors:
        document.fail(errors)
    report = LoadReport()
    groups = {
        g["code"]: _ensure_group(
            code=g["code"], name=g["name"], name_en=g.get("name_en", ""), actor_label=actor_label
        )
        for g in data.get("groups") or []
    }
    groups.update({g.code: g for g in UnitGroup.objects.filter(code__in=COMMUNE_GROUPS)})
    desired: dict[str, set[OrgUnit]] = {code: set() for code in groups}
    for agency in data.get("agencies") or []:
        unit = _upsert_unit(
            code=agency["code"],
            values={
                "name": agency["name"],
                "name_en": agency.get("name_en", ""),
                "kind": OrgUnit.Kind.AGENCY,
                "division_type": "",
                "parent": root,
                "aliases": list(agency.get("aliases") or []),
                "source": path.name,
            },
            report=report,
            actor_label=actor_label,
        )
        for group_code in agency.get("groups") or []:
            desired[group_code].add(unit)
    agencies = OrgUnit.objects.filter(parent=root, kind=OrgUnit.Kind.AGENCY)
    for code, group in groups.items():
        _sync_group_members(group=group, desired=desired[code], scope=agencies, actor_label=actor_label)
    return report


def _check_agencies(document: YamlDocument, data: dict[str, Any]) -> list[str]:
    """Every agency has a code and a name, codes are unique, the groups named exist."""
    errors: list[str] = []
    agencies = data.get("agencies") or []
    seen_codes: set[str] = set()
    for index, agency in enumerate(agencies):
        for key in ("code", "name"):
            if not agency.get(key):
                errors.append(document.error(("agencies", index, key), _("bắt buộc")))
        if agency.get("code") in seen_codes:
            errors.append(document.error(("agencies", index, "code"), _("trùng mã")))
        seen_codes.add(agency.get("code"))
    group_codes = {g.get("code") for g in data.get("groups") or []} | set(COMMUNE_GROUPS)
    for index, agency in enumerate(agencies):
        for g_index, group in enumerate(agency.get("groups") or []):
            if group not in group_codes:
                message = _("nhóm không xác định: %(group)s") % {"group": group}
                errors.append(document.error(("agencies", index, "groups", g_index), message))
    return errors


def shipped_agencies_file(province_code: int) -> Path | None:
    path = DATA_DIR / f"agencies-{province_code}.yaml"
    return path if path.exists() else None


@transaction.atomic
def membership_set(*, actor: User, user: User, unit: OrgUnit, role: str) -> Membership:
    """Give `user` a role in `unit` (replacing the role they had there). Office admins only."""
    if not user_is_office_admin(actor):
        raise PermissionDeniedError(_("Chỉ Văn phòng CĐS được phân quyền"))
    if role not in Membership.Role.values:
        raise ApplicationError(_("Vai trò không hợp lệ: %(role)s") % {"role": role}, field="role")
    membership, created = Membership.objects.update_or_create(user=user, unit=unit, defaults={"role": role})
    audit_record(
        actor=actor,
        action="membership.create" if created else "membership.update",
        obj=membership,
        changes={"user": user.get_username(), "unit": unit.code, "role": role},
    )
    return membership
