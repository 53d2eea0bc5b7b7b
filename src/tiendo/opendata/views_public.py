"""The public catalogue (issue 12, items 2 and 3), no login needed: the list of datasets with search,
facets, sorting and paging; one dataset's page; its rows as CSV, XLSX and JSON; its Frictionless
data package. What a reader may see is the selectors' decision: a dataset they may not list is "not
found", and so are the rows of one they may list but not read (a shared dataset, for the public).

Downloads carry the version's sha256 as their ETag and its date as Last-Modified, and are always
revalidated (`no-cache`): a dataset withdrawn is gone at the next request, cache or not.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseBase,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats
from django.utils.cache import get_conditional_response
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.formatting import vnum
from tiendo.opendata import tables
from tiendo.opendata.datapackage import csv_digest, descriptor
from tiendo.opendata.models import Dataset, DatasetUsage, DatasetVersion, SystemKey
from tiendo.opendata.readers import request_reader
from tiendo.opendata.selectors import (
    RowsQuery,
    SearchQuery,
    dataset_can_read_rows,
    dataset_get,
    dataset_rows,
    dataset_rows_all,
    dataset_search,
    dataset_usage,
    dataset_version_get,
    dataset_versions,
)
from tiendo.opendata.services import usage_record
from tiendo.opendata.sharing import access_log_record

PAGE_SIZE = 20
PREVIEW_ROWS = 20
USAGE_MONTHS = 6
MAX_QUERY = 200
MAX_FILTER_VALUES = 20
SORT_CHOICES = [
    ("", gettext_lazy("Mới cập nhật")),
    ("title", gettext_lazy("Tên A–Z")),
    ("-title", gettext_lazy("Tên Z–A")),
    ("name", gettext_lazy("Mã bộ dữ liệu")),
]
# (query parameter, SearchQuery field, heading, dataset_search facet)
FACETS = [
    ("theme", "themes", gettext_lazy("Chủ đề")),
    ("publisher", "publishers", gettext_lazy("Cơ quan công bố")),
    ("licence", "licences", gettext_lazy("Giấy phép")),
    ("access", "access", gettext_lazy("Mức truy cập")),
    ("format", "formats", gettext_lazy("Định dạng")),
]
TYPE_LABELS = {
    "integer": gettext_lazy("số nguyên"),
    "number": gettext_lazy("số"),
    "date": gettext_lazy("ngày"),
    "string": gettext_lazy("văn bản"),
}
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json; charset=utf-8",
}
VERSION_NUMBER = re.compile(r"[0-9]{1,9}")


def public_view(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A page anyone may open: what the reader may not see is the 404 page, bad input a 400 that
    names the parameter and its rule."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except NotFoundError as exc:
            raise Http404(str(exc.message)) from None
        except ApplicationError as exc:
            return HttpResponseBadRequest(str(exc.message), content_type="text/plain; charset=utf-8")

    return wrapper


# ------------------------------------------------------------------------------------ catalogue


def _values(params: QueryDict, param: str) -> tuple[str, ...]:
    chosen = dict.fromkeys(v.strip()[:100] for v in params.getlist(param) if v.strip())
    return tuple(chosen)[:MAX_FILTER_VALUES]


def _search_query(params: QueryDict) -> SearchQuery:
    sort = params.get("sort", "")
    query = SearchQuery(
        q=params.get("q", "").strip()[:MAX_QUERY],
        sort=sort if sort in dict(SORT_CHOICES) else "",  # an unknown order: the default one
        limit=PAGE_SIZE,
    )
    for param, field, _heading in FACETS:
        setattr(query, field, _values(params, param))
    return query


def _page_number(raw: str | None) -> int:
    """Not a number: the first page (as Paginator.get_page); below 1: not found."""
    if raw is None or not VERSION_NUMBER.fullmatch(raw.strip()):
        return 1
    number = int(raw)
    if number < 1:
        raise NotFoundError()
    return number


def _query(
    params: QueryDict, *, drop: tuple[str, ...] = ("page",), toggle: tuple[str, str] | None = None
) -> str:
    query = params.copy()
    for name in drop:
        query.pop(name, None)
    if toggle is not None:
        name, value = toggle
        values = query.getlist(name)
        query.setlist(name, [v for v in values if v != value] if value in values else [*values, value])
    return query.urlencode()


def _facet_groups(
    request: HttpRequest, facets: dict[str, list[tuple[str, str, int]]]
) -> list[dict[str, Any]]:
    groups = []
    for param, _field, heading in FACETS:
        chosen = request.GET.getlist(param)
        items = [
            {
                "key": key,
                "label": label,
                "count": count,
                "selected": key in chosen,
                "query": _query(request.GET, toggle=(param, key)),
            }
            for key, label, count in facets.get(param, [])
        ]
        if items:
            groups.append({"param": param, "heading": heading, "items": items})
    return groups


def _active_filters(
    request: HttpRequest, facets: dict[str, list[tuple[str, str, int]]]
) -> list[dict[str, str]]:
    """The filters in force, each with the query that removes it (also those no result carries)."""
    active = []
    for param, _field, heading in FACETS:
        labels = {key: label for key, label, _count in facets.get(param, [])}
        for value in dict.fromkeys(request.GET.getlist(param)):
            if value.strip():
                active.append(
                    {
                        "heading": str(heading),
                        "label": labels.get(value, value),
                        "query": _query(request.GET, toggle=(param, value)),
                    }
                )
    return active


@public_view
def catalogue(request: HttpRequest) -> HttpResponse:
    query = _search_query(request.GET)
    number = _page_number(request.GET.get("page"))
    query.offset = (number - 1) * PAGE_SIZE
    result = dataset_search(user=request.user, query=query)
    paginator = Paginator(range(result.count), PAGE_SIZE)
    if number > paginator.num_pages:
        raise NotFoundError()
    page = paginator.page(number)
    context = {
        "q": query.q,
        "sort": query.sort,
        "sort_choices": SORT_CHOICES,
        "result": result,
        "datasets": result.datasets,
        "page": page,
        "page_range": list(paginator.get_elided_page_range(number, on_each_side=2, on_ends=1)),
        "ellipsis": Paginator.ELLIPSIS,
        "facet_groups": _facet_groups(request, result.facets),
        "active_filters": _active_filters(request, result.facets),
        "hidden_filters": [
            (param, value)
            for param, _f, _h in FACETS
            for value in request.GET.getlist(param)
            if value.strip()
        ],
        "query_no_page": _query(request.GET),
        "searching": bool(query.q) or any(getattr(query, f) for _p, f, _h in FACETS),
    }
    return render(request, "opendata/catalogue.html", context)


# ------------------------------------------------------------------------------------- dataset


def _number_text(value: Any) -> str:
    try:
        exponent = Decimal(str(value)).as_tuple().exponent
        places = max(0, -exponent) if isinstance(exponent, int) else 0
        return vnum(value, places)
    except (InvalidOperation, ValueError):
        return str(value)


def _cell(value: Any, kind: str) -> dict[str, Any]:
    """A value of the preview as a reader of the page's language writes it: 96,5 · 31/12/2026."""
    if value is None:
        return {"text": "", "number": kind in ("integer", "number")}
    if kind == "number" and isinstance(value, (int, float)):
        return {"text": _number_text(value), "number": True}
    if kind == "integer":
        return {"text": str(value), "number": True}  # codes and years: digits as written
    if kind == "date" and isinstance(value, str):
        try:
            return {
                "text": formats.date_format(date.fromisoformat(value), "SHORT_DATE_FORMAT"),
                "number": False,
            }
        except ValueError:
            pass
    return {"text": str(value), "number": False}


def _preview(request: HttpRequest, dataset: Dataset, version: DatasetVersion) -> list[list[dict[str, Any]]]:
    page = dataset_rows(
        user=request.user,
        dataset=dataset,
        query=RowsQuery(limit=PREVIEW_ROWS, include_total=False),
        version=version,
    )
    fields = version.schema.get("fields", [])
    return [
        [_cell(record.get(f["name"]), f.get("type", "string")) for f in fields] for record in page.records
    ]


def _schema_fields(version: DatasetVersion | None) -> list[dict[str, Any]]:
    if version is None:
        return []
    return [
        {**f, "type_label": TYPE_LABELS.get(f.get("type", ""), f.get("type", ""))}
        for f in version.schema.get("fields", [])
    ]


@public_view
def dataset_page(request: HttpRequest, name: str) -> HttpResponse:
    dataset = dataset_get(user=request.user, name=name)
    if dataset.name != name:  # opened by its id: the page lives at its name
        return redirect("opendata-dataset", name=dataset.name)
    versions = dataset_versions(user=request.user, dataset=dataset)
    current = versions[0] if versions else None
    readable = dataset_can_read_rows(request.user, dataset) and current is not None
    usage_record(dataset=dataset, kind=DatasetUsage.Kind.PAGE)
    context = {
        "dataset": dataset,
        "themes": list(dataset.themes.all()),
        "versions": versions,
        "current": current,
        "readable": readable,
        "fields": _schema_fields(current),
        "preview": _preview(request, dataset, current) if readable and current else [],
        "preview_size": PREVIEW_ROWS,
        "formats": [("csv", "CSV"), ("xlsx", "XLSX"), ("json", "JSON")],
        "api_url": reverse("opendata-catalogue") + f"api/3/action/package_show?id={dataset.name}",
        "dcat_base": reverse("opendata-catalogue") + f"dataset/{dataset.name}",
        "usage": dataset_usage(user=request.user, dataset=dataset, months=USAGE_MONTHS),
    }
    return render(request, "opendata/dataset.html", context)


# ------------------------------------------------------------------------------------ downloads


def _version_number(request: HttpRequest) -> int | None:
    raw = request.GET.get("version", "").strip()
    if not raw:
        return None
    if not VERSION_NUMBER.fullmatch(raw) or int(raw) < 1:
        raise ApplicationError(
            _("version: phải là số thứ tự của một phiên bản (1, 2, 3…); đã nhận “%(value)s”.")
            % {"value": raw[:20]},
            field="version",
        )
    return int(raw)


def _revalidate(response: HttpResponseBase, dataset: Dataset) -> HttpResponseBase:
    """Caches keep a copy but ask every time: the ETag makes the asking cheap (304)."""
    response["Cache-Control"] = "public, no-cache" if dataset.is_open else "private, no-cache"
    return response


def _validators(response: HttpResponseBase, version: DatasetVersion) -> None:
    response["ETag"] = f'"{version.sha256}"'
    response["Last-Modified"] = http_date(version.created_at.timestamp())


def _body(fmt: str, dataset: Dataset, version: DatasetVersion, rows: Any) -> HttpResponseBase:
    names = version.field_names
    if fmt == "csv":
        return StreamingHttpResponse(tables.csv_lines(names, rows), content_type=CONTENT_TYPES["csv"])
    if fmt == "xlsx":
        return HttpResponse(
            tables.xlsx_bytes(names, rows, title=dataset.name), content_type=CONTENT_TYPES["xlsx"]
        )
    return HttpResponse(tables.json_bytes(names, rows), content_type=CONTENT_TYPES["json"])


@public_view
def download(request: HttpRequest, name: str, fmt: str) -> HttpResponseBase:
    """Exactly the rows of the current version (`?version=N`: an older one). A system may download
    with its key (area "download"); a read of shared or restricted rows is logged."""
    reader = request_reader(request, area=SystemKey.Area.DOWNLOAD)
    if isinstance(reader, HttpResponse):
        return reader
    dataset = dataset_get(user=reader, name=name)
    version = dataset_version_get(user=reader, dataset=dataset, number=_version_number(request))
    not_modified = get_conditional_response(
        request, etag=f'"{version.sha256}"', last_modified=int(version.created_at.timestamp())
    )
    if not_modified is not None:
        _validators(not_modified, version)
        return _revalidate(not_modified, dataset)
    rows = dataset_rows_all(user=reader, dataset=dataset, version=version)
    response = _body(fmt, dataset, version, rows)
    response["Content-Disposition"] = f'attachment; filename="{dataset.name}-v{version.number}.{fmt}"'
    _validators(response, version)
    usage_record(dataset=dataset, kind=DatasetUsage.Kind.DOWNLOAD)
    access_log_record(
        dataset=dataset,
        action=f"download.{fmt}",
        rows=version.row_count,
        query={"version": version.number},
        key=getattr(reader, "system_key", None),
        user=reader,
    )
    return _revalidate(response, dataset)


def _csv_digest(request: HttpRequest, dataset: Dataset, version: DatasetVersion) -> tuple[str, int]:
    """The download's sha256 and size, computed once per version (a version never changes)."""
    key = f"opendata:csv-digest:{version.pk}:{version.sha256}"
    found = cache.get(key)
    if found is None:
        rows = dataset_rows_all(user=request.user, dataset=dataset, version=version)
        found = csv_digest(version.field_names, rows)
        cache.set(key, found, timeout=None)
    return (str(found[0]), int(found[1]))


@public_view
def datapackage(request: HttpRequest, name: str) -> HttpResponseBase:
    """The Frictionless Data Package of a version, its resource the CSV of that very version."""
    dataset = dataset_get(user=request.user, name=name)
    version = dataset_version_get(user=request.user, dataset=dataset, number=_version_number(request))
    csv_url = reverse("opendata-download", kwargs={"name": dataset.name, "fmt": "csv"})
    package = descriptor(
        dataset=dataset,
        version=version,
        data_path=request.build_absolute_uri(f"{csv_url}?version={version.number}"),
        digest=_csv_digest(request, dataset, version),
        homepage=request.build_absolute_uri(reverse("opendata-dataset", kwargs={"name": dataset.name})),
    )
    response = JsonResponse(package, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Type"] = "application/json; charset=utf-8"
    return _revalidate(response, dataset)
