"""The catalogue as DCAT (DCAT-AP 3.0): /opendata/catalog.jsonld|.ttl|.rdf and each dataset at
/opendata/dataset/<name>.jsonld|.ttl|.rdf. No login: a reader gets what they may list (dcat.py).

Cached by the client: an ETag and a Last-Modified from the newest change of what the reader may list;
a repeated request with If-None-Match or If-Modified-Since is answered 304 without building the graph.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import TypeVar

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import condition, require_safe

from tiendo.core.exceptions import NotFoundError
from tiendo.opendata import dcat
from tiendo.opendata.models import Dataset
from tiendo.opendata.selectors import dataset_published_get

T = TypeVar("T")


def _once(request: HttpRequest, key: str, compute: Callable[[], T]) -> T:
    """Computed once per request: the ETag and Last-Modified checks and the view share it."""
    memo: dict[str, object] = request.__dict__.setdefault("_dcat", {})
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[return-value]


def _site(request: HttpRequest) -> dcat.Site:
    return dcat.Site(absolute=request.build_absolute_uri)


def _cache_headers(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """On every answer, 304 included: what a reader may list depends on who they are, so a shared
    cache keeps one copy per session and revalidates each time."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: str, **kwargs: str) -> HttpResponse:
        response = view(request, *args, **kwargs)
        patch_vary_headers(response, ["Cookie"])
        if request.user.is_authenticated:
            patch_cache_control(response, private=True, max_age=0, must_revalidate=True)
        else:
            patch_cache_control(response, public=True, max_age=0, must_revalidate=True)
            response["Access-Control-Allow-Origin"] = "*"  # harvesters and browser tools read it too
        return response

    return wrapper


# ------------------------------------------------------------------------------------------ catalogue


def _catalog_stamp(request: HttpRequest) -> dcat.Stamp:
    return _once(request, "catalog", lambda: dcat.catalogue_stamp(request.user))


def _catalog_etag(request: HttpRequest, fmt: str) -> str:
    return _catalog_stamp(request).etag


def _catalog_modified(request: HttpRequest, fmt: str) -> datetime | None:
    return _catalog_stamp(request).last_modified


@require_safe
@_cache_headers
@condition(etag_func=_catalog_etag, last_modified_func=_catalog_modified)
def catalog(request: HttpRequest, fmt: str) -> HttpResponse:
    graph = dcat.catalogue_graph(user=request.user, site=_site(request))
    body, content_type = dcat.serialize(graph, fmt)
    return HttpResponse(body, content_type=content_type)


# ------------------------------------------------------------------------------------------ one dataset


def _dataset(request: HttpRequest, name: str) -> Dataset | None:
    def find() -> Dataset | None:
        try:
            return dataset_published_get(user=request.user, name=name)
        except NotFoundError:
            return None

    return _once(request, f"dataset:{name}", find)


def _dataset_etag(request: HttpRequest, name: str, fmt: str) -> str | None:
    dataset = _dataset(request, name)
    return dcat.dataset_stamp(request.user, dataset).etag if dataset is not None else None


def _dataset_modified(request: HttpRequest, name: str, fmt: str) -> datetime | None:
    dataset = _dataset(request, name)
    return dataset.modified_at if dataset is not None else None


@require_safe
@_cache_headers
@condition(etag_func=_dataset_etag, last_modified_func=_dataset_modified)
def dataset_rdf(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    dataset = _dataset(request, name)
    if dataset is None:  # not published, or not listed for this reader
        raise Http404(_("Không tìm thấy bộ dữ liệu."))
    graph = dcat.dataset_graph(user=request.user, dataset=dataset, site=_site(request))
    body, content_type = dcat.serialize(graph, fmt)
    return HttpResponse(body, content_type=content_type)
