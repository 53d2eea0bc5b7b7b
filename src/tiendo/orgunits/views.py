"""The unit list and the boundaries GeoJSON: orgunits alone. The unit page composes several
domains and lives in tiendo.web.views.units."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import cache_page

from tiendo.orgunits.boundaries import feature_collection
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import unit_list

KINDS = [OrgUnit.Kind.COMMUNE, OrgUnit.Kind.AGENCY, OrgUnit.Kind.PROVINCE]
SORTS = {"name": "name", "-name": "-name", "code": "code", "-code": "-code"}


def unit_index(request: HttpRequest) -> HttpResponse:
    parent = request.GET.get("parent") or None
    kind = request.GET.get("kind") or ("" if parent else OrgUnit.Kind.COMMUNE)
    if kind and kind not in OrgUnit.Kind.values:
        kind = OrgUnit.Kind.COMMUNE
    q = request.GET.get("q", "").strip()
    sort = SORTS.get(request.GET.get("sort", ""), "name")
    units = unit_list(user=request.user, kind=kind or None, q=q, parent_code=parent).order_by(sort)
    page = Paginator(units, 50).get_page(request.GET.get("page"))
    context = {
        "parent": parent,
        "page": page,
        "kind": kind,
        "kinds": KINDS,
        "q": q,
        "sort": sort,
        "kind_labels": dict(OrgUnit.Kind.choices),
    }
    template = "orgunits/_unit_rows.html" if request.headers.get("HX-Request") else "orgunits/unit_list.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])  # the fragment and the page must not share a cache entry
    return response


@cache_page(300)
def boundaries(request: HttpRequest, code: str) -> JsonResponse:
    """GeoJSON of a unit's children (public: administrative boundaries)."""
    unit = OrgUnit.objects.filter(code=code).first()
    if unit is None:
        raise Http404
    return JsonResponse(feature_collection(unit))
