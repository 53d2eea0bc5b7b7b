"""Units withheld from the public face (issue 12, item 1): "nothing below a unit the data's owner
marked as private". Who owns a unit's data: the unit's admins (a role held at a unit reaches every
unit below it) and the CĐS office. They mark a unit — for one indicator or for all — with a reason;
the public progress pages, their downloads and the datasets built from tiendo's data then leave the
unit and every unit below it out (the built datasets at their next build). Marking and unmarking are
audited in the same transaction; a mark can be taken back (the undo).
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.services import audit_record
from tiendo.core.types import Actor
from tiendo.opendata.models import WithheldUnit
from tiendo.opendata.selectors import member_paths, under_paths
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.plans.models import Indicator

MAX_REASON = 1000


def _admin_paths(user: Actor) -> list[str] | None:
    """Paths of the units the user administers; None: every unit (the office)."""
    if user_is_office_admin(user):
        return None
    return member_paths(user, (Membership.Role.ADMIN,))


def withheld_paths(*, indicator: Indicator) -> list[str]:
    """Tree paths of the units withheld from the public for this indicator (or for every one)."""
    marks = WithheldUnit.objects.filter(Q(indicator=indicator) | Q(indicator=None))
    return list(marks.values_list("unit__path", flat=True))


def withheld_can_mark(user: Actor, unit: OrgUnit) -> bool:
    paths = _admin_paths(user)
    return paths is None or any(unit.path.startswith(p) for p in paths)


def withheld_list(*, user: Actor) -> QuerySet[WithheldUnit]:
    """The marks the user may see and take back: those on units they administer."""
    marks = WithheldUnit.objects.select_related("unit", "indicator__group", "indicator__plan", "marked_by")
    paths = _admin_paths(user)
    return marks if paths is None else marks.filter(under_paths(paths, "unit__path"))


def withheld_units_markable(*, user: Actor) -> QuerySet[OrgUnit]:
    """The units the user may mark (for the form's list)."""
    units = OrgUnit.objects.order_by("path")
    paths = _admin_paths(user)
    return units if paths is None else units.filter(under_paths(paths, "path"))


@transaction.atomic
def withheld_mark(*, actor: Actor, unit: OrgUnit, indicator: Indicator | None, reason: str) -> WithheldUnit:
    if not withheld_can_mark(actor, unit):
        raise PermissionDeniedError(_("Bạn không quản lý số liệu của đơn vị này."))
    reason = reason.strip()
    if not reason:
        raise ApplicationError(
            _("Lý do: bắt buộc — ghi vì sao số liệu của đơn vị không được công khai."),
            field="reason",
        )
    if len(reason) > MAX_REASON:
        raise ApplicationError(
            _("Lý do: dài tối đa %(n)s ký tự.") % {"n": MAX_REASON},
            field="reason",
        )
    if indicator is not None and not unit.path.startswith(indicator.plan.province.path):
        raise ApplicationError(
            _("Chỉ tiêu: thuộc kế hoạch của tỉnh khác với đơn vị đã chọn."), field="indicator"
        )
    try:
        with transaction.atomic():
            mark = WithheldUnit.objects.create(
                unit=unit,
                indicator=indicator,
                reason=reason,
                marked_by=actor if actor.is_authenticated else None,
            )
    except IntegrityError:
        raise ApplicationError(
            _("Đơn vị: số liệu của đơn vị này đã được đánh dấu không công khai cho chỉ tiêu này."),
            field="unit",
        ) from None
    audit_record(
        actor=actor,
        action="opendata.withheld_mark",
        obj=mark,
        changes={"unit": unit.code, "indicator": indicator.label if indicator else None},
        reason=reason,
    )
    return mark


@transaction.atomic
def withheld_unmark(*, actor: Actor, mark_id: int) -> None:
    """Take a mark back: the unit's figures are public again (a 404 for a mark the actor cannot see)."""
    mark = withheld_list(user=actor).filter(pk=mark_id).first()
    if mark is None:
        raise NotFoundError(field="mark")
    audit_record(
        actor=actor,
        action="opendata.withheld_unmark",
        obj=mark,
        changes={"unit": mark.unit.code, "indicator": mark.indicator.label if mark.indicator else None},
    )
    mark.delete()
