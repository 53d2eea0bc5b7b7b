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

import functools
import hashlib
import json
import uuid
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
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


def member_paths(user: Actor, roles: tuple[str, ...] | None = None) -> list[str]:
    """Tree paths of the units where the user holds one of `roles` (any role when None); a role
    held at a unit reaches every unit below it (`under_paths`)."""
    if not user.is_authenticated:
        return []
    memberships = Membership.objects.filter(user=user)
    if roles is not None:
        memberships = memberships.filter(role__in=roles)
    return list(memberships.values_list("unit__path", flat=True))


def under_paths(paths: list[str], field_name: str) -> Q:
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(**{f"{field_name}__startswith": path})
    return condition


def publisher_can_manage(user: Actor, publisher: OrgUnit) -> bool:
    return user_is_office_admin(user) or any(
        publisher.path.startswith(p) for p in member_paths(user, MANAGER_ROLES)
    )


def dataset_can_manage(user: Actor, dataset: Dataset) -> bool:
    return publisher_can_manage(user, dataset.publisher)


def _insider(user: Actor) -> Q:
    """Datasets whose publisher the user belongs to (or is above)."""
    return under_paths(member_paths(user), "publisher__path")


def _named(user: Actor) -> Q:
    """Restricted datasets naming one of the user's units (or a unit above one of them)."""
    paths = member_paths(user)
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
    paths = member_paths(user)
    if any(dataset.publisher.path.startswith(p) for p in paths):
        return True
    if dataset.state == Dataset.State.PUBLISHED and dataset.access == Dataset.Access.RESTRICTED:
        return datasets_listed(user).filter(pk=dataset.pk).exists()
    return False


def dataset_get(*, user: Actor, name: str) -> Dataset:
    """By its name or its id (uuid), as CKAN's package_show; NotFoundError if not listed for the user."""
    listed = datasets_listed(user).select_related("publisher", "licence", "spatial")
    try:
        uid: uuid.UUID | None = uuid.UUID(name)
    except ValueError:  # not an id: a name only
        uid = None
    if uid is None:
        found = listed.filter(name=name).first()
    else:  # one query for both; the name wins, as when they were asked one after the other
        candidates = list(listed.filter(Q(name=name) | Q(uid=uid))[:2])
        found = next((d for d in candidates if d.name == name), candidates[0] if candidates else None)
    if found is None:
        raise NotFoundError()
    return found


def dataset_version_current_get(*, user: Actor, name: str) -> DatasetVersion | None:
    """The current version of the dataset `dataset_get` finds, with the dataset (`version.dataset`),
    in one query: a CKAN resource. None when the user may not list it or it has no version."""
    listed = datasets_listed(user)
    try:
        uid: uuid.UUID | None = uuid.UUID(name)
    except ValueError:
        uid = None
    named = Q(dataset__name=name) if uid is None else Q(dataset__name=name) | Q(dataset__uid=uid)
    versions = DatasetVersion.objects.filter(named, dataset__in=listed).select_related("dataset__publisher")
    if uid is not None:  # the name wins, as in dataset_get
        from django.db.models import Case, IntegerField, Value, When

        first = Case(When(dataset__name=name, then=Value(0)), default=Value(1), output_field=IntegerField())
        return versions.order_by(first, "-number").first()
    return versions.order_by("-number").first()


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
    themes: dict[int, list[Theme]] | None = None  # the page's themes by dataset pk, when read with it


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
    found = _facet_rows(_matching(user, query))
    ids = [row["pk"] for row in found]
    order = SORTS[query.sort or "-modified"]
    page = list(
        Dataset.objects.filter(pk__in=ids)
        .select_related("publisher", "licence")
        .prefetch_related("themes")
        .order_by(*order)[query.offset : query.offset + query.limit]
    )
    return SearchResult(count=len(ids), datasets=page, facets=_facets(found, _themes_of(ids)))


def _facet_rows(found: QuerySet[Dataset]) -> list[dict[str, Any]]:
    """The matching datasets with what every facet counts, in one query (the facets are tallied in
    Python: a catalogue's matches are thousands at most)."""
    has_version = Exists(DatasetVersion.objects.filter(dataset=OuterRef("pk")))
    return list(
        found.annotate(has_version=has_version).values(
            "pk",
            "keywords",
            "access",
            "licence_id",
            "licence__title",
            "licence__title_en",
            "publisher__code",
            "publisher__name",
            "publisher__name_en",
            "has_version",
        )
    )


def _themes_of(ids: list[int]) -> dict[int, list[tuple[int, str, str, str, str]]]:
    """The themes of these datasets, by dataset pk, as (id, code, name, name_en, uri), in one query."""
    themes: dict[int, list[tuple[int, str, str, str, str]]] = {}
    if not ids:
        return themes
    pairs = Dataset.themes.through.objects.filter(dataset_id__in=ids).values_list(
        "dataset_id", "theme_id", "theme__code", "theme__name", "theme__name_en", "theme__uri"
    )
    for dataset_id, *theme in pairs.order_by("theme__code"):
        themes.setdefault(dataset_id, []).append(tuple(theme))  # type: ignore[arg-type]
    return themes


def _theme_objects(themes: list[tuple[int, str, str, str, str]]) -> list[Theme]:
    return [
        Theme(id=pk, code=code, name=name, name_en=name_en, uri=uri)
        for pk, code, name, name_en, uri in themes
    ]


def _tally(entries: Any) -> list[tuple[str, str, int]]:
    """(key, label, n) of (key, label, label_en) entries, the most frequent first, then by label."""
    counts: dict[str, int] = {}
    labels: dict[str, tuple[str, str]] = {}
    for key, label, label_en in entries:
        counts[key] = counts.get(key, 0) + 1
        labels[key] = (label, label_en)
    out = [(key, localized(labels[key][0] or key, labels[key][1] or ""), n) for key, n in counts.items()]
    return sorted(out, key=lambda item: (-item[2], item[1]))


def _facets(
    found: list[dict[str, Any]], themes_of: dict[int, list[tuple[int, str, str, str, str]]]
) -> dict[str, list[tuple[str, str, int]]]:
    """Theme, publisher, licence, access and format counts of the matching datasets (`_facet_rows`)."""
    access: dict[str, int] = {}
    for row in found:
        access[row["access"]] = access.get(row["access"], 0) + 1
    with_versions = sum(1 for row in found if row["has_version"])
    labels = dict(Dataset.Access.choices)
    return {
        "theme": _tally((t[1], t[2], t[3]) for row in found for t in themes_of.get(row["pk"], [])),
        "publisher": _tally(
            (row["publisher__code"], row["publisher__name"], row["publisher__name_en"]) for row in found
        ),
        "licence": _tally(
            (row["licence_id"], row["licence__title"], row["licence__title_en"]) for row in found
        ),
        "access": sorted(((key, str(labels[key]), n) for key, n in access.items()), key=lambda i: -i[2]),
        "format": [(f, f, with_versions) for f in FORMATS] if with_versions else [],
    }


# ------------------------------------------------------------------------------------------ rows

# On PostgreSQL a version of at least this many rows gets a B-tree index of its own per column one
# filters by (services.datastore_indexes_create), as CKAN's DataStore indexes its tables' columns:
# `(data -> 'column'), row` for the rows of that version only. A filter on such a column then reads
# only the version's matching rows, in row order; the GIN index on every row's data answers the rest.
DATASTORE_INDEX_MIN_ROWS = 50_000
DATASTORE_INDEX_MAX_COLUMNS = 12
DATASTORE_INDEX_TYPES = ("string", "integer", "date")  # not number: a measure, seldom an exact filter
ESTIMATE_SAMPLE = 2000  # rows read to estimate a total (total_estimation_threshold)


def datastore_indexed_columns(version: DatasetVersion) -> list[str]:
    """The columns of a version that have their own index on PostgreSQL: the rule it was stored by."""
    if version.row_count < DATASTORE_INDEX_MIN_ROWS:
        return []
    fields = version.schema.get("fields", [])
    names = [spec["name"] for spec in fields if spec.get("type", "string") in DATASTORE_INDEX_TYPES]
    return names[:DATASTORE_INDEX_MAX_COLUMNS]


def datastore_index_name(version_id: int, position: int) -> str:
    """The name of the index on the version's `position`-th indexed column (0-based)."""
    return f"opendata_dsrow_v{version_id}_c{position}"


@dataclass
class RowsQuery:
    filters: dict[str, Any] = field(default_factory=dict)  # column → value or list of values
    q: str = ""
    fields: tuple[str, ...] = ()
    sort: tuple[tuple[str, bool], ...] = ()  # (column, descending)
    offset: int = 0
    limit: int = 100
    include_total: bool = True
    total_estimation_threshold: int | None = None  # CKAN's: a total above it may be estimated


@dataclass
class RowsPage:
    version: DatasetVersion
    fields: list[dict[str, Any]]
    records: list[dict[str, Any]]
    total: int | None
    total_was_estimated: bool = False


def dataset_rows(
    *, user: Actor, dataset: Dataset, query: RowsQuery, version: DatasetVersion | None = None
) -> RowsPage:
    """A page of a version's rows (the current one by default), filtered and sorted by columns.
    Column names and filters are checked against the schema (ApplicationError naming the field).

    The total is exact. Without filter, q or sort it is the version's row count, and the page a range
    of row numbers (rows are numbered 1…row_count). Otherwise the rows matched are found once per
    process and kept (`matches`: a version never changes); a query matching more rows than a list
    keeps pages by OFFSET and counts once — or, when `total_estimation_threshold` is given and a
    sample of the rows puts the total at or above it, says the sample's estimate instead."""
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
    stored = DatastoreRow.objects.filter(version=version)
    start, stop = query.offset, query.offset + query.limit
    estimated = False
    if not query.filters and not query.q and query.sort in ((), (("_id", False),)):
        pairs = list(stored.filter(row__gt=start, row__lte=stop).order_by("row").values_list("row", "data"))
        total: int | None = version.row_count
    else:
        matched = _matches(version, query)
        if matched is not None:
            pairs = _numbered(version, matched[start:stop])
            total = len(matched)
        else:  # too many to keep: the page by OFFSET, the total counted (once) or estimated
            ordered = _ordered(_filtered(stored, query, version), query)
            pairs = list(ordered.values_list("row", "data")[start:stop])
            total, estimated = _total(version, query, ordered) if query.include_total else (None, False)
    selected = list(query.fields) if query.fields else names
    records = [
        {"_id": number, **{name: data.get(name) for name in selected if name != "_id"}}
        for number, data in pairs
    ]
    fields = [{"id": "_id", "type": "int"}] + [f for f in version.schema["fields"] if f["name"] in selected]
    return RowsPage(
        version=version,
        fields=fields,
        records=records,
        total=total if query.include_total else None,
        total_was_estimated=estimated and query.include_total,
    )


def _query_key(version: DatasetVersion, query: RowsQuery, kind: str) -> tuple[Any, ...]:
    """A key naming the version by its id and its content, and what the query matches and orders by."""
    asked = json.dumps(
        [sorted(query.filters.items()), fold_for_search(query.q).split(), query.sort],
        sort_keys=True,
        ensure_ascii=False,
        default=str,
    )
    return ("datastore", kind, version.pk, version.sha256, version.row_count, asked)


def _matches(version: DatasetVersion, query: RowsQuery) -> array[int] | None:
    """The row numbers the query matches, in its order; None when there are more than a list keeps."""
    from tiendo.opendata.matches import MATCHES, MAX_ROWS

    key = _query_key(version, query, "rows")
    found = MATCHES.get(key)
    if isinstance(found, array):
        return found
    if found is not None:  # known to be too many
        return None
    ordered = _ordered(_filtered(DatastoreRow.objects.filter(version=version), query, version), query)
    numbers = _row_numbers(ordered, MAX_ROWS + 1)
    if len(numbers) > MAX_ROWS:
        MATCHES.put(key, -1)
        return None
    MATCHES.put(key, numbers)
    return numbers


def _row_numbers(rows: QuerySet[DatastoreRow], limit: int) -> array[int]:
    """The `row` of each of the first `limit` rows, read without making a Python object per row."""
    from django.db import connection

    sql, params = rows.values_list("row", flat=True)[:limit].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return array("i", (number for (number,) in cursor.fetchall()))


def _numbered(version: DatasetVersion, numbers: Any) -> list[tuple[int, Any]]:
    """(row, data) of these row numbers, in their order: one probe of the (version, row) index each.
    The hot path of every page of a filter: plain SQL, no model made."""
    from django.db import connection

    if not len(numbers):
        return []
    table = connection.ops.quote_name(DatastoreRow._meta.db_table)
    marks = ", ".join(["%s"] * len(numbers))
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT row, data FROM {table} WHERE version_id = %s AND row IN ({marks})",
            [version.pk, *numbers],
        )
        data = {
            number: json.loads(text) if isinstance(text, str) else text for number, text in cursor.fetchall()
        }
    return [(number, data[number]) for number in numbers]


def _ordered(rows: QuerySet[DatastoreRow], query: RowsQuery) -> QuerySet[DatastoreRow]:
    ordering: list[Any] = []
    for column, descending in query.sort:
        expression = F("row") if column == "_id" else KeyTransform(column, "data")
        ordering.append(expression.desc() if descending else expression.asc())
    return rows.order_by(*ordering, "row")


def _total(version: DatasetVersion, query: RowsQuery, rows: QuerySet[DatastoreRow]) -> tuple[int, bool]:
    """(total, was estimated) of a query matching more rows than a list keeps. Asked to estimate above
    a threshold, it reads an even sample of the version's rows; else it counts, once per process."""
    from tiendo.opendata.matches import MATCHES

    key = _query_key(version, query, "count")
    counted = MATCHES.get(key)
    if isinstance(counted, int):
        return counted, False
    threshold = query.total_estimation_threshold
    if threshold is not None and version.row_count:
        step = version.row_count / ESTIMATE_SAMPLE
        sample = sorted({1 + int(i * step) for i in range(ESTIMATE_SAMPLE)})
        sampled = DatastoreRow.objects.filter(version=version, row__in=sample)
        hits = _filtered(sampled, query, version).count()
        estimate = round(hits * version.row_count / len(sample))
        if estimate >= threshold:
            return estimate, True
    total = rows.count()
    MATCHES.put(key, total)
    return total, False


def _key_in(column: str, values: list[Any]) -> RawSQL:
    """`data -> 'column'` among the values, as jsonb: the expression the version's index is on, and
    the same rows as `data @> {column: value}` (jsonb equality, numbers compared as numbers)."""
    from django.db import connection

    table = connection.ops.quote_name(DatastoreRow._meta.db_table)
    if not values:
        return RawSQL("1 = 0", [], output_field=BooleanField())
    placeholders = ", ".join(["%s::jsonb"] * len(values))
    return RawSQL(
        f'({table}."data" -> %s) IN ({placeholders})',
        [column, *(json.dumps(value) for value in values)],
        output_field=BooleanField(),
    )


def _filtered(
    rows: QuerySet[DatastoreRow], query: RowsQuery, version: DatasetVersion | None = None
) -> QuerySet[DatastoreRow]:
    from django.db import connection

    postgresql = connection.vendor == "postgresql"
    indexed = set(datastore_indexed_columns(version)) if postgresql and version is not None else set()
    for column, wanted in query.filters.items():
        values = wanted if isinstance(wanted, list) else [wanted]
        if column == "_id":
            rows = rows.filter(row__in=values)
        elif column in indexed:  # the version's own index on the column answers it, in row order
            rows = rows.filter(_key_in(column, values))
        elif postgresql:  # jsonb @> : the GIN index answers it
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
    return OrgUnit.objects.filter(under_paths(member_paths(user, MANAGER_ROLES), "path")).order_by(
        "kind", "name"
    )


def datasets_managed(*, user: Actor, q: str = "", state: str = "", sort: str = "") -> QuerySet[Dataset]:
    """The datasets the user manages, with `version_count` and `last_version_at`, searched without
    diacritics; `sort` a key of MANAGE_SORTS (unknown → newest change first)."""
    from django.db.models import Max

    if user_is_office_admin(user):
        found = Dataset.objects.all()
    else:
        found = Dataset.objects.filter(under_paths(member_paths(user, MANAGER_ROLES), "publisher__path"))
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
    paths = member_paths(user) if any(d.access == Dataset.Access.SHARED for d in datasets) else []
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
    matched = _facet_rows(found)
    for tags in narrowing.tag_sets:
        matched = [row for row in matched if set(tags) & set(row["keywords"])]
    ids = [row["pk"] for row in matched]
    if not ids:
        empty: dict[str, list[tuple[str, str, int]]] = {
            name: [] for name in ("theme", "publisher", "licence", "access", "format", "tag")
        }
        return SearchResult(count=0, datasets=[], facets=empty, themes={})
    page = list(
        Dataset.objects.filter(pk__in=ids)
        .select_related("publisher", "licence", "spatial")
        .order_by(*SORTS[query.sort or "-modified"])[query.offset : query.offset + query.limit]
    )
    themes_of = _themes_of(ids)
    facets = _facets(matched, themes_of)
    counted: dict[str, int] = {}
    for row in matched:
        for word in set(row["keywords"]):
            counted[word] = counted.get(word, 0) + 1
    facets["tag"] = sorted(((w, w, n) for w, n in counted.items()), key=lambda item: (-item[2], item[1]))
    themes = {dataset.pk: _theme_objects(themes_of.get(dataset.pk, [])) for dataset in page}
    return SearchResult(count=len(ids), datasets=page, facets=facets, themes=themes)


def datasets_listed_stamp(user: Actor) -> str:
    """What changes whenever the catalogue the user may list changes (a cache of package_search is
    keyed by it, with who reads). Every write to a dataset stamps `modified_at` with its time, so for
    the anonymous reader — whose listing depends on the datasets alone — their newest change and their
    number change whenever the listing does: one entering it is the newest, one leaving it lowers the
    number. A member's or a system's listing also changes with their units or grants, which touch no
    dataset, so theirs is the listed datasets themselves: every id with its last change, digested."""
    listed = datasets_listed(user)
    if not user.is_authenticated and getattr(user, "system_key", None) is None:
        from django.db import connection

        sql, params = _anonymous_stamp_sql(connection.vendor)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            newest, count = cursor.fetchone()
        return f"anonymous|{count}|{newest}"
    digest = hashlib.sha256()
    for pk, modified_at in listed.order_by("pk").values_list("pk", "modified_at"):
        digest.update(f"{pk}:{modified_at.isoformat()};".encode())
    return "listed|" + digest.hexdigest()


@functools.cache
def _anonymous_stamp_sql(vendor: str) -> tuple[str, tuple[Any, ...]]:
    """The anonymous reader's stamp as SQL, made once per database engine from `datasets_listed`
    (the listing's one definition): every package_search asks it, the ORM's making it costs more."""
    from django.contrib.auth.models import AnonymousUser

    listed = datasets_listed(AnonymousUser()).order_by().values("modified_at")
    sql, params = listed.query.sql_with_params()
    return f"SELECT MAX(listed.modified_at), COUNT(*) FROM ({sql}) listed", tuple(params)


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
