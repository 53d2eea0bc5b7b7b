"""The catalogue as DCAT, conforming to DCAT-AP 3.0 (issue 12, item 3), for harvesters such as CKAN
with ckanext-dcat and data.europa.eu.

What a reader gets is what they may list (`datasets_published`): an anonymous reader the metadata of
the published public and shared datasets; a member of a named unit also the restricted ones it names.
Drafts and withdrawn datasets never appear. A distribution carries a `dcat:downloadURL` only when
the reader may read the rows; its `dcat:accessURL` (mandatory) is then the download, otherwise the
dataset's page, where access is asked for.

Identifiers. A dataset is `<its page by id>#dataset` (the id never changes; the name may), its
distributions `…#csv`, `…#xlsx`, `…#json`, `…#datapackage`. Things without a page of their own are
fragments of the catalogue page: the catalogue `#catalog`, a publisher `#agent-<unit code>`, an area
`#area-<unit code>`, a licence without a URL `#licence-<id>`. Controlled values are the EU
vocabularies DCAT-AP names (data theme, frequency, file type, access right, language), media types
IANA's, publisher types ADMS's; each is typed here with the class DCAT-AP's range shapes expect.

Texts come in Vietnamese (`@vi`) and, where the data or the translation has it, English (`@en`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django.db.models import Count, Max
from django.urls import reverse
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, RDF, RDFS, SKOS, XSD
from rdflib.term import Node

from tiendo.core.formatting import vnum
from tiendo.core.i18n import localized
from tiendo.core.types import Actor
from tiendo.opendata.models import Dataset, DatasetVersion, Licence, Theme
from tiendo.opendata.selectors import FORMATS, datasets_published, datasets_rows_readable
from tiendo.orgunits.models import OrgUnit
from tiendo.orgunits.selectors import unit_list

ADMS = Namespace("http://www.w3.org/ns/adms#")
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
DCAT_VERSION = URIRef(f"{DCAT}version")  # DCAT 3, beyond rdflib's DCAT 2 terms
DCATAP = Namespace("http://data.europa.eu/r5r/")
EU_AUTHORITY = "http://publications.europa.eu/resource/authority/"
ACCESS_RIGHT = Namespace(EU_AUTHORITY + "access-right/")
DATA_THEME = URIRef(EU_AUTHORITY + "data-theme")
FILE_TYPE = Namespace(EU_AUTHORITY + "file-type/")
FREQUENCY = Namespace(EU_AUTHORITY + "frequency/")
LANGUAGE = Namespace(EU_AUTHORITY + "language/")
AVAILABILITY = Namespace(EU_AUTHORITY + "planned-availability/")
IANA = Namespace("http://www.iana.org/assignments/media-types/")
PUBLISHER_TYPE = Namespace("http://purl.org/adms/publishertype/")
DATA_PACKAGE_STANDARD = URIRef("https://datapackage.org/standard/data-package/")

PREFIXES = {
    "adms": ADMS,
    "dcat": DCAT,
    "dcatap": DCATAP,
    "dct": DCTERMS,
    "foaf": FOAF,
    "owl": OWL,
    "rdfs": RDFS,
    "skos": SKOS,
    "vcard": VCARD,
    "xsd": XSD,
}
JSONLD_CONTEXT = {prefix: str(namespace) for prefix, namespace in PREFIXES.items()}

# the reader's choice of serialisation: rdflib's format name and the media type answered
SERIALIZATIONS = {
    "jsonld": ("json-ld", "application/ld+json"),
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "rdf": ("xml", "application/rdf+xml; charset=utf-8"),
}

# bumped when the graph's shape changes, so a cached copy is not answered 304 after an upgrade
GRAPH_REVISION = "1"

ACCESS_RIGHTS = {
    Dataset.Access.PUBLIC: ACCESS_RIGHT.PUBLIC,  # anyone reads the rows
    Dataset.Access.SHARED: ACCESS_RIGHT.RESTRICTED,  # read under a grant (registered systems)
    Dataset.Access.RESTRICTED: ACCESS_RIGHT.NON_PUBLIC,  # only the named units
}
PUBLISHER_TYPES = {  # ADMS publisher type, with its label in the ADMS vocabulary
    OrgUnit.Kind.PROVINCE: ("RegionalAuthority", "Regional authority"),
    OrgUnit.Kind.AGENCY: ("RegionalAuthority", "Regional authority"),
    OrgUnit.Kind.COMMUNE: ("LocalAuthority", "Local authority"),
}


@dataclass(frozen=True)
class Distribution:
    key: str  # the fragment of its identifier
    label: str
    file_type: str  # code in the EU file-type vocabulary
    media_type: str  # IANA


DOWNLOADS = {
    "CSV": Distribution("csv", "CSV", "CSV", "text/csv"),
    "XLSX": Distribution(
        "xlsx", "XLSX", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ),
    "JSON": Distribution("json", "JSON", "JSON", "application/json"),
}
assert set(DOWNLOADS) == set(FORMATS), "every format the catalogue offers has its distribution"
DATA_PACKAGE = Distribution("datapackage", "Frictionless Data Package", "JSON", "application/json")

CATALOG_TITLE = _("Danh mục dữ liệu mở %(province)s")
CATALOG_DESCRIPTION = _(
    "Các bộ dữ liệu do các cơ quan, đơn vị của %(province)s công bố: dữ liệu mở cho người dân, doanh "
    "nghiệp và nghiên cứu, dữ liệu dùng chung giữa các hệ thống, với giấy phép, tần suất cập nhật và "
    "các phiên bản của từng bộ."
)
DATASET_DESCRIPTION = _("Bộ dữ liệu “%(title)s” do %(publisher)s công bố.")
DOWNLOAD_DESCRIPTION = _("Phiên bản %(version)s, %(rows)s dòng, định dạng %(format)s.")
DATA_PACKAGE_DESCRIPTION = _(
    "Gói dữ liệu Frictionless (datapackage.json) của phiên bản %(version)s: mô tả, lược đồ bảng và "
    "đường dẫn tải các tệp."
)


@dataclass(frozen=True)
class Site:
    """Where the graph's links point: `absolute` turns a path into a URL (request.build_absolute_uri)."""

    absolute: Callable[[str], str]

    def page(self, url_name: str, **kwargs: str) -> URIRef:
        return URIRef(self.absolute(reverse(url_name, kwargs=kwargs or None)))

    def mint(self, fragment: str) -> URIRef:
        """A tiendo identifier for a thing without a page of its own."""
        return URIRef(f"{self.page('opendata-catalogue')}#{quote(fragment, safe='')}")

    def dataset(self, dataset: Dataset) -> str:
        """The dataset's page by its id; its identifiers are fragments of it."""
        return str(self.page("opendata-dataset", name=str(dataset.uid)))


# ------------------------------------------------------------------------------------------ building


def catalogue_graph(*, user: Actor, site: Site) -> Graph:
    """The catalogue the user may list, as one dcat:Catalog with its datasets."""
    datasets = list(datasets_published(user))
    readable = datasets_rows_readable(user, datasets)
    graph = _new_graph()
    catalog = site.mint("catalog")
    _describe_catalog(graph, catalog, user=user, datasets=datasets, site=site)
    for dataset in datasets:
        graph.add(
            (catalog, DCAT.dataset, _add_dataset(graph, dataset, site, readable=dataset.pk in readable))
        )
    return graph


def dataset_graph(*, user: Actor, dataset: Dataset, site: Site) -> Graph:
    """One dataset (from `dataset_published_get`) with its distributions, publisher and contact."""
    graph = _new_graph()
    _add_dataset(graph, dataset, site, readable=dataset.pk in datasets_rows_readable(user, [dataset]))
    return graph


def serialize(graph: Graph, fmt: str) -> tuple[bytes, str]:
    """The graph in one of SERIALIZATIONS (JSON-LD compacted with the prefixes' @context)."""
    rdf_format, content_type = SERIALIZATIONS[fmt]
    options: dict[str, Any] = {"context": JSONLD_CONTEXT, "auto_compact": True} if fmt == "jsonld" else {}
    return graph.serialize(format=rdf_format, encoding="utf-8", **options), content_type


@dataclass(frozen=True)
class Stamp:
    """What a cached copy is checked against: ETag and Last-Modified."""

    etag: str
    last_modified: datetime | None


def catalogue_stamp(user: Actor) -> Stamp:
    """From the newest change and the number of the datasets the user may list (a dataset published,
    changed, given a version or withdrawn changes one of them), and who reads (a member sees more)."""
    figures = datasets_published(user).aggregate(newest=Max("modified_at"), count=Count("pk"))
    newest: datetime | None = figures["newest"]
    return _stamp(user, newest, "catalog", figures["count"])


def dataset_stamp(user: Actor, dataset: Dataset) -> Stamp:
    return _stamp(user, dataset.modified_at, "dataset", dataset.pk)


def _stamp(user: Actor, newest: datetime | None, *parts: object) -> Stamp:
    reader = f"user-{user.pk}" if user.is_authenticated else "anonymous"
    seen = "|".join(str(p) for p in (GRAPH_REVISION, newest.isoformat() if newest else "-", reader, *parts))
    return Stamp(etag=hashlib.sha256(seen.encode()).hexdigest()[:32], last_modified=newest)


# ------------------------------------------------------------------------------------------ catalogue


def _new_graph() -> Graph:
    graph = Graph()
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, replace=True)
    return graph


def _describe_catalog(
    graph: Graph, catalog: URIRef, *, user: Actor, datasets: list[Dataset], site: Site
) -> None:
    graph.add((catalog, RDF.type, DCAT.Catalog))
    # the province whose portal this is: the root of the unit tree (the one loaded with load_units)
    provinces = unit_list(user=user, kind=OrgUnit.Kind.PROVINCE)
    province = provinces.filter(parent=None).first() or provinces.first()

    def named() -> dict[str, Any]:
        return {"province": localized(_unit_name(province), province.name_en) if province else ""}

    _texts(graph, catalog, DCTERMS.title, *_both(CATALOG_TITLE, named))
    _texts(graph, catalog, DCTERMS.description, *_both(CATALOG_DESCRIPTION, named))
    if province is not None:
        graph.add((catalog, DCTERMS.publisher, _agent(graph, province, site)))
        graph.add((catalog, DCTERMS.spatial, _area(graph, province, site)))
    homepage = site.page("opendata-catalogue")
    graph.add((catalog, FOAF.homepage, homepage))
    graph.add((homepage, RDF.type, FOAF.Document))
    for code in ("VIE", "ENG"):
        graph.add((catalog, DCTERMS.language, _typed(graph, LANGUAGE[code], DCTERMS.LinguisticSystem)))
    scheme = _typed(graph, DATA_THEME, SKOS.ConceptScheme)
    graph.add((scheme, DCTERMS.title, Literal("Data theme", lang="en")))
    graph.add((catalog, DCAT.themeTaxonomy, scheme))
    published = [d.published_at for d in datasets if d.published_at is not None]
    if published:
        graph.add((catalog, DCTERMS.issued, _when(min(published))))
    if datasets:
        graph.add((catalog, DCTERMS.modified, _when(max(d.modified_at for d in datasets))))


# ------------------------------------------------------------------------------------------ datasets


def _add_dataset(graph: Graph, dataset: Dataset, site: Site, *, readable: bool) -> URIRef:
    node = URIRef(site.dataset(dataset) + "#dataset")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.uid))))
    _texts(graph, node, DCTERMS.title, dataset.title, dataset.title_en)
    _texts(graph, node, DCTERMS.description, *_dataset_description(dataset))
    for keyword in dataset.keywords:
        graph.add((node, DCAT.keyword, Literal(keyword, lang="vi")))
    for theme in dataset.themes.all():
        graph.add((node, DCAT.theme, _theme(graph, theme)))
    graph.add((node, DCTERMS.publisher, _agent(graph, dataset.publisher, site)))
    contact = _contact(graph, dataset)
    if contact is not None:
        graph.add((node, DCAT.contactPoint, contact))
    frequency = _typed(graph, FREQUENCY[dataset.frequency], DCTERMS.Frequency)
    graph.add((node, DCTERMS.accrualPeriodicity, frequency))
    _coverage(graph, node, dataset, site)
    graph.add((node, DCTERMS.issued, _when(dataset.published_at or dataset.created_at)))
    graph.add((node, DCTERMS.modified, _when(dataset.modified_at)))
    rights = _typed(graph, ACCESS_RIGHTS[Dataset.Access(dataset.access)], DCTERMS.RightsStatement)
    graph.add((node, DCTERMS.accessRights, rights))
    graph.add((node, DCTERMS.language, _typed(graph, LANGUAGE.VIE, DCTERMS.LinguisticSystem)))
    landing = site.page("opendata-dataset", name=dataset.name)
    graph.add((node, DCAT.landingPage, _typed(graph, landing, FOAF.Document)))
    versions: list[DatasetVersion] = list(dataset.versions.all())  # newest first
    if versions:
        _add_versions(graph, node, dataset, versions, site, readable=readable)
    return node


def _dataset_description(dataset: Dataset) -> tuple[str, str]:
    if dataset.description:
        return dataset.description, dataset.description_en
    return _both(
        DATASET_DESCRIPTION,
        lambda: {"title": dataset.display_title, "publisher": dataset.publisher.display_name},
        english=bool(dataset.title_en),
    )


def _coverage(graph: Graph, node: URIRef, dataset: Dataset, site: Site) -> None:
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, _day(dataset.temporal_start)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, _day(dataset.temporal_end)))
        graph.add((node, DCTERMS.temporal, period))
    if dataset.spatial is not None:
        graph.add((node, DCTERMS.spatial, _area(graph, dataset.spatial, site)))


def _add_versions(
    graph: Graph,
    node: URIRef,
    dataset: Dataset,
    versions: list[DatasetVersion],
    site: Site,
    *,
    readable: bool,
) -> None:
    current = versions[0]
    graph.add((node, OWL.versionInfo, Literal(str(current.number))))
    graph.add((node, DCAT_VERSION, Literal(str(current.number))))
    if current.note:
        graph.add((node, ADMS.versionNotes, Literal(current.note)))
    if current.provenance:
        statement = BNode()
        graph.add((statement, RDF.type, DCTERMS.ProvenanceStatement))
        graph.add((statement, RDFS.label, Literal(current.provenance)))
        graph.add((node, DCTERMS.provenance, statement))
    licence = _licence(graph, dataset.licence, site)
    landing = site.page("opendata-dataset", name=dataset.name)
    for fmt, kind in DOWNLOADS.items():
        download = site.page("opendata-download", name=dataset.name, fmt=fmt.lower())
        texts = _download_texts(current, kind)
        where = download if readable else None
        part = _distribution(graph, dataset, kind, site, access=where or landing, download=where, texts=texts)
        _dates_and_licence(graph, part, versions, licence)
        graph.add((node, DCAT.distribution, part))
    package = site.page("opendata-datapackage", name=dataset.name) if readable else None
    texts = _both(DATA_PACKAGE_DESCRIPTION, lambda: {"version": current.number})
    part = _distribution(
        graph, dataset, DATA_PACKAGE, site, access=package or landing, download=package, texts=texts
    )
    graph.add((part, DCTERMS.conformsTo, _typed(graph, DATA_PACKAGE_STANDARD, DCTERMS.Standard)))
    _dates_and_licence(graph, part, versions, licence)
    graph.add((node, DCAT.distribution, part))


def _download_texts(version: DatasetVersion, kind: Distribution) -> tuple[str, str]:
    return _both(
        DOWNLOAD_DESCRIPTION,
        lambda: {"version": version.number, "rows": vnum(version.row_count), "format": kind.label},
    )


def _distribution(
    graph: Graph,
    dataset: Dataset,
    kind: Distribution,
    site: Site,
    *,
    access: URIRef,
    download: URIRef | None,
    texts: tuple[str, str],
) -> URIRef:
    part = URIRef(f"{site.dataset(dataset)}#{kind.key}")
    graph.add((part, RDF.type, DCAT.Distribution))
    title_en = f"{dataset.title_en} ({kind.label})" if dataset.title_en else ""
    _texts(graph, part, DCTERMS.title, f"{dataset.title} ({kind.label})", title_en)
    _texts(graph, part, DCTERMS.description, *texts)
    graph.add((part, DCAT.accessURL, access))
    if download is not None:
        graph.add((part, DCAT.downloadURL, download))
    graph.add((part, DCTERMS.format, _typed(graph, FILE_TYPE[kind.file_type], DCTERMS.MediaTypeOrExtent)))
    graph.add((part, DCAT.mediaType, _typed(graph, IANA[kind.media_type], DCTERMS.MediaType)))
    stable = _concept(graph, AVAILABILITY.STABLE, [Literal("stable", lang="en")])
    graph.add((part, DCATAP.availability, stable))
    return part


def _dates_and_licence(graph: Graph, part: URIRef, versions: list[DatasetVersion], licence: Node) -> None:
    graph.add((part, DCTERMS.issued, _when(versions[-1].created_at)))
    graph.add((part, DCTERMS.modified, _when(versions[0].created_at)))
    graph.add((part, DCTERMS.license, licence))


# ------------------------------------------------------------------------------------------ nodes


def _agent(graph: Graph, unit: OrgUnit, site: Site) -> URIRef:
    node = site.mint(f"agent-{unit.code}")
    if (node, RDF.type, FOAF.Agent) in graph:
        return node
    graph.add((node, RDF.type, FOAF.Agent))
    graph.add((node, RDF.type, FOAF.Organization))
    vi_name = _unit_name(unit)
    _texts(graph, node, FOAF.name, vi_name[:1].upper() + vi_name[1:], unit.name_en)
    code, label = PUBLISHER_TYPES.get(OrgUnit.Kind(unit.kind), PUBLISHER_TYPES[OrgUnit.Kind.AGENCY])
    graph.add((node, DCTERMS.type, _concept(graph, PUBLISHER_TYPE[code], [Literal(label, lang="en")])))
    return node


def _area(graph: Graph, unit: OrgUnit, site: Site) -> URIRef:
    node = site.mint(f"area-{unit.code}")
    graph.add((node, RDF.type, DCTERMS.Location))
    vi_name = _unit_name(unit)
    _texts(graph, node, SKOS.prefLabel, vi_name[:1].upper() + vi_name[1:], unit.name_en)
    return node


def _unit_name(unit: OrgUnit) -> str:
    """As a sentence names it: "tỉnh Quảng Ngãi" (a province's name has no division type of its own;
    a commune's and an agency's have: "Xã Tịnh Khê", "Sở Y tế")."""
    if unit.kind == OrgUnit.Kind.PROVINCE and unit.division_type:
        return f"{unit.division_type} {unit.name}"
    return unit.name


def _contact(graph: Graph, dataset: Dataset) -> BNode | None:
    if not dataset.contact_name and not dataset.contact_email:
        return None
    card = BNode()
    graph.add((card, RDF.type, VCARD.Kind))
    graph.add((card, RDF.type, VCARD.Organization))
    graph.add((card, VCARD.fn, Literal(dataset.contact_name or dataset.publisher.name)))
    if dataset.contact_email:
        graph.add((card, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}")))
    return card


def _theme(graph: Graph, theme: Theme) -> URIRef:
    labels = [Literal(theme.name, lang="vi")] + ([Literal(theme.name_en, lang="en")] if theme.name_en else [])
    node = _concept(graph, URIRef(theme.uri), labels)
    graph.add((node, SKOS.inScheme, DATA_THEME))
    return node


def _licence(graph: Graph, licence: Licence, site: Site) -> URIRef:
    node = URIRef(licence.url) if licence.url else site.mint(f"licence-{licence.id}")
    graph.add((node, RDF.type, DCTERMS.LicenseDocument))
    graph.add((node, DCTERMS.identifier, Literal(licence.id)))
    _texts(graph, node, DCTERMS.title, licence.title, licence.title_en)
    return node


def _concept(graph: Graph, node: URIRef, labels: Iterable[Literal]) -> URIRef:
    graph.add((node, RDF.type, SKOS.Concept))
    for label in labels:
        graph.add((node, SKOS.prefLabel, label))
    return node


def _typed(graph: Graph, node: URIRef, kind: URIRef) -> URIRef:
    graph.add((node, RDF.type, kind))
    return node


# ------------------------------------------------------------------------------------------ literals


def _texts(graph: Graph, node: Node, prop: URIRef, vi: str, en: str = "") -> None:
    if vi:
        graph.add((node, prop, Literal(vi, lang="vi")))
    if en and en != vi:
        graph.add((node, prop, Literal(en, lang="en")))


def _both(text: Promise, params: Callable[[], dict[str, Any]], *, english: bool = True) -> tuple[str, str]:
    """A generated text in Vietnamese and in English, `params` read in each language. The English is
    "" while the text has no English translation yet, or when `english` is False (the data it names
    has no English): never Vietnamese tagged @en."""
    with translation.override("vi"):
        template_vi = str(text)
        in_vi = template_vi % params()
    with translation.override("en"):
        template_en = str(text)
        in_en = template_en % params() if english and template_en != template_vi else ""
    return in_vi, in_en


def _when(moment: datetime) -> Literal:
    return Literal(moment.replace(microsecond=0).isoformat(), datatype=XSD.dateTime)


def _day(day: date) -> Literal:
    return Literal(day.isoformat(), datatype=XSD.date)
