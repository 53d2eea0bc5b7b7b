from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router
from ninja.pagination import paginate

from tiendo.core.api_access import raises
from tiendo.core.api_paging import Pages
from tiendo.core.exceptions import ApplicationError
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.schemas import OrgUnitListIn, OrgUnitOut
from tiendo.orgunits.selectors import unit_get, unit_list

router = Router(tags=["orgunits"])


@router.get(
    "/orgunits",
    response=list[OrgUnitOut],
    summary="List units (province, communes, agencies)",
    openapi_extra=raises(400),  # ?kind= not a kind of unit
)
@paginate(Pages)
def orgunits_list(request: HttpRequest, filters: Query[OrgUnitListIn]):
    if filters.kind and filters.kind not in OrgUnit.Kind.values:
        kinds = ", ".join(OrgUnit.Kind.values)
        raise ApplicationError(_("kind phải là một trong %(kinds)s") % {"kinds": kinds}, field="kind")
    return unit_list(user=request.user, kind=filters.kind, q=filters.q, parent_code=filters.parent)


@router.get("/orgunits/{code}", response=OrgUnitOut, summary="One unit by its code")
def orgunits_get(request: HttpRequest, code: str):
    return unit_get(user=request.user, code=code)
