"""CKAN 2.11's Action API over the catalogue (issue 12, item 3): a CKAN client's parameters turned
into our selectors' queries, our datasets turned into CKAN's dicts.

The mapping (CKAN → tiendo):

| CKAN | tiendo |
| --- | --- |
| package (`id`, `name`) | a dataset (`uid`, `name`); `state` active / draft / deleted = published / draft / withdrawn; `private` = not public |
| organization (`name` = the unit's code in lower case, `id` = its uid) | the publisher |
| group (`name` = the theme's code in lower case) | a theme (EU data-theme vocabulary) |
| tag | a keyword |
| the package's one resource (`id` = the dataset's uid, `format` CSV) | the current version's table; its DataStore: `datastore_search` |
| extras `access_level`, `frequency`, `temporal_start` … | our fields with no CKAN column |

Solr is not here: `q` is a search without diacritics over the catalogue's words, `fq` takes
`field:value` terms (organization, tags, groups, license_id, res_format, access,
`metadata_modified:[date TO *]`), ANDed as Solr does; `sort` maps to our orders, `score desc` (no
relevance ranking) to newest first. A term we cannot honour is an error naming it, never ignored.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

import tiendo
from tiendo.core.exceptions import ApplicationError, NotFoundError
from tiendo.core.text import fold_for_search
from tiendo.core.types import Actor
from tiendo.opendata import selectors, tables
from tiendo.opendata.models import Dataset, DatasetUsage, DatasetVersion, Licence, Theme
from tiendo.opendata.services import usage_record
from tiendo.opendata.sharing import access_log_record
from tiendo.orgunits.models import OrgUnit

CKAN_VERSION = "2.11.0"
ROWS_DEFAULT, ROWS_MAX = 10, 1000  # package_search (ckan.search.rows_max)
FACET_LIMIT = 50  # search.facets.limit
LIST_MAX, LIST_ALL_FIELDS_MAX = 1000, 25  # organization_list / group_list
GROUP_PACKAGES = 10  # organization_show / group_show include_datasets
DATASTORE_DEFAULT, DATASTORE_MAX = 100, selectors.MAX_ROWS_PAGE
DEFAULT_SORT = "score desc, metadata_modified desc"
SEARCH_CACHE_SECONDS = 30  # package_search answers (TIENDO_CATALOGUE_CACHE_SECONDS; 0: none)
FREQUENCY_URI = "http://publications.europa.eu/resource/authority/frequency/"
STATES: dict[str, str] = {
    Dataset.State.PUBLISHED: "active",
    Dataset.State.DRAFT: "draft",
    Dataset.State.WITHDRAWN: "deleted",
}
FIELD_TYPES = {"integer": "int", "number": "numeric", "date": "date", "string": "text"}
RESOURCE_FORMAT = "CSV"
TRUE_WORDS = ("true", "yes", "t", "y", "1")  # CKAN's boolean_validator

# ------------------------------------------------------------------------------------------ errors


class CkanError(Exception):
    """An error answered in CKAN's envelope: {"help", "success": false, "error": body()}."""

    status = 500
    kind = "Internal Server Error"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": "Internal Server Error"}


class NotFound(CkanError):
    status = 404
    kind = "Not Found Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": "Not found" + (f": {self.detail}" if self.detail else "")}


class NotAuthorized(CkanError):
    status = 403
    kind = "Authorization Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": "Access denied" + (f": {self.detail}" if self.detail else "")}


class Invalid(CkanError):
    """CKAN's ValidationError: {field: [messages], "__type": "Validation Error"}."""

    status = 409
    kind = "Validation Error"

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__(str(errors))
        self.errors = errors

    def body(self) -> dict[str, Any]:
        return {**self.errors, "__type": self.kind}


class SearchQueryError(CkanError):
    status = 400
    kind = "Search Query Error"

    def body(self) -> dict[str, Any]:
        return {"__type": self.kind, "message": f"Search Query is invalid: {(self.detail,)!r}"}


def _invalid(key: str, message: str) -> Invalid:
    return Invalid({key: [message]})


# ------------------------------------------------------------------------------------------ a call


class Serialized(str):
    """An action's result already written as JSON (package_search's, kept): the view puts it into
    CKAN's envelope as it is."""


@dataclass
class Call:
    """One action call: who calls, with what, and how to make the URLs the answer carries."""

    user: Actor
    params: dict[str, Any]
    absolute: Callable[[str], str]  # a path → an absolute URL
    path: str = ""  # the request's path and query string (datastore_search's _links)


# ------------------------------------------------------------------------------------------ parameters


def _missing(params: dict[str, Any], key: str) -> str:
    value = params.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        raise _invalid(key, _("Thiếu giá trị"))
    if not isinstance(value, str):
        raise _invalid(key, _("Phải là một chuỗi"))
    return value.strip()


def _integer(params: dict[str, Any], key: str, default: int | None, *, minimum: int | None = 0) -> int | None:
    value = params.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    if isinstance(value, bool):
        raise _invalid(key, _("Phải là số nguyên"))
    try:
        number = int(value) if not isinstance(value, float) or value.is_integer() else None
    except (TypeError, ValueError):
        number = None
    if number is None:
        raise _invalid(key, _("Phải là số nguyên"))
    if minimum is not None and number < minimum:
        raise _invalid(key, _("Phải là số tự nhiên (số nguyên không âm)"))
    return number


def _boolean(value: Any, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in TRUE_WORDS


def _json(params: dict[str, Any], key: str) -> Any:
    value = params.get(key)
    if not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise _invalid(key, _("Không đọc được JSON")) from None


def _is_object(text: str) -> bool:
    """Whether a string is a JSON object (datastore_search's q by column, which we do not do)."""
    try:
        return isinstance(json.loads(text), dict)
    except ValueError:
        return False


def _strings(params: dict[str, Any], key: str, *, comma: bool) -> list[str]:
    """A list of strings, or one string (comma-separated when `comma`); JSON lists in strings too."""
    value = params.get(key)
    if value is None or value == "":
        return []
    if isinstance(value, str) and value.lstrip().startswith("["):
        value = _json(params, key)
    if isinstance(value, str):
        return [part.strip() for part in value.split(",")] if comma else [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise _invalid(key, _("Phải là một danh sách chuỗi"))


# ------------------------------------------------------------------------------------------ dicts


def _iso(moment: datetime | None) -> str | None:
    """As CKAN writes its timestamps: UTC, without a zone."""
    if moment is None:
        return None
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat()


def organization_dict(unit: OrgUnit) -> dict[str, Any]:
    return {
        "id": unit.uid,
        "name": unit.code.lower(),
        "title": unit.display_name,
        "display_name": unit.display_name,
        "type": "organization",
        "description": "",
        "image_url": "",
        "image_display_url": "",
        "is_organization": True,
        "approval_status": "approved",
        "state": "active",
    }


def group_dict(theme: Theme) -> dict[str, Any]:
    return {
        "id": theme.code.lower(),
        "name": theme.code.lower(),
        "title": theme.display_name,
        "display_name": theme.display_name,
        "description": "",
        "image_display_url": "",
    }


def tag_dict(word: str) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"tiendo:tag:{word}")),
        "name": word,
        "display_name": word,
        "vocabulary_id": None,
        "state": "active",
    }


def licence_dict(licence: Licence) -> dict[str, Any]:
    """CKAN's licence register entry: every value a string, as CKAN's DefaultLicense.copy() makes it."""
    return {
        "domain_content": "False",
        "id": licence.id,
        "domain_data": "True",
        "domain_software": "False",
        "family": "",
        "is_generic": "False",
        "od_conformance": "approved" if licence.is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "maintainer": "",
        "status": "active",
        "url": licence.url,
        "title": licence.display_title,
    }


def resource_dict(call: Call, dataset: Dataset, version: DatasetVersion) -> dict[str, Any]:
    url = reverse("opendata-download", kwargs={"name": dataset.name, "fmt": "csv"})
    return {
        "id": str(dataset.uid),
        "package_id": str(dataset.uid),
        "name": f"{dataset.display_title} (CSV)",
        "description": version.note or version.provenance,
        "url": call.absolute(url),
        "format": RESOURCE_FORMAT,
        "mimetype": "text/csv",
        "mimetype_inner": None,
        "hash": version.sha256,
        "size": None,
        "resource_type": None,
        "url_type": None,
        "created": _iso(version.created_at),
        "last_modified": _iso(version.created_at),
        "metadata_modified": _iso(version.created_at),
        "cache_url": None,
        "cache_last_updated": None,
        "datastore_active": True,
        "position": 0,
        "state": "active",
        "version": version.number,
        "rows": version.row_count,
    }


def _extras(dataset: Dataset, version: DatasetVersion | None) -> list[dict[str, str]]:
    values = {
        "access_level": dataset.access,
        "frequency": FREQUENCY_URI + dataset.frequency,
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else "",
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else "",
        "contact_name": dataset.contact_name,
        "contact_email": dataset.contact_email,
        "spatial_text": dataset.spatial.display_name if dataset.spatial else "",
        "issued": _iso(dataset.published_at) or "",
        "source": dataset.source,
        "provenance": version.provenance if version else "",
    }
    return [{"key": key, "value": value} for key, value in sorted(values.items()) if value]


def package_dict(
    call: Call, dataset: Dataset, version: DatasetVersion | None, themes: list[Theme]
) -> dict[str, Any]:
    """CKAN's package_show dict (the package_search results carry the same)."""
    licence = dataset.licence
    tags = [tag_dict(word) for word in sorted(dataset.keywords)]
    resources = [resource_dict(call, dataset, version)] if version is not None else []
    package: dict[str, Any] = {
        "id": str(dataset.uid),
        "name": dataset.name,
        "title": dataset.display_title,
        "notes": dataset.display_description,
        "type": "dataset",
        "url": call.absolute(reverse("opendata-dataset", kwargs={"name": dataset.name})),
        "version": str(version.number) if version is not None else None,
        "author": None,
        "author_email": None,
        "maintainer": dataset.contact_name or None,
        "maintainer_email": dataset.contact_email or None,
        "license_id": licence.id,
        "license_title": licence.display_title,
        "isopen": licence.is_open,
        "owner_org": dataset.publisher.uid,
        "organization": organization_dict(dataset.publisher),
        "creator_user_id": None,
        "metadata_created": _iso(dataset.created_at),
        "metadata_modified": _iso(dataset.modified_at),
        "state": STATES.get(dataset.state, dataset.state),
        "private": dataset.access != Dataset.Access.PUBLIC,
        "tags": tags,
        "num_tags": len(tags),
        "groups": [group_dict(theme) for theme in sorted(themes, key=lambda t: t.code)],
        "extras": _extras(dataset, version),
        "resources": resources,
        "num_resources": len(resources),
        "relationships_as_subject": [],
        "relationships_as_object": [],
    }
    if licence.url:
        package["license_url"] = licence.url
    return package


# ------------------------------------------------------------------------------------------ site


def status_show(call: Call) -> dict[str, Any]:
    return {
        "site_title": "tiendo",
        "site_description": _("Cổng dữ liệu mở và tiến độ chuyển đổi số của tỉnh"),
        "site_url": call.absolute("/").rstrip("/"),
        "error_emails_to": None,
        "locale_default": "vi",
        "extensions": ["datastore"],
        "ckan_version": CKAN_VERSION,
        "tiendo_version": tiendo.__version__,
    }


HELP = {
    "status_show": gettext_lazy("Thông tin về cổng: phiên bản CKAN tương thích, địa chỉ, các phần mở rộng."),
    "help_show": gettext_lazy("Hướng dẫn của một thao tác. Tham số: name (tên thao tác)."),
    "package_list": gettext_lazy(
        "Tên các bộ dữ liệu công khai đã công bố, theo thứ tự chữ cái. Tham số: limit, offset."
    ),
    "package_search": gettext_lazy(
        "Tìm bộ dữ liệu. Tham số: q (từ khóa, gõ không dấu cũng được), fq và fq_list (các điều kiện "
        "field:value với organization, tags, groups, license_id, res_format, access, "
        "metadata_modified:[ngày TO *]), rows (mặc định 10, tối đa 1000), start, sort "
        "(metadata_modified desc, metadata_created desc, title_string asc, name asc…), facet.field "
        "(danh sách JSON), facet.limit, facet.mincount, include_private, include_drafts, fl."
    ),
    "package_show": gettext_lazy("Một bộ dữ liệu với tài nguyên của nó. Tham số: id (tên hoặc mã)."),
    "organization_list": gettext_lazy(
        "Các cơ quan công bố dữ liệu. Tham số: all_fields, sort (name, title, package_count + asc/desc), "
        "limit, offset, organizations, q."
    ),
    "organization_show": gettext_lazy("Một cơ quan công bố dữ liệu. Tham số: id, include_datasets."),
    "group_list": gettext_lazy("Các chủ đề. Tham số: all_fields, sort, limit, offset, groups, q."),
    "group_show": gettext_lazy("Một chủ đề. Tham số: id, include_datasets."),
    "tag_list": gettext_lazy("Các từ khóa của bộ dữ liệu. Tham số: query, all_fields."),
    "license_list": gettext_lazy("Danh mục giấy phép dữ liệu."),
    "resource_show": gettext_lazy("Tài nguyên (bảng số liệu của phiên bản hiện hành). Tham số: id."),
    "datastore_search": gettext_lazy(
        "Đọc các dòng của bảng số liệu. Tham số: resource_id, filters (đối tượng JSON), q, fields, sort "
        '("cột desc, cột2"), limit (mặc định 100, tối đa 32000), offset, include_total, '
        "total_estimation_threshold (tổng trên ngưỡng này có thể là ước tính, khi đó total_was_estimated "
        "là true), records_format (objects, lists, csv, tsv)."
    ),
}


def help_show(call: Call) -> str:
    name = _missing(call.params, "name")
    if name not in HELP:
        raise NotFound("Action function not found")
    return str(HELP[name])


def license_list(call: Call) -> list[dict[str, Any]]:
    return [licence_dict(licence) for licence in selectors.licences_all()]


# ------------------------------------------------------------------------------------------ packages


def _page(params: dict[str, Any], items: Any) -> Any:
    limit = _integer(params, "limit", None)
    offset = _integer(params, "offset", 0) or 0
    return items[offset : offset + limit] if limit else items[offset:]


def package_list(call: Call) -> list[str]:
    """Names of the published public datasets the caller may list (CKAN: active, not private)."""
    names = (
        selectors.datasets_listed(call.user)
        .filter(state=Dataset.State.PUBLISHED, access=Dataset.Access.PUBLIC)
        .order_by("name")
        .values_list("name", flat=True)
    )
    return list(_page(call.params, names))


def _get_dataset(call: Call, name: str) -> Dataset:
    try:
        return selectors.dataset_get(user=call.user, name=name)
    except NotFoundError:
        raise NotFound(_("Không tìm thấy bộ dữ liệu.")) from None


def package_show(call: Call) -> dict[str, Any]:
    name = _missing(call.params, "name_or_id" if "name_or_id" in call.params else "id")
    dataset = _get_dataset(call, name)
    version = selectors.dataset_current_version(dataset)
    usage_record(dataset=dataset, kind=DatasetUsage.Kind.API)
    return package_dict(call, dataset, version, list(dataset.themes.all()))


def resource_show(call: Call) -> dict[str, Any]:
    dataset, version = _resource(call, "id")
    usage_record(dataset=dataset, kind=DatasetUsage.Kind.API)
    return resource_dict(call, dataset, version)


def _resource(call: Call, key: str, *, aliases: bool = False) -> tuple[Dataset, DatasetVersion]:
    """The dataset and current version a resource id names (with `aliases`, its name too)."""
    given = _missing(call.params, key)
    message = _("Không tìm thấy tài nguyên “%(id)s”.") % {"id": given}
    if not aliases:
        try:
            given = str(uuid.UUID(given))
        except ValueError:
            raise NotFound(message) from None
    version = selectors.dataset_version_current_get(user=call.user, name=given)
    if version is None:  # not listed for the caller, or no version yet
        raise NotFound(message)
    return version.dataset, version


# ------------------------------------------------------------------------------------------ search

SEARCH_PARAMS = {
    "q", "fq", "fq_list", "rows", "start", "sort", "facet", "facet.field", "facet.limit", "facet.mincount",
    "include_private", "include_drafts", "include_deleted", "fl", "qf", "wt", "bf", "boost", "tie",
    "defType", "mm", "df", "use_default_schema", "extras",
}  # fmt: skip
FACETS = {  # facet.field / fq field → the selectors' facet
    "organization": "publisher",
    "groups": "theme",
    "tags": "tag",
    "license_id": "licence",
    "res_format": "format",
    "access": "access",
    "access_level": "access",
    "extras_access_level": "access",
}
SORT_FIELDS = {
    "metadata_modified": "modified",
    "metadata_created": "created",
    "title_string": "title",
    "title": "title",
    "name": "name",
}
WORD_FIELDS = ("text", "name", "title", "notes")  # q's field:value terms searched as words
TERM = re.compile(
    r"""(?P<sign>[+-]?)(?P<field>[A-Za-z_][\w.]*):
    (?:"(?P<quoted>[^"]*)"|\((?P<group>[^)]*)\)|\[(?P<range>[^\]]*)\]|(?P<bare>[^\s"()\[\]]+))""",
    re.VERBOSE,
)


@dataclass
class _Terms:
    """The fq terms read so far: single-valued fields narrow to the intersection of their terms."""

    sets: dict[str, set[str]] = field(default_factory=dict)
    tag_sets: list[tuple[str, ...]] = field(default_factory=list)
    theme_sets: list[tuple[str, ...]] = field(default_factory=list)
    modified_since: datetime | None = None
    words: list[str] = field(default_factory=list)

    def narrow(self, name: str, values: set[str]) -> None:
        self.sets[name] = self.sets[name] & values if name in self.sets else values


def _values(match: re.Match[str]) -> list[str]:
    if match["group"] is not None:
        parts = re.split(r"\s+OR\s+|\s+", match["group"].strip())
        return [_unescape(part.strip('"')) for part in parts if part and part not in ("OR", "||")]
    return [_unescape(match["quoted"] if match["quoted"] is not None else match["bare"])]


def _unescape(value: str) -> str:
    return re.sub(r"\\(.)", r"\1", value)


def _since(key: str, text: str) -> datetime:
    start, _sep, end = text.partition(" TO ")
    start = start.strip()
    if end.strip() not in ("*", "NOW") or start == "*":
        raise _invalid(key, _("metadata_modified: chỉ hỗ trợ [ngày TO *] (ngày theo ISO 8601)"))
    try:
        moment = datetime.fromisoformat(start)
    except ValueError:
        raise _invalid(
            key, _("metadata_modified: “%(value)s” không phải ngày ISO 8601") % {"value": start}
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _apply_term(terms: _Terms, key: str, match: re.Match[str]) -> None:
    name = match["field"]
    if match["sign"] == "-":
        raise _invalid(key, _("Không hỗ trợ điều kiện phủ định (%(term)s)") % {"term": match[0]})
    if name == "metadata_modified" and match["range"] is not None:
        terms.modified_since = _since(key, match["range"])
        return
    if name in ("dataset_type", "type"):
        terms.narrow("type", set(_values(match)) & {"dataset"})
        return
    if name not in FACETS or match["range"] is not None:
        supported = ", ".join([*FACETS, "metadata_modified"])
        raise _invalid(
            key,
            _("Không hỗ trợ “%(term)s”; các trường dùng được: %(fields)s")
            % {"term": match[0], "fields": supported},
        )
    values = _values(match)
    facet = FACETS[name]
    if facet == "tag":
        terms.tag_sets.append(tuple(values))
    elif facet == "theme":
        terms.theme_sets.append(tuple(v.upper() for v in values))
    elif facet in ("publisher", "format"):  # unit codes and formats are upper case
        terms.narrow(facet, {v.upper() for v in values})
    else:
        terms.narrow(facet, set(values))


def _read_fq(terms: _Terms, key: str, text: str) -> None:
    position = 0
    for match in TERM.finditer(text):
        _gap(key, text[position : match.start()])
        _apply_term(terms, key, match)
        position = match.end()
    _gap(key, text[position:])


def _gap(key: str, text: str) -> None:
    leftover = [word for word in text.split() if word not in ("AND", "&&", "+")]
    if leftover:
        raise _invalid(
            key, _("Không hiểu “%(text)s”: fq gồm các điều kiện field:value") % {"text": " ".join(leftover)}
        )


def _read_q(terms: _Terms, text: str) -> None:
    if text.strip() in ("", "*:*", '""', "''", "*"):
        return
    position = 0
    for match in TERM.finditer(text):
        terms.words.append(text[position : match.start()])
        if match["field"] in WORD_FIELDS:
            terms.words.extend(_values(match))
        elif match["field"] in FACETS or match["field"] == "metadata_modified":
            _apply_term(terms, "q", match)
        else:
            terms.words.append(match[0])
        position = match.end()
    terms.words.append(text[position:])
    terms.words = [w.strip("*~") for w in " ".join(terms.words).split() if w not in ("AND", "&&", "*:*")]


def _sort(value: Any) -> tuple[str, str]:
    """(our SORTS key, the sort as CKAN echoes it) for CKAN's sort string."""
    given = value if isinstance(value, str) and value.strip() and value.strip() != "rank" else DEFAULT_SORT
    for clause in given.split(","):
        parts = clause.split()
        if len(parts) != 2 or parts[1].lower() not in ("asc", "desc"):
            raise SearchQueryError('Invalid "sort" parameter')
        if parts[0] in ("score", "rank"):
            continue
        if parts[0] not in SORT_FIELDS:
            raise SearchQueryError(
                'Invalid "sort" parameter: ' + parts[0] + " (" + ", ".join([*SORT_FIELDS, "score"]) + ")"
            )
        key = SORT_FIELDS[parts[0]]
        return (f"-{key}" if parts[1].lower() == "desc" else key), given
    return "-modified", given


def _facet_fields(params: dict[str, Any]) -> list[str]:
    if not _boolean(params.get("facet"), default=True):
        return []
    fields = _strings(params, "facet.field", comma=False)
    unknown = [name for name in fields if name not in FACETS]
    if unknown:
        raise _invalid(
            "facet.field",
            _("Không có thống kê theo “%(field)s”; dùng được: %(fields)s")
            % {"field": unknown[0], "fields": ", ".join(FACETS)},
        )
    return fields


def _search_query(params: dict[str, Any]) -> tuple[_Terms, int, int]:
    unknown = sorted(k for k in params if k not in SEARCH_PARAMS and not k.startswith("ext_"))
    if unknown:
        raise SearchQueryError(f"Invalid search parameters: {unknown}")
    rows = min(_integer(params, "rows", ROWS_DEFAULT) or 0, ROWS_MAX)
    start = _integer(params, "start", 0) or 0
    terms = _Terms()
    q = params.get("q") or ""
    if not isinstance(q, str):
        raise _invalid("q", _("Phải là một chuỗi"))
    _read_q(terms, q)
    fq = params.get("fq") or ""
    if not isinstance(fq, str):
        raise _invalid("fq", _("Phải là một chuỗi"))
    _read_fq(terms, "fq", fq)
    for item in _strings(params, "fq_list", comma=False):
        _read_fq(terms, "fq_list", item)
    return terms, rows, start


def _run_search(call: Call, terms: _Terms, sort: str, rows: int, start: int) -> selectors.SearchResult:
    params = call.params
    access = terms.sets.get("access")
    if not _boolean(params.get("include_private")):
        access = (access if access is not None else set(Dataset.Access.values)) & {Dataset.Access.PUBLIC}
    formats = terms.sets.get("format")
    empty = (
        any(not values for values in terms.sets.values())
        or (access is not None and not access)
        or (formats is not None and RESOURCE_FORMAT not in formats)
    )
    if empty:
        return selectors.SearchResult(count=0, datasets=[], facets={})
    states = [Dataset.State.PUBLISHED]
    if _boolean(params.get("include_drafts")):
        states.append(Dataset.State.DRAFT)
    query = selectors.SearchQuery(
        q=" ".join(terms.words),
        themes=(),
        publishers=tuple(sorted(terms.sets.get("publisher", ()))),
        licences=tuple(sorted(terms.sets.get("licence", ()))),
        access=tuple(sorted(access or ())),
        formats=(RESOURCE_FORMAT,) if formats else (),
        sort=sort,
        offset=start,
        limit=rows,
    )
    narrowing = selectors.SearchNarrowing(
        tag_sets=tuple(terms.tag_sets),
        theme_sets=tuple(terms.theme_sets),
        states=tuple(states),
        modified_since=terms.modified_since,
    )
    return selectors.dataset_search_narrowed(user=call.user, query=query, narrowing=narrowing)


def _facet_items(result: selectors.SearchResult, name: str) -> list[tuple[str, str, int]]:
    facet = FACETS[name]
    items = result.facets.get(facet, [])
    if facet in ("publisher", "theme"):
        return [(key.lower(), label, n) for key, label, n in items]
    if facet == "format":
        return [(key, label, n) for key, label, n in items if key == RESOURCE_FORMAT]
    return list(items)


def _facets(params: dict[str, Any], result: selectors.SearchResult) -> tuple[dict[str, Any], dict[str, Any]]:
    """(facets, search_facets) for the fields asked, CKAN's two shapes."""
    limit = _integer(params, "facet.limit", FACET_LIMIT, minimum=None)
    mincount = _integer(params, "facet.mincount", 1) or 0
    facets: dict[str, Any] = {}
    search_facets: dict[str, Any] = {}
    for name in _facet_fields(params):
        items = [item for item in _facet_items(result, name) if item[2] >= mincount]
        items = sorted(items, key=lambda item: (-item[2], item[0]))
        if limit is not None and limit >= 0:
            items = items[:limit]
        facets[name] = {key: n for key, _label, n in items}
        listed = [{"name": key, "display_name": label or key, "count": n} for key, label, n in items]
        search_facets[name] = {
            "title": name,
            "items": sorted(listed, key=lambda item: item["display_name"], reverse=True),
        }
    return facets, search_facets


def _packages(call: Call, result: selectors.SearchResult) -> list[dict[str, Any]]:
    versions = selectors.datasets_current_versions(result.datasets) if result.datasets else {}
    themes = (
        result.themes if result.themes is not None else {d.pk: list(d.themes.all()) for d in result.datasets}
    )
    return [package_dict(call, d, versions.get(d.pk), themes.get(d.pk, [])) for d in result.datasets]


def _search_cache_key(call: Call) -> str:
    """Who reads, what they may list as it stands now, in which language, at which address, asking
    what: an answer is only ever served again to the same reader, for the same listing."""
    key = getattr(call.user, "system_key", None)
    reader = (
        f"key:{key.pk}" if key is not None else f"user:{call.user.pk}" if call.user.is_authenticated else "-"
    )
    seen = json.dumps(
        [reader, selectors.datasets_listed_stamp(call.user), get_language(), call.absolute("/"), call.params],
        sort_keys=True,
        default=str,
    )
    return "opendata:package_search:" + hashlib.sha256(seen.encode()).hexdigest()


def package_search(call: Call) -> dict[str, Any] | Serialized:
    """Kept for SEARCH_CACHE_SECONDS per process, keyed by `_search_cache_key`: any change to the
    datasets the reader may list is a new key at once; the time bounds how long a renamed publisher,
    theme or licence keeps its old name in an answer."""
    params = call.params
    terms, rows, start = _search_query(params)
    sort, sort_echo = _sort(params.get("sort"))
    _facet_fields(params)
    seconds = getattr(settings, "TIENDO_CATALOGUE_CACHE_SECONDS", SEARCH_CACHE_SECONDS)
    if seconds <= 0:
        return _package_search(call, terms, sort, sort_echo, rows, start)
    key = _search_cache_key(call)
    kept = cache.get(key)
    if kept is None:
        kept = json.dumps(_package_search(call, terms, sort, sort_echo, rows, start), ensure_ascii=False)
        cache.set(key, kept, seconds)
    return Serialized(kept)


def _package_search(
    call: Call, terms: _Terms, sort: str, sort_echo: str, rows: int, start: int
) -> dict[str, Any]:
    params = call.params
    result = _run_search(call, terms, sort, rows, start)
    results = _packages(call, result)
    wanted = _strings(params, "fl", comma=True)
    if len(wanted) == 1 and " " in wanted[0]:
        wanted = wanted[0].split()
    if wanted:
        results = [{key: package.get(key) for key in wanted} for package in results]
    facets, search_facets = _facets(params, result)
    return {
        "count": result.count,
        "facets": facets,
        "results": results,
        "sort": sort_echo,
        "search_facets": search_facets,
    }


# ------------------------------------------------------------------------------------------ groups


def _group_sort(params: dict[str, Any]) -> tuple[str, bool]:
    given = str(params.get("sort") or params.get("order_by") or "title asc").strip()
    if given in ("packages", "package_count"):
        given = "package_count desc"
    parts = given.split()
    name = {"packages": "package_count"}.get(parts[0], parts[0])
    direction = parts[1].lower() if len(parts) > 1 else "asc"
    if name not in ("name", "title", "package_count") or direction not in ("asc", "desc") or len(parts) > 2:
        raise _invalid(
            "sort",
            _("Không sắp xếp được theo “%(sort)s” (name, title, package_count + asc/desc)") % {"sort": given},
        )
    return name, direction == "desc"


def _group_list(params: dict[str, Any], entries: list[dict[str, Any]], names_key: str) -> list[Any]:
    """CKAN's _group_or_org_list over dicts carrying package_count: filtered, sorted, paged."""
    all_fields = _boolean(params.get("all_fields"))
    maximum = LIST_ALL_FIELDS_MAX if all_fields else LIST_MAX
    limit = _integer(params, "limit", None)
    offset = _integer(params, "offset", 0) or 0
    limit = maximum if not limit or limit > maximum else limit
    wanted = _strings(params, names_key, comma=True)
    if wanted:
        entries = [entry for entry in entries if entry["name"] in wanted]
    q = params.get("q")
    if isinstance(q, str) and q.strip():
        folded = fold_for_search(q)
        entries = [e for e in entries if folded in fold_for_search(f"{e['name']} {e['title']}")]
    key, reverse = _group_sort(params)
    if key == "package_count":
        entries = sorted(
            entries, key=lambda e: (-e["package_count"] if reverse else e["package_count"], e["name"])
        )
    else:
        entries = sorted(entries, key=lambda e: fold_for_search(e[key]), reverse=reverse)
    page = entries[offset : offset + limit]
    return page if all_fields else [entry["name"] for entry in page]


def _full(entry: dict[str, Any], count: int, **more: Any) -> dict[str, Any]:
    return {
        **entry,
        "package_count": count,
        "num_followers": 0,
        "extras": [],
        "tags": [],
        "groups": [],
        "users": [],
        **more,
    }


def organization_list(call: Call) -> list[Any]:
    entries = [_full(organization_dict(unit), n) for unit, n in selectors.publishers_listed(call.user)]
    return _group_list(call.params, entries, "organizations")


def group_list(call: Call) -> list[Any]:
    entries = [
        _full(
            group_dict(theme),
            n,
            type="group",
            is_organization=False,
            state="active",
            extras=_theme_extras(theme),
        )
        for theme, n in selectors.themes_listed(call.user)
    ]
    return _group_list(call.params, entries, "groups")


def _theme_extras(theme: Theme) -> list[dict[str, str]]:
    return [{"key": "uri", "value": theme.uri}]


def _group_packages(call: Call, *, publisher: str = "", theme: str = "") -> list[dict[str, Any]]:
    query = selectors.SearchQuery(publishers=(publisher,) if publisher else (), limit=GROUP_PACKAGES)
    narrowing = selectors.SearchNarrowing(theme_sets=((theme,),) if theme else ())
    result = selectors.dataset_search_narrowed(user=call.user, query=query, narrowing=narrowing)
    return _packages(call, result)


def organization_show(call: Call) -> dict[str, Any]:
    given = _missing(call.params, "id")
    for unit, count in selectors.publishers_listed(call.user):
        if given in (unit.code.lower(), unit.uid):
            shown = _full(organization_dict(unit), count)
            if _boolean(call.params.get("include_datasets")):
                shown["packages"] = _group_packages(call, publisher=unit.code)
            return shown
    raise NotFound(_("Không có cơ quan công bố dữ liệu “%(id)s”.") % {"id": given})


def group_show(call: Call) -> dict[str, Any]:
    given = _missing(call.params, "id").lower()
    for theme, count in selectors.themes_listed(call.user):
        if given == theme.code.lower():
            shown = _full(
                group_dict(theme),
                count,
                type="group",
                is_organization=False,
                state="active",
                extras=_theme_extras(theme),
            )
            if _boolean(call.params.get("include_datasets")):
                shown["packages"] = _group_packages(call, theme=theme.code)
            return shown
    raise NotFound(_("Không có chủ đề “%(id)s”.") % {"id": given})


def tag_list(call: Call) -> list[Any]:
    if call.params.get("vocabulary_id"):
        raise NotFound(_("Không có bộ từ vựng “%(id)s”.") % {"id": call.params["vocabulary_id"]})
    query = call.params.get("query") or call.params.get("q") or ""
    words = selectors.keywords_listed(call.user)
    if isinstance(query, str) and query.strip():
        folded = fold_for_search(query)
        words = [word for word in words if folded in fold_for_search(word)]
    if _boolean(call.params.get("all_fields")):
        return [tag_dict(word) for word in words]
    return words


# ------------------------------------------------------------------------------------------ datastore

DATASTORE_PARAMS = {
    "resource_id", "id", "filters", "q", "full_text", "plain", "language", "distinct", "limit", "offset",
    "fields", "sort", "include_total", "total_estimation_threshold", "records_format",
}  # fmt: skip
RECORDS_FORMATS = ("objects", "lists", "csv", "tsv")
SORT_CLAUSE = re.compile(
    r'^\s*(?:"(?P<quoted>[^"]+)"|(?P<name>.+?))(?:\s+(?P<dir>asc|desc))?(?:\s+nulls\s+(?:first|last))?\s*$',
    re.IGNORECASE,
)


@dataclass
class _RowsAsked:
    query: selectors.RowsQuery
    fields: list[str]  # the columns answered, in order ("_id" included when answered)
    records_format: str
    threshold: Any


def _column_error(key: str, value: str, names: list[str]) -> Invalid:
    return _invalid(
        key,
        _("giá trị không hợp lệ “%(value)s”: bảng không có cột này (các cột: %(names)s)")
        % {"value": value, "names": ", ".join(["_id", *names])},
    )


def _filters(params: dict[str, Any], schema: dict[str, str]) -> dict[str, Any]:
    """filters, each value converted to its column's type (a number sent as text is still found)."""
    given = _json(params, "filters") if params.get("filters") not in (None, "") else {}
    if not isinstance(given, dict):
        raise _invalid("filters", _("Phải là một đối tượng JSON {cột: giá trị}"))
    converted: dict[str, Any] = {}
    for column, wanted in given.items():
        if column != "_id" and column not in schema:
            raise _column_error("filters", column, list(schema))
        values = wanted if isinstance(wanted, list) else [wanted]
        kind = "integer" if column == "_id" else schema[column]
        try:
            typed = [tables.convert(value, kind) for value in values]
        except (ValueError, TypeError):
            raise _invalid(
                "filters",
                _("“%(value)s” không hợp với kiểu %(type)s của cột “%(column)s”")
                % {"value": wanted, "type": FIELD_TYPES.get(kind, kind), "column": column},
            ) from None
        converted[column] = typed if isinstance(wanted, list) else typed[0]
    return converted


def _sort_clauses(params: dict[str, Any], names: list[str]) -> tuple[tuple[str, bool], ...]:
    clauses = _strings(params, "sort", comma=True)
    parsed = []
    for clause in clauses:
        match = SORT_CLAUSE.match(clause)
        column = (match["quoted"] or match["name"]).strip() if match else clause
        if match is None or (column != "_id" and column not in names):
            raise _column_error("sort", clause, names)
        parsed.append((column, (match["dir"] or "asc").lower() == "desc"))
    return tuple(parsed)


def _rows_asked(params: dict[str, Any], version: DatasetVersion) -> _RowsAsked:
    unknown = sorted(k for k in params if k not in DATASTORE_PARAMS)
    if unknown:
        raise _invalid(unknown[0], _("Tham số không được hỗ trợ"))
    schema = {f["name"]: f.get("type", "string") for f in version.schema.get("fields", [])}
    names = list(schema)
    q = params.get("full_text") or params.get("q") or ""
    if not isinstance(q, str) or _is_object(q):
        raise _invalid("q", _("Chỉ hỗ trợ q là một chuỗi (tìm trên mọi cột), không theo từng cột"))
    if _boolean(params.get("distinct")):
        raise _invalid("distinct", _("Không hỗ trợ distinct"))
    fields = _strings(params, "fields", comma=True)
    for column in fields:
        if column != "_id" and column not in schema:
            raise _column_error("fields", column, names)
    records_format = params.get("records_format") or "objects"
    if records_format not in RECORDS_FORMATS:
        raise _invalid(
            "records_format", _("Phải là một trong: %(values)s") % {"values": ", ".join(RECORDS_FORMATS)}
        )
    threshold = _integer(params, "total_estimation_threshold", None, minimum=None)
    query = selectors.RowsQuery(
        filters=_filters(params, schema),
        q=q,
        fields=tuple(c for c in fields if c != "_id"),
        sort=_sort_clauses(params, names),
        offset=_integer(params, "offset", 0) or 0,
        limit=min(_integer(params, "limit", DATASTORE_DEFAULT) or 0, DATASTORE_MAX),
        include_total=_boolean(params.get("include_total"), default=True),
        total_estimation_threshold=threshold,
    )
    return _RowsAsked(query, fields or ["_id", *names], str(records_format), threshold)


def _field_dicts(version: DatasetVersion, answered: list[str]) -> list[dict[str, Any]]:
    specs = {f["name"]: f for f in version.schema.get("fields", [])}
    out: list[dict[str, Any]] = []
    for name in answered:
        if name == "_id":
            out.append({"id": "_id", "type": "int"})
            continue
        spec = specs[name]
        entry: dict[str, Any] = {"id": name, "type": FIELD_TYPES.get(spec.get("type", ""), "text")}
        if spec.get("title"):
            entry["info"] = {"label": spec["title"]}
        out.append(entry)
    return out


def _records(records: list[dict[str, Any]], answered: list[str], records_format: str) -> Any:
    if records_format == "objects":
        return [{name: record.get(name) for name in answered} for record in records]
    rows = [[record.get(name) for name in answered] for record in records]
    if records_format == "lists":
        return rows
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter="\t" if records_format == "tsv" else ",", lineterminator="\n")
    writer.writerows([["" if value is None else value for value in row] for row in rows])
    return buffer.getvalue()


def _links(path: str, limit: int, offset: int) -> dict[str, str]:
    parts = urlsplit(path)
    arguments = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "offset"]
    start = urlunsplit(parts._replace(query=urlencode(arguments)))
    after = urlunsplit(parts._replace(query=urlencode([*arguments, ("offset", offset + limit)])))
    links = {"start": start, "next": after}
    if offset - limit > 0:
        links["prev"] = urlunsplit(parts._replace(query=urlencode([*arguments, ("offset", offset - limit)])))
    return links


def datastore_search(call: Call) -> dict[str, Any]:
    key = "id" if "id" in call.params and "resource_id" not in call.params else "resource_id"
    dataset, version = _resource(call, key, aliases=True)
    if not selectors.dataset_can_read_rows(call.user, dataset):
        raise NotAuthorized(
            _("bạn không được đọc số liệu của bộ dữ liệu “%(name)s”.") % {"name": dataset.name}
        )
    asked = _rows_asked(call.params, version)
    try:
        page = selectors.dataset_rows(user=call.user, dataset=dataset, query=asked.query, version=version)
    except NotFoundError:
        raise NotFound(_("Không tìm thấy tài nguyên.")) from None
    except ApplicationError as error:
        raise _invalid(error.field or "resource_id", str(error.message)) from None
    usage_record(dataset=dataset, kind=DatasetUsage.Kind.API)
    access_log_record(
        dataset=dataset,
        action="datastore_search",
        rows=len(page.records),
        query={
            k: call.params[k]
            for k in ("filters", "q", "fields", "sort", "limit", "offset")
            if k in call.params
        },
        key=getattr(call.user, "system_key", None),
        user=call.user,
    )
    result: dict[str, Any] = {
        "include_total": asked.query.include_total,
        "limit": asked.query.limit,
        "offset": asked.query.offset,
        "records_format": asked.records_format,
        "resource_id": str(dataset.uid),
        "total_estimation_threshold": asked.threshold,
        "records": _records(page.records, asked.fields, asked.records_format),
        "fields": _field_dicts(version, asked.fields),
        "_links": _links(call.path, asked.query.limit, asked.query.offset),
    }
    for echoed in ("filters", "q", "sort"):
        if call.params.get(echoed) not in (None, ""):
            result[echoed] = asked.query.filters if echoed == "filters" else call.params[echoed]
    if asked.query.include_total:
        result["total"] = page.total
        result["total_was_estimated"] = page.total_was_estimated
    return result


# ------------------------------------------------------------------------------------------ actions

ACTIONS: dict[str, Callable[[Call], Any]] = {
    "status_show": status_show,
    "help_show": help_show,
    "package_list": package_list,
    "package_search": package_search,
    "package_show": package_show,
    "organization_list": organization_list,
    "organization_show": organization_show,
    "group_list": group_list,
    "group_show": group_show,
    "tag_list": tag_list,
    "license_list": license_list,
    "resource_show": resource_show,
    "datastore_search": datastore_search,
}
