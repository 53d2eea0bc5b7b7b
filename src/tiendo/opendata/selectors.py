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
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.db.models.fields.json import KeyTransform

from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.i18n import localized
from tiendo.core.text import fold_for_search
from tiendo.core.types import Actor
from tiendo.opendata.models import (
    Dataset,
    DatasetVersion,
    DatastoreRow,
    Licence,
    Theme,
)
from tiendo.opendata.words import search_words, word_pattern
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
    """Every dataset the user may see in the catalogue (a system's key: sharing_selectors)."""
    key = getattr(user, "system_key", None)
    if key is not None:
        from tiendo.opendata.sharing_selectors import datasets_listed_for_key

        return datasets_listed_for_key(key)
    if user_is_office_admin(user):
        return Dataset.objects.all()
    published = Q(state=Dataset.State.PUBLISHED)
    condition = published & Q(access__in=[Dataset.Access.PUBLIC, Dataset.Access.SHARED])
    if user.is_authenticated:
        condition |= published & Q(access=Dataset.Access.RESTRICTED) & _named(user)
        condition |= _insider(user)
    return Dataset.objects.filter(condition)


def dataset_can_read_rows(user: Actor, dataset: Dataset) -> bool:
    key = getattr(user, "system_key", None)
    if key is not None:  # a system reads what its key's areas and its grants allow, open data too
        from tiendo.opendata.sharing_selectors import key_can_read_rows

        return key_can_read_rows(key, dataset, area=getattr(user, "area", "datastore"))
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
    for word in search_words(query.q):
        found = found.filter(search_text__contains=word_pattern(word))
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


def dataset_usage(*, user: Actor, dataset: Dataset, months: int = 12) -> list[dict[str, Any]]:
    """The last months' page views, downloads and API calls of a dataset the user may list, newest
    first: [{"month": date, "page": n, "download": n, "api": n}]."""
    from tiendo.opendata.models import DatasetUsage

    if not datasets_listed(user).filter(pk=dataset.pk).exists():
        raise NotFoundError()
    by_month: dict[Any, dict[str, Any]] = {}
    for row in DatasetUsage.objects.filter(dataset=dataset).order_by("-month")[: months * 3]:
        entry = by_month.setdefault(row.month, {"month": row.month, "page": 0, "download": 0, "api": 0})
        entry[row.kind] = row.count
    return sorted(by_month.values(), key=lambda e: e["month"], reverse=True)[:months]


# ------------------------------------------------------------------------ public pages and downloads


def dataset_versions(*, user: Actor, dataset: Dataset) -> list[DatasetVersion]:
    """The versions of a dataset the user may list (`dataset_get`), newest first: their dates, row
    counts, notes and provenance are metadata, shown to whoever may list the dataset."""
    if not datasets_listed(user).filter(pk=dataset.pk).exists():
        raise NotFoundError()
    return list(dataset.versions.order_by("-number"))


def dataset_version_get(*, user: Actor, dataset: Dataset, number: int | None = None) -> DatasetVersion:
    """Version `number` (the current one when None) of a dataset whose rows the user may read;
    NotFoundError when the user may not read the rows or there is no such version."""
    if not dataset_can_read_rows(user, dataset):
        raise NotFoundError()
    if number is None:
        found = dataset_current_version(dataset)
    else:
        found = dataset.versions.filter(number=number).first()
    if found is None:
        raise NotFoundError()
    return found


def dataset_rows_all(*, user: Actor, dataset: Dataset, version: DatasetVersion) -> Iterator[dict[str, Any]]:
    """Every row of a version, in order, read from the database in chunks as it is consumed (what
    the downloads stream). The check runs now, not when the rows are first read."""
    if version.dataset_id != dataset.pk or not dataset_can_read_rows(user, dataset):
        raise NotFoundError()
    rows = DatastoreRow.objects.filter(version=version).order_by("row").values_list("data", flat=True)
    return rows.iterator(chunk_size=2000)


# ------------------------------------------------------------------------------------------ managing
# (the data stewards' pages, opendata-manage; the build command)

MANAGE_SORTS = {
    "title": ("title", "name"),
    "-modified": ("-modified_at", "name"),
    "state": ("state", "title"),
    "publisher": ("publisher__name", "title"),
}


def units_managed(user: Actor) -> QuerySet[OrgUnit]:
    """The units whose datasets the user may manage: every unit for the office; else the units where
    the user is an admin or a reporter, and the units under them."""
    if user_is_office_admin(user):
        return OrgUnit.objects.order_by("kind", "name")
    return OrgUnit.objects.filter(_under(_paths(user, MANAGER_ROLES), "path")).order_by("kind", "name")


def datasets_managed(*, user: Actor, q: str = "", state: str = "", sort: str = "") -> QuerySet[Dataset]:
    """The datasets the user manages, with `version_count` and `last_version_at`, searched without
    diacritics; `sort` a key of MANAGE_SORTS (unknown → newest change first)."""
    from django.db.models import Max

    if user_is_office_admin(user):
        found = Dataset.objects.all()
    else:
        found = Dataset.objects.filter(_under(_paths(user, MANAGER_ROLES), "publisher__path"))
    for word in search_words(q):
        found = found.filter(search_text__contains=word_pattern(word))
    if state in Dataset.State.values:
        found = found.filter(state=state)
    return (
        found.select_related("publisher", "licence")
        .annotate(version_count=Count("versions"), last_version_at=Max("versions__created_at"))
        .order_by(*MANAGE_SORTS.get(sort, MANAGE_SORTS["-modified"]))
    )


def dataset_get_managed(*, user: Actor, name: str) -> Dataset:
    """A dataset the user manages, by its name; NotFoundError for any other (it may exist: not said)."""
    found = datasets_managed(user=user).select_related("spatial", "source_indicator", "source_form")
    dataset = found.filter(name=name).first()
    if dataset is None:
        raise NotFoundError()
    return dataset


def datasets_built(*, name: str = "", plan_code: str = "") -> QuerySet[Dataset]:
    """The datasets tiendo builds from its own data (an indicator's or a form's values), for the
    build command: all, one by name, or those of one plan's indicators."""
    found = Dataset.objects.filter(
        Q(source=Dataset.Source.INDICATOR, source_indicator__isnull=False)
        | Q(source=Dataset.Source.FORM, source_form__isnull=False)
    )
    if name:
        found = found.filter(name=name)
    if plan_code:
        found = found.filter(source_indicator__plan__code=plan_code)
    return found.select_related("source_indicator__plan__province", "source_form").order_by("name")


# ------------------------------------------------------------------------------------------ DCAT


def datasets_published(user: Actor) -> QuerySet[Dataset]:
    """The published datasets the user may list (drafts and withdrawn ones never), with what a
    catalogue entry shows: publisher, licence, area, themes and versions (newest first, no schema)."""
    return (
        datasets_listed(user)
        .filter(state=Dataset.State.PUBLISHED)
        .select_related("publisher", "licence", "spatial")
        .prefetch_related(
            "themes",
            Prefetch("versions", queryset=DatasetVersion.objects.defer("schema").order_by("-number")),
        )
        .order_by("name")
    )


def dataset_published_get(*, user: Actor, name: str) -> Dataset:
    """One of `datasets_published`, by its name or its id; NotFoundError otherwise (a draft too)."""
    published = datasets_published(user)
    found = published.filter(name=name).first()
    if found is None:
        try:
            found = published.filter(uid=uuid.UUID(name)).first()
        except ValueError:
            found = None
    if found is None:
        raise NotFoundError()
    return found


def datasets_rows_readable(user: Actor, datasets: list[Dataset]) -> set[int]:
    """Which of these datasets (from `datasets_published(user)`) the user may read the rows of, in
    one query at most: `dataset_can_read_rows` for a whole listing."""
    if user_is_office_admin(user):
        return {dataset.pk for dataset in datasets}
    paths = _paths(user) if any(d.access == Dataset.Access.SHARED for d in datasets) else []
    # listed and published: public and restricted ones are readable (restricted ones are listed only to
    # their named units and publisher); shared ones only by their publisher
    return {
        dataset.pk
        for dataset in datasets
        if dataset.access != Dataset.Access.SHARED or any(dataset.publisher.path.startswith(p) for p in paths)
    }


# ------------------------------------------------------------------------------------ the CKAN API
# (ckan.py: package_search's fq, organization_list, group_list, tag_list, license_list)


@dataclass
class SearchNarrowing:
    """What CKAN's fq asks beyond a SearchQuery: Solr ANDs its terms, so one keyword and one theme of
    each set; the states to include (published only, as CKAN's "active"); a modification date."""

    tag_sets: tuple[tuple[str, ...], ...] = ()  # keywords, exactly as written: at least one of each set
    theme_sets: tuple[tuple[str, ...], ...] = ()  # theme codes: at least one of each set
    states: tuple[str, ...] = (Dataset.State.PUBLISHED,)
    modified_since: Any = None  # an aware datetime


def dataset_search_narrowed(*, user: Actor, query: SearchQuery, narrowing: SearchNarrowing) -> SearchResult:
    """`dataset_search` narrowed by `narrowing`, on the same listing; the page carries its publisher,
    licence, area and themes, and the facets also count keywords ("tag")."""
    if query.sort and query.sort not in SORTS:
        raise ApplicationError(f"sort: {query.sort!r} — " + ", ".join(SORTS), field="sort")
    found = _matching(user, query).filter(state__in=narrowing.states)
    for codes in narrowing.theme_sets:
        found = found.filter(pk__in=Dataset.objects.filter(themes__code__in=codes).values("pk"))
    if narrowing.modified_since is not None:
        found = found.filter(modified_at__gte=narrowing.modified_since)
    keywords = dict(found.values_list("pk", "keywords"))
    for tags in narrowing.tag_sets:
        keywords = {pk: words for pk, words in keywords.items() if set(tags) & set(words)}
    ids = list(keywords)
    page = list(
        Dataset.objects.filter(pk__in=ids)
        .select_related("publisher", "licence", "spatial")
        .prefetch_related("themes")
        .order_by(*SORTS[query.sort or "-modified"])[query.offset : query.offset + query.limit]
    )
    facets = (
        _facets(ids) if ids else {name: [] for name in ("theme", "publisher", "licence", "access", "format")}
    )
    counted: dict[str, int] = {}
    for words in keywords.values():
        for word in set(words):
            counted[word] = counted.get(word, 0) + 1
    facets["tag"] = sorted(((w, w, n) for w, n in counted.items()), key=lambda item: (-item[2], item[1]))
    return SearchResult(count=len(ids), datasets=page, facets=facets)


def datasets_current_versions(datasets: list[Dataset]) -> dict[int, DatasetVersion]:
    """The current version of each dataset, by dataset pk, in one query (a page of search results)."""
    from django.db.models import OuterRef, Subquery

    latest = DatasetVersion.objects.filter(dataset=OuterRef("dataset")).order_by("-number").values("pk")[:1]
    versions = DatasetVersion.objects.filter(dataset__in=[d.pk for d in datasets], pk=Subquery(latest))
    return {version.dataset_id: version for version in versions}


def publishers_listed(user: Actor) -> list[tuple[OrgUnit, int]]:
    """The units publishing at least one published dataset the user may list, with how many."""
    counts = dict(
        datasets_listed(user)
        .filter(state=Dataset.State.PUBLISHED)
        .values_list("publisher")
        .annotate(n=Count("pk", distinct=True))
        .values_list("publisher", "n")
    )
    units = OrgUnit.objects.filter(pk__in=list(counts)).order_by("code")
    return [(unit, counts[unit.pk]) for unit in units]


def themes_listed(user: Actor) -> list[tuple[Theme, int]]:
    """Every theme, with how many published datasets the user may list carry it."""
    counts = dict(
        datasets_listed(user)
        .filter(state=Dataset.State.PUBLISHED, themes__isnull=False)
        .values_list("themes")
        .annotate(n=Count("pk", distinct=True))
        .values_list("themes", "n")
    )
    return [(theme, counts.get(theme.pk, 0)) for theme in Theme.objects.order_by("code")]


def keywords_listed(user: Actor) -> list[str]:
    """The keywords of the published datasets the user may list, sorted."""
    found = datasets_listed(user).filter(state=Dataset.State.PUBLISHED).values_list("keywords", flat=True)
    return sorted({word for words in found for word in words})


def licences_all() -> list[Licence]:
    """The licence list (reference data: everyone may read it), in its file's order."""
    return list(Licence.objects.order_by("position", "id"))


def themes_all() -> list[Theme]:
    """Every theme a dataset may carry (reference data: the stewards' form), by name."""
    return list(Theme.objects.order_by("name"))
