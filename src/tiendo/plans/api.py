"""/api/v1/plans: the plans themselves. A plan's indicators with their values and verdicts read
analytics, so those operations live in tiendo.analytics.api (same paths, tags and operation ids)."""

from django.http import HttpRequest
from ninja import Router
from ninja.pagination import paginate

from tiendo.core.api_paging import Pages
from tiendo.plans.schemas import PlanOut
from tiendo.plans.selectors import plan_get, plan_list

router = Router(tags=["plans"])


@router.get("/plans", response=list[PlanOut], summary="List plans")
@paginate(Pages)
def plans_list(request: HttpRequest):
    return plan_list(user=request.user)


@router.get("/plans/{plan_id}", response=PlanOut, summary="One plan")
def plans_get(request: HttpRequest, plan_id: int):
    return plan_get(user=request.user, plan_id=plan_id)
