"""Reads of plans, indicators and tasks. Plans are public documents: every user may read them."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from tiendo.core.exceptions import NotFoundError
from tiendo.core.types import Actor
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator, IndicatorGroup, Plan, Responsibility, Task

User = Actor

_RESPONSIBILITIES = Prefetch(
    "responsibilities",
    queryset=Responsibility.objects.select_related("unit", "group").order_by("role", "sort"),
)


def plan_list(*, user: User) -> QuerySet[Plan]:
    return Plan.objects.select_related("province").order_by("-year", "code")


def plan_get(*, user: User, plan_id: int | None = None, code: str | None = None) -> Plan:
    plans = plan_list(user=user)
    try:
        return plans.get(pk=plan_id) if plan_id is not None else plans.get(code=code)
    except (Plan.DoesNotExist, ValueError):
        raise NotFoundError(field="id") from None


def plan_current(*, user: User) -> Plan | None:
    """The plan of the latest year (the one the office is working on)."""
    return plan_list(user=user).first()


def indicator_list(*, user: User, plan: Plan) -> QuerySet[Indicator]:
    return (
        Indicator.objects.filter(plan=plan)
        .select_related("group", "plan__province", "own_element", "numerator", "denominator")
        .prefetch_related(_RESPONSIBILITIES)
        .order_by("group__sort", "sort")
    )


def indicator_get(*, user: User, indicator_id: int) -> Indicator:
    try:
        return (
            Indicator.objects.select_related(
                "group",
                "plan",
                "plan__province",
                "own_element",
                "numerator",
                "denominator",
                "baseline_indicator__plan",
                "baseline_indicator__group",
            )
            .prefetch_related(_RESPONSIBILITIES)
            .get(pk=indicator_id)
        )
    except Indicator.DoesNotExist:
        raise NotFoundError(field="id") from None


def group_list(*, user: User, plan: Plan) -> QuerySet[IndicatorGroup]:
    return IndicatorGroup.objects.filter(plan=plan).order_by("sort")


def _held_by(unit: OrgUnit) -> Q:
    """Named directly, or as a member of a named group within the plan's own province.

    Groups such as "communes" span every loaded province; a plan only reaches its own.
    """
    province_code = unit.path.strip("/").split("/")[0]
    return Q(responsibilities__unit=unit) | Q(
        responsibilities__group__members=unit, plan__province__code=province_code
    )


def indicators_for_unit(*, user: User, unit: OrgUnit, plan: Plan | None = None) -> QuerySet[Indicator]:
    """Indicators the unit leads or co-leads, directly or as a member of a named group."""
    indicators = Indicator.objects.filter(_held_by(unit))
    if plan is not None:
        indicators = indicators.filter(plan=plan)
    return (
        indicators.distinct()
        .select_related("group", "plan__province", "own_element", "numerator", "denominator")
        .prefetch_related(_RESPONSIBILITIES)
        .order_by("-plan__year", "group__sort", "sort")
    )


def tasks_for_unit(*, user: User, unit: OrgUnit, plan: Plan | None = None) -> QuerySet[Task]:
    tasks = Task.objects.filter(_held_by(unit))
    if plan is not None:
        tasks = tasks.filter(plan=plan)
    return (
        tasks.distinct()
        .select_related("plan")
        .prefetch_related("items", _RESPONSIBILITIES)
        .order_by("-plan__year", "sort")
    )


def task_list(*, user: User, plan: Plan) -> QuerySet[Task]:
    return Task.objects.filter(plan=plan).prefetch_related("items", _RESPONSIBILITIES).order_by("sort")
