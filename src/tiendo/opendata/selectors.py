"""Reads of the catalogue, given who reads. What a reader may see:

| dataset | listed (metadata) | rows |
| --- | --- | --- |
| published, public | everyone | everyone |
| published, shared | everyone | the publisher, the office (registered systems: their grants) |
| published, restricted | the publisher, the office, the named units | the same |
| draft or withdrawn | the publisher, the office | the same |

"The publisher" is anyone with a role at the publishing unit or a unit above it; managing (describe,
upload, publish) needs the admin or reporter role there. What a reader may not list is "not found".
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.fields.json import KeyTransform

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.i18n import localized
from tiendo.core.text import fold_for_search
from tiendo.core.types import Actor
from tiendo.opendata.models import Dataset, DatasetVersion, DatastoreRow
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.orgunits.selectors import user_is_office_admin

MANAGER_ROLES = (Membership.Role.ADMIN, Membership.Role.REPORTER)
FORMATS = ("CSV", "XLSX", "JSON")  # every dataset with a version is offered in these
SORTS = {
    "title": ("title", "name"),
    "-title": ("-title", "name"),
    "modified": ("modified_at", "name"),
    "-modified": ("-modified_at", "name"),
    "name": ("name",),
    "-name": ("-name",),
    "created": ("created_at", "name"),
    "-created": ("-created_at", "name"),
}
MAX_ROWS_PAGE = 32000  # CKAN's datastore_search maximum


def _paths(user: Actor, roles: tuple[str, ...] | None = None) -> list[str]:
    if not user.is_authenticated:
        return []
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return list(memberships.values_list("unit__path", flat=True))


def _under(paths: list[str], field_name: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field_name}__startswith": path})
    return condition


def publisher_can_manage(user: Actor, publisher: OrgUnit) -> bool:
    return user_is_office_admin(user) or any(
        publisher.path.startswith(p) for p in _paths(user, MANAGER_ROLES)
    )


def dataset_can_manage(user: Actor, dataset: Dataset) -> bool:
    return publisher_can_manage(user, dataset.publisher)


def _insider(user: Actor) -> Q:
    """Datasets whose publisher the user belongs to (or is above)."""
    return _under(_paths(user), "publisher__path")


def _named(user: Actor) -> Q:
    """Restricted datasets naming one of the user's units (or a unit above one of them)."""
    paths = _paths(user)
    if not paths:
        return Q(pk__in=[])
    named_ids = {
        pk
        for pk, unit_path in Dataset.allowed_units.through.objects.values_list("dataset_id", "orgunit__path")
        if any(p.startswith(unit_path) for p in paths)
    }
    return Q(pk__in=named_ids)


def datasets_listed(user: Actor) -> QuerySet[Dataset]:
    """Every dataset the user may see in the catalogue."""
    if user_is_office_admin(user):
        return Dataset.objects.all()
    published = Q(state=Dataset.State.PUBLISHED)
    condition = published & Q(access__in=[Dataset.Access.PUBLIC, Dataset.Access.SHARED])
    if user.is_authenticated:
        condition |= published & Q(access=Dataset.Access.RESTRICTED) & _named(user)
        condition |= _insider(user)
    return Dataset.objects.filter(condition)


def dataset_can_read_rows(user: Actor, dataset: Dataset) -> bool:
    if dataset.is_open:
        return True
    if user_is_office_admin(user):
        return True
    paths = _paths(user)
    if any(dataset.publisher.path.startswith(p) for p in paths):
        return True
    if dataset.state == Dataset.State.PUBLISHED and dataset.access == Dataset.Access.RESTRICTED:
        return datasets_listed(user).filter(pk=dataset.pk).exists()
    return False


def dataset_get(*, user: Actor, name: str) -> Dataset:
    """By its name or its id (uuid), as CKAN's package_show; NotFoundError if not listed for the user."""
    listed = datasets_listed(user).select_related("publisher", "licence", "spatial")
    found = listed.filter(name=name).first()
    if found is None:
        try:
            found = listed.filter(uid=uuid.UUID(name)).first()
        except ValueError:  # neither a name nor an id
            found = None
    if found is None:
        raise NotFoundError()
    return found


def dataset_current_version(dataset: Dataset) -> DatasetVersion | None:
    return dataset.versions.order_by("-number").first()


# ------------------------------------------------------------------------------------------ search


@dataclass
class SearchQuery:
    q: str = ""
    themes: tuple[str, ...] = ()
    publishers: tuple[str, ...] = ()  # unit codes
    licences: tuple[str, ...] = ()
    access: tuple[str, ...] = ()
    formats: tuple[str, ...] = ()
    sort: str = ""  # a key of SORTS; "" → newest first
    offset: int = 0
    limit: int = 20


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)  # name → (key, label, n)


def _matching(user: Actor, query: SearchQuery) -> QuerySet[Dataset]:
    found = datasets_listed(user)
    for word in fold_for_search(query.q).split():
        found = found.filter(search_text__contains=word)
    if query.themes:
        found = found.filter(themes__code__in=query.themes)
    if query.publishers:
        found = found.filter(publisher__code__in=query.publishers)
    if query.licences:
        found = found.filter(licence_id__in=query.licences)
    if query.access:
        found = found.filter(access__in=query.access)
    if query.formats:
        if not set(f.upper() for f in query.formats) <= set(FORMATS):
            return found.none()
        found = found.filter(versions__isnull=False)
    return found.distinct()


def dataset_search(*, user: Actor, query: SearchQuery) -> SearchResult:
    if query.sort and query.sort not in SORTS:
        raise ApplicationError(f"sort: {query.sort!r} — " + ", ".join(SORTS), field="sort")
    found = _matching(user, query)
    ids = list(found.values_list("pk", flat=True))
    order = SORTS[query.sort or "-modified"]
    page = list(
        Dataset.objects.filter(pk__in=ids)
        .select_related("publisher", "licence")
        .prefetch_related("themes")
        .order_by(*order)[query.offset : query.offset + query.limit]
    )
    return SearchResult(count=len(ids), datasets=page, facets=_facets(ids))


def _facets(ids: list[int]) -> dict[str, list[tuple[str, str, int]]]:
    scoped = Dataset.objects.filter(pk__in=ids)
    themes = (
        scoped.values(key=F("themes__code"), label=F("themes__name"), label_en=F("themes__name_en"))
        .exclude(themes__code=None)
        .annotate(n=Count("pk", distinct=True))
    )
    publishers = scoped.values(
        key=F("publisher__code"), label=F("publisher__name"), label_en=F("publisher__name_en")
    ).annotate(n=Count("pk"))
    licences = scoped.values(
        key=F("licence_id"), label=F("licence__title"), label_en=F("licence__title_en")
    ).annotate(n=Count("pk"))
    access = scoped.values(key=F("access")).annotate(n=Count("pk"))
    with_versions = scoped.filter(versions__isnull=False).distinct().count()

    def rows(values: Any) -> list[tuple[str, str, int]]:
        out = [
            (v["key"], localized(v.get("label") or v["key"], v.get("label_en") or ""), v["n"]) for v in values
        ]
        return sorted(out, key=lambda item: (-item[2], item[1]))

    labels = dict(Dataset.Access.choices)
    return {
        "theme": rows(themes),
        "publisher": rows(publishers),
        "licence": rows(licences),
        "access": sorted(((a["key"], str(labels[a["key"]]), a["n"]) for a in access), key=lambda i: -i[2]),
        "format": [(f, f, with_versions) for f in FORMATS] if with_versions else [],
    }


# ------------------------------------------------------------------------------------------ rows


@dataclass
class RowsQuery:
    filters: dict[str, Any] = field(default_factory=dict)  # column → value or list of values
    q: str = ""
    fields: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    offset: int = 0
    limit: int = 100
    include_total: bool = True


@dataclass
class RowsPage:
    version: DatasetVersion
    fields: list[dict[str, Any]]
    records: list[dict[str, Any]]
    total: int | None


def dataset_rows(
    *, user: Actor, dataset: Dataset, query: RowsQuery, version: DatasetVersion | None = None
) -> RowsPage:
    """A page of a version's rows (the current one by default), filtered and sorted by columns.
    Column names and filters are checked against the schema (ApplicationError naming the field)."""
    if not dataset_can_read_rows(user, dataset):
        raise NotFoundError()
    version = version or dataset_current_version(dataset)
    if version is None:
        raise NotFoundError()
    names = version.field_names
    for column in [*query.filters, *query.fields, *(c for c, _d in query.sort)]:
        if column not in names and column != "_id":
            raise ApplicationError(f"{column!r}: " + ", ".join(names), field="fields", code="unknown_field")
    if not 0 <= query.limit <= MAX_ROWS_PAGE or query.offset < 0:
        raise ApplicationError(f"limit 0–{MAX_ROWS_PAGE}, offset ≥ 0", field="limit")
    rows = _filtered(DatastoreRow.objects.filter(version=version), query)
    ordering: list[Any] = []
    for column, descending in query.sort:
        expression = F("row") if column == "_id" else KeyTransform(column, "data")
        ordering.append(expression.desc() if descending else expression.asc())
    rows = rows.order_by(*ordering, "row")
    selected = list(query.fields) if query.fields else names
    records = [
        {"_id": number, **{name: data.get(name) for name in selected if name != "_id"}}
        for number, data in rows.values_list("row", "data")[query.offset : query.offset + query.limit]
    ]
    total = rows.count() if query.include_total else None
    fields = [{"id": "_id", "type": "int"}] + [f for f in version.schema["fields"] if f["name"] in selected]
    return RowsPage(version=version, fields=fields, records=records, total=total)


def _filtered(rows: QuerySet[DatastoreRow], query: RowsQuery) -> QuerySet[DatastoreRow]:
    from django.db import connection

    for column, wanted in query.filters.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if column == "_id":
            rows = rows.filter(row__in=values)
        elif connection.vendor == "postgresql":  # jsonb @> : the GIN index answers it
            condition = Q(pk__in=[])
            for value in values:
                condition |= Q(data__contains={column: value})
            rows = rows.filter(condition)
        else:
            rows = rows.annotate(**{f"_f_{len(rows.query.annotations)}": KeyTransform(column, "data")})
            key = list(rows.query.annotations)[-1]
            rows = rows.filter(**{f"{key}__in": values})
    for word in fold_for_search(query.q).split():
        rows = rows.filter(text__contains=word)
    return rows
