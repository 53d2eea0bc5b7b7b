"""Who may do what with a submission. Selectors and services both ask here; nothing else decides.

| action                 | who                                                                  |
| ---------------------- | -------------------------------------------------------------------- |
| read                   | members of the unit or a unit above it; reviewers of the form        |
| edit, submit           | reporters of the unit (role reporter at the unit); the CĐS office    |
| approve, return        | reviewers of the unit or above; reviewers of the form's reviewer unit; the CĐS office |
| reopen an approved one | the CĐS office                                                       |
"""

from __future__ import annotations

from tiendo.core.types import Actor
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin
from tiendo.reporting.models import DataSet, Submission


def _roles_over(user: Actor, unit: OrgUnit) -> set[str]:
    """The roles the user holds at `unit` or at a unit above it."""
    if not user.is_authenticated:
        return set()
    ancestors = [
        f"/{'/'.join(unit.path.strip('/').split('/')[: i + 1])}/"
        for i in range(unit.path.strip("/").count("/") + 1)
    ]
    return set(Membership.objects.filter(user=user, unit__path__in=ancestors).values_list("role", flat=True))


def can_report(user: Actor, unit: OrgUnit) -> bool:
    if user_is_office_admin(user):
        return True
    if not user.is_authenticated:
        return False
    return Membership.objects.filter(user=user, unit=unit, role=Membership.Role.REPORTER).exists()


def can_review(user: Actor, dataset: DataSet, unit: OrgUnit) -> bool:
    if user_is_office_admin(user):
        return True
    if Membership.Role.REVIEWER in _roles_over(user, unit):
        return True
    if dataset.reviewer_unit_id is not None and user.is_authenticated:
        return Membership.objects.filter(
            user_id=user.pk, unit_id=dataset.reviewer_unit_id, role=Membership.Role.REVIEWER
        ).exists()
    return False


def can_read(user: Actor, dataset: DataSet, unit: OrgUnit) -> bool:
    return user_is_office_admin(user) or bool(_roles_over(user, unit)) or can_review(user, dataset, unit)


def can_reopen(user: Actor, submission: Submission) -> bool:
    return user_is_office_admin(user)
