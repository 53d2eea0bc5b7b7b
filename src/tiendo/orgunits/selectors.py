"""Reads of the unit tree. Every function takes the acting user.

Public: the tree itself (names and codes of units are public information). Private to a unit and
the units above it: its members and its data values (see `unit_can_view_private`).
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from tiendo.core.exceptions import NotFoundError
from tiendo.core.text import fold_for_search
from tiendo.core.types import Actor
from tiendo.orgunits.models import Membership, OrgUnit, UnitGroup

User = Actor


def user_is_office_admin(user: User) -> bool:
    """The CĐS office: Django superusers and holders of the admin role at a province."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False):
        return True
    cached = getattr(user, "_tiendo_is_office_admin", None)  # asked many times per request
    if cached is None:
        cached = Membership.objects.filter(
            user=user, role=Membership.Role.ADMIN, unit__kind=OrgUnit.Kind.PROVINCE
        ).exists()
        user._tiendo_is_office_admin = cached  # type: ignore[attr-defined]
    return cached


SECOND_FACTOR_ROLES = (Membership.Role.ADMIN, Membership.Role.REVIEWER)


def user_requires_second_factor(user: User) -> bool:
    """Whose role asks for a second factor (ASVS L2): office admins (and Django staff and superusers,
    who reach the admin site) and reviewers, who approve what counts; reporters and viewers may
    enrol but need not."""
    if not user.is_authenticated:
        return False
    if getattr(user, "is_superuser", False) or getattr(user, "is_staff", False):
        return True
    return Membership.objects.filter(user=user, role__in=SECOND_FACTOR_ROLES).exists()


def user_scope_paths(user: User) -> list[str] | None:
    """Tree paths under which the user may read private data; None means everywhere."""
    if user_is_office_admin(user):
        return None
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user).values_list("unit__path", flat=True))


def scope_filter(user: User, *, field: str = "path") -> Q:
    """A Q restricting `field` (a unit path, e.g. "unit__path") to the user's private scope."""
    paths = user_scope_paths(user)
    if paths is None:
        return Q()
    if not paths:
        return Q(pk__in=[])
    condition = Q()
    for path in paths:
        condition |= Q(**{f"{field}__startswith": path})
    return condition


def unit_can_view_private(user: User, unit: OrgUnit) -> bool:
    paths = user_scope_paths(user)
    return paths is None or any(unit.path.startswith(p) for p in paths)


def unit_list(
    *, user: User, kind: str | None = None, q: str = "", parent_code: str | None = None
) -> QuerySet[OrgUnit]:
    units = OrgUnit.objects.select_related("parent")
    if kind:
        units = units.filter(kind=kind)
    if parent_code:
        units = units.filter(parent__code=parent_code)
    for word in fold_for_search(q).split():
        units = units.filter(search_text__contains=word)
    return units.order_by("kind", "name")


def unit_get(*, user: User, code: str) -> OrgUnit:
    try:
        return OrgUnit.objects.select_related("parent").get(code=code)
    except OrgUnit.DoesNotExist:
        raise NotFoundError(field="code") from None


def unit_memberships(*, user: User, unit: OrgUnit) -> QuerySet[Membership]:
    if not unit_can_view_private(user, unit):
        raise NotFoundError()
    return Membership.objects.filter(unit=unit).select_related("user").order_by("role", "user__username")


def user_memberships(*, user: User) -> QuerySet[Membership]:
    if not user.is_authenticated:
        return Membership.objects.none()
    return Membership.objects.filter(user=user).select_related("unit")


def resolve_unit_references(
    refs: list[str], *, units: dict[str, OrgUnit], groups: dict[str, UnitGroup]
) -> list[OrgUnit | UnitGroup | None]:
    """Files name units by code ("SKHCN", "21211") or groups ("group:communes"); None when unknown."""
    resolved: list[OrgUnit | UnitGroup | None] = []
    for ref in refs:
        if ref.startswith("group:"):
            resolved.append(groups.get(ref.removeprefix("group:")))
        else:
            resolved.append(units.get(ref))
    return resolved


def units_named_by(holder: OrgUnit | UnitGroup, *, within: OrgUnit) -> list[OrgUnit]:
    """The units a reference stands for inside a province: the unit itself, or the group's members."""
    if isinstance(holder, OrgUnit):
        return [holder] if holder.path.startswith(within.path) else []
    return list(holder.members.filter(path__startswith=within.path))
