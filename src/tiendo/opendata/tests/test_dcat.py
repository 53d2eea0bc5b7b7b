"""The catalogue as DCAT: /opendata/catalog.jsonld|.ttl|.rdf and /opendata/dataset/<name>.<fmt>.

The outputs are read back with rdflib and validated with pySHACL against DCAT-AP 3.0's own shapes
(../shared/reference/dcat-ap/: the constraints and the ranges). Validation is slow, so the catalogue
of CATALOGUE is built, rendered for an anonymous reader and for a named unit's member, and rolled
back once per module; every other test makes its own data.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.urls import resolve, reverse
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, SH

from tiendo.conftest import IN_CI, load_shipped_data, make_user
from tiendo.opendata.dcat import DCAT_VERSION, VCARD
from tiendo.opendata.models import Dataset
from tiendo.opendata.services import dataset_create, dataset_publish, dataset_upload
from tiendo.opendata.tests.conftest import HEALTH_CSV, health_fields, published_health_dataset
from tiendo.orgunits.models import Membership, OrgUnit

pytestmark = pytest.mark.django_db

DCAT_AP_DIR = Path(
    os.environ.get(
        "TIENDO_DCAT_AP_DIR", Path(__file__).resolve().parents[4].parent / "shared" / "reference" / "dcat-ap"
    )
)
SHAPE_FILES = ("dcat-ap-3.0.0-shapes.ttl", "dcat-ap-3.0.0-range.ttl")
EU = "http://publications.europa.eu/resource/authority/"
DCAT = Namespace("http://www.w3.org/ns/dcat#")  # plain namespaces: rdflib's closed ones warn at collection
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
ACCESS_RIGHT = Namespace(EU + "access-right/")
DCATAP = Namespace("http://data.europa.eu/r5r/")
SECOND_CSV = HEALTH_CSV.replace("2025,1,96.5", "2026,3,98.5")
TTL, JSONLD, RDFXML = "text/turtle", "application/ld+json", "application/rdf+xml"


# ------------------------------------------------------------------------------------------ the data


def build_catalogue(actor) -> dict[str, Dataset]:
    """Six datasets of the health department: public (with coverage, in English too), shared under a
    licence without a URL, restricted to Xã Tịnh Khê, a draft, one with two versions, one without
    a contact."""
    province, tinh_khe = OrgUnit.objects.get(code="51"), OrgUnit.objects.get(code="21211")
    found = {
        "public": published_health_dataset(
            actor,
            title="Trạm y tế xã năm 2025",
            title_en="Commune health stations 2025",
            description="Số trạm y tế và tỷ lệ hồ sơ sức khỏe điện tử theo xã.",
            description_en="Health stations and electronic health records by commune.",
            temporal_start=date(2025, 1, 1),
            temporal_end=date(2025, 12, 31),
            spatial=province,
        ),
        "shared": published_health_dataset(
            actor, title="Hồ sơ sức khỏe dùng chung", access=Dataset.Access.SHARED, licence="other-closed"
        ),
        "restricted": published_health_dataset(
            actor,
            title="Hồ sơ y tế hạn chế",
            access=Dataset.Access.RESTRICTED,
            allowed_units=(tinh_khe,),
        ),
        "two_versions": published_health_dataset(actor, title="Trạm y tế hai phiên bản"),
        "no_contact": published_health_dataset(
            actor, title="Trạm y tế không người liên hệ", contact_name="", contact_email=""
        ),
    }
    dataset_upload(
        actor=actor,
        dataset=found["two_versions"],
        filename="v2.csv",
        content=SECOND_CSV.encode(),
        note="2026",
    )
    draft = dataset_create(actor=actor, fields=health_fields(title="Bản nháp trạm y tế"))
    dataset_upload(actor=actor, dataset=draft, filename="nhap.csv", content=HEALTH_CSV.encode())
    found["draft"] = draft
    for key, dataset in found.items():
        found[key] = Dataset.objects.get(pk=dataset.pk)
    return found


def _url(name: str, fmt: str) -> str:
    if name == "catalog":
        return reverse("opendata-catalog", kwargs={"fmt": fmt})
    return reverse("opendata-dataset-rdf", kwargs={"name": name, "fmt": fmt})


def _render(client: Client, fmt: str, name: str = "catalog") -> bytes:
    response = client.get(_url(name, fmt))
    assert response.status_code == 200, response.content[:300]
    return response.content


@pytest.fixture(scope="module")
def rendered(django_db_setup, django_db_blocker) -> dict[str, Any]:
    """The catalogue of `build_catalogue` as an anonymous reader and a Tịnh Khê viewer get it, in every
    format, with the datasets' URIs; then rolled back, so no test sees this data."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with django_db_blocker.unblock(), override_settings(PASSWORD_HASHERS=hashers), transaction.atomic():
        if not OrgUnit.objects.filter(code="51").exists():
            load_shipped_data()
        datasets = build_catalogue(make_user("dcat.syt", "SYT", Membership.Role.ADMIN))
        member = Client()
        member.force_login(make_user("dcat.tinhkhe", "21211", Membership.Role.VIEWER))
        out: dict[str, Any] = {
            "names": {key: d.name for key, d in datasets.items()},
            "uids": {key: str(d.uid) for key, d in datasets.items()},
        }
        for fmt in ("ttl", "jsonld", "rdf"):
            out[f"anonymous.{fmt}"] = _render(Client(), fmt)
            out[f"member.{fmt}"] = _render(member, fmt)
        transaction.set_rollback(True)
    return out


def _graph(data: bytes, fmt: str) -> Graph:
    return Graph().parse(data=data, format={"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml"}[fmt])


def _dataset_node(graph: Graph, uid: str) -> URIRef | None:
    node = next(graph.subjects(DCTERMS.identifier, Literal(uid)), None)
    return node if isinstance(node, URIRef) else None


def _shapes(name: str) -> Graph:
    path = DCAT_AP_DIR / name
    if not path.exists():
        message = f"the DCAT-AP shapes are not at {path} (set TIENDO_DCAT_AP_DIR)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return Graph().parse(path, format="turtle")


@pytest.fixture(scope="module")
def shacl_reports(rendered) -> dict[tuple[str, str], tuple[bool, int, int, str]]:
    """(reader, shape file) → (conforms, violations, warnings, report text), validated once."""
    from pyshacl import validate

    reports = {}
    for shape_file in SHAPE_FILES:
        shapes = _shapes(shape_file)
        for reader in ("anonymous", "member"):
            conforms, results, text = validate(
                _graph(rendered[f"{reader}.ttl"], "ttl"), shacl_graph=shapes, inference="none"
            )
            violations = len(set(results.subjects(SH.resultSeverity, SH.Violation)))
            warnings = len(set(results.subjects(SH.resultSeverity, SH.Warning)))
            reports[(reader, shape_file)] = (conforms, violations, warnings, text)
    return reports


# ------------------------------------------------------------------------------------------ validity


@pytest.mark.parametrize("shape_file", SHAPE_FILES)
@pytest.mark.parametrize("reader", ["anonymous", "member"])
def test_the_catalogue_conforms_to_dcat_ap_3_with_no_violation(shacl_reports, reader, shape_file):
    conforms, violations, warnings, text = shacl_reports[(reader, shape_file)]
    print(f"{reader} × {shape_file}: conforms={conforms}, violations={violations}, warnings={warnings}")
    assert violations == 0, text
    assert warnings == 0, text
    assert conforms, text


def test_the_validation_finds_what_a_broken_catalogue_lacks(rendered):
    """The control: the shapes do reach our nodes (a dataset without a description and a frequency
    left untyped are caught), so 0 violations above means something."""
    from pyshacl import validate

    graph = _graph(rendered["anonymous.ttl"], "ttl")
    graph.remove((None, DCTERMS.description, None))
    graph.remove((URIRef(EU + "frequency/ANNUAL"), RDF.type, None))
    for shape_file, path in (
        ("dcat-ap-3.0.0-shapes.ttl", DCTERMS.description),
        ("dcat-ap-3.0.0-range.ttl", None),
    ):
        conforms, results, _text = validate(graph, shacl_graph=_shapes(shape_file), inference="none")
        assert not conforms
        if path is not None:
            assert (None, SH.resultPath, path) in results
        else:
            assert (None, SH.resultPath, DCTERMS.accrualPeriodicity) in results


def test_a_generated_text_is_english_only_once_translated():
    from django.utils.functional import lazy
    from django.utils.translation import gettext_lazy

    from tiendo.opendata.dcat import _both

    assert _both(gettext_lazy("Không tìm thấy"), dict) == ("Không tìm thấy", "Not found")
    untranslated = lazy(lambda: "Một câu chưa có bản dịch %(x)s", str)()  # never Vietnamese tagged @en
    assert _both(untranslated, lambda: {"x": 1}) == ("Một câu chưa có bản dịch 1", "")
    assert _both(gettext_lazy("Không tìm thấy"), dict, english=False) == ("Không tìm thấy", "")


@pytest.mark.parametrize("reader", ["anonymous", "member"])
def test_the_json_ld_and_rdf_xml_carry_the_same_graph_as_the_turtle(rendered, reader):
    turtle = _graph(rendered[f"{reader}.ttl"], "ttl")
    assert len(turtle) > 100
    assert isomorphic(turtle, _graph(rendered[f"{reader}.jsonld"], "jsonld"))
    assert isomorphic(turtle, _graph(rendered[f"{reader}.rdf"], "rdf"))


def test_the_json_ld_is_compacted_with_a_context_of_prefixes(rendered):
    import json

    document = json.loads(rendered["anonymous.jsonld"])
    assert document["@context"]["dcat"] == str(DCAT)
    assert document["@context"]["dct"] == str(DCTERMS)
    kinds = set()
    for node in document["@graph"]:
        found = node.get("@type", [])
        kinds.update(found if isinstance(found, list) else [found])
    assert "dcat:Catalog" in kinds and "dcat:Dataset" in kinds


def test_an_anonymous_reader_gets_the_public_and_shared_datasets_and_nothing_else(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    uids = rendered["uids"]
    listed = {key for key, uid in uids.items() if _dataset_node(graph, uid) is not None}
    assert listed == {"public", "shared", "two_versions", "no_contact"}
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    assert len(list(graph.objects(catalog, DCAT.dataset))) == 4
    assert rendered["names"]["restricted"].encode() not in rendered["anonymous.ttl"]
    assert rendered["names"]["draft"].encode() not in rendered["anonymous.ttl"]


def test_a_member_of_the_named_unit_also_gets_the_restricted_dataset_but_never_the_draft(rendered):
    graph = _graph(rendered["member.ttl"], "ttl")
    uids = rendered["uids"]
    restricted = _dataset_node(graph, uids["restricted"])
    assert restricted is not None
    assert (restricted, DCTERMS.accessRights, ACCESS_RIGHT.NON_PUBLIC) in graph
    assert _dataset_node(graph, uids["draft"]) is None


# ------------------------------------------------------------------------------------------ content


def test_the_catalogue_is_published_by_the_province_in_two_languages_of_metadata(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    catalog = next(graph.subjects(RDF.type, DCAT.Catalog))
    titles = list(graph.objects(catalog, DCTERMS.title))
    assert Literal("Danh mục dữ liệu mở tỉnh Quảng Ngãi", lang="vi") in titles
    assert all(t.language in ("vi", "en") for t in titles)
    english = [t for t in titles if t.language == "en"]
    assert all(str(t) not in {str(v) for v in titles if v.language == "vi"} for t in english)
    publisher = graph.value(catalog, DCTERMS.publisher)
    assert str(publisher).endswith("#agent-51")
    assert (publisher, RDF.type, FOAF.Agent) in graph
    assert (publisher, FOAF.name, Literal("Tỉnh Quảng Ngãi", lang="vi")) in graph
    assert graph.value(catalog, FOAF.homepage) == URIRef("http://testserver/opendata/")
    assert set(graph.objects(catalog, DCTERMS.language)) == {
        URIRef(EU + "language/VIE"),
        URIRef(EU + "language/ENG"),
    }
    assert graph.value(catalog, DCTERMS.modified).datatype == XSD.dateTime


def test_a_dataset_says_who_publishes_it_how_to_reach_them_and_how_often_it_changes(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    node = _dataset_node(graph, rendered["uids"]["public"])
    assert (node, DCTERMS.title, Literal("Trạm y tế xã năm 2025", lang="vi")) in graph
    assert (node, DCTERMS.title, Literal("Commune health stations 2025", lang="en")) in graph
    assert (node, DCAT.keyword, Literal("y tế", lang="vi")) in graph
    assert (node, DCAT.theme, URIRef(EU + "data-theme/HEAL")) in graph
    publisher = graph.value(node, DCTERMS.publisher)
    assert str(publisher).endswith("#agent-SYT")
    assert {name.language for name in graph.objects(publisher, FOAF.name)} <= {"vi", "en"}
    assert (publisher, FOAF.name, Literal("Sở Y tế", lang="vi")) in graph
    assert graph.value(publisher, DCTERMS.type) == URIRef(
        "http://purl.org/adms/publishertype/RegionalAuthority"
    )
    contact = graph.value(node, DCAT.contactPoint)
    assert (contact, RDF.type, VCARD.Kind) in graph
    assert str(graph.value(contact, VCARD.fn)) == "Phòng Nghiệp vụ Y"
    assert graph.value(contact, VCARD.hasEmail) == URIRef("mailto:nghiepvu.syt@example.gov.vn")
    assert graph.value(node, DCTERMS.accrualPeriodicity) == URIRef(EU + "frequency/ANNUAL")
    assert graph.value(node, DCTERMS.accessRights) == ACCESS_RIGHT.PUBLIC
    assert graph.value(node, DCTERMS.issued).datatype == XSD.dateTime
    landing = f"http://testserver/opendata/dataset/{rendered['names']['public']}/"
    assert graph.value(node, DCAT.landingPage) == URIRef(landing)


def test_a_dataset_with_coverage_carries_its_period_and_its_area(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    node = _dataset_node(graph, rendered["uids"]["public"])
    period = graph.value(node, DCTERMS.temporal)
    assert (period, RDF.type, DCTERMS.PeriodOfTime) in graph
    assert graph.value(period, DCAT.startDate) == Literal("2025-01-01", datatype=XSD.date)
    assert graph.value(period, DCAT.endDate) == Literal("2025-12-31", datatype=XSD.date)
    area = graph.value(node, DCTERMS.spatial)
    assert (area, RDF.type, DCTERMS.Location) in graph and str(area).endswith("#area-51")
    other = _dataset_node(graph, rendered["uids"]["two_versions"])
    assert graph.value(other, DCTERMS.temporal) is None and graph.value(other, DCTERMS.spatial) is None


def test_a_dataset_without_a_description_or_a_contact_is_still_described(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    node = _dataset_node(graph, rendered["uids"]["no_contact"])
    description = graph.value(node, DCTERMS.description)
    assert "Trạm y tế không người liên hệ" in description and description.language == "vi"
    assert graph.value(node, DCAT.contactPoint) is None


def test_a_dataset_with_two_versions_gives_its_current_version(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    node = _dataset_node(graph, rendered["uids"]["two_versions"])
    assert graph.value(node, OWL.versionInfo) == Literal("2")
    assert graph.value(node, DCAT_VERSION) == Literal("2")
    for part in graph.objects(node, DCAT.distribution):
        assert graph.value(part, DCTERMS.modified).toPython() >= graph.value(part, DCTERMS.issued).toPython()
    one = _dataset_node(graph, rendered["uids"]["public"])
    assert graph.value(one, OWL.versionInfo) == Literal("1")


def test_each_dataset_has_csv_xlsx_json_and_datapackage_distributions(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    name = rendered["names"]["public"]
    node = _dataset_node(graph, rendered["uids"]["public"])
    parts = {graph.value(p, DCAT.downloadURL): p for p in graph.objects(node, DCAT.distribution)}
    base = f"http://testserver/opendata/dataset/{name}/"
    assert set(map(str, parts)) == {
        f"{base}data.csv",
        f"{base}data.xlsx",
        f"{base}data.json",
        f"{base}datapackage.json",
    }
    csv = parts[URIRef(f"{base}data.csv")]
    assert graph.value(csv, DCTERMS["format"]) == URIRef(EU + "file-type/CSV")
    assert graph.value(csv, DCAT.mediaType) == URIRef("http://www.iana.org/assignments/media-types/text/csv")
    assert graph.value(csv, DCAT.accessURL) == URIRef(f"{base}data.csv")
    assert graph.value(csv, DCTERMS.license) == URIRef("https://creativecommons.org/licenses/by/4.0/")
    assert (graph.value(csv, DCTERMS.license), RDF.type, DCTERMS.LicenseDocument) in graph
    xlsx = parts[URIRef(f"{base}data.xlsx")]
    assert graph.value(xlsx, DCTERMS["format"]) == URIRef(EU + "file-type/XLSX")
    package = parts[URIRef(f"{base}datapackage.json")]
    assert graph.value(package, DCTERMS.conformsTo) == URIRef(
        "https://datapackage.org/standard/data-package/"
    )
    assert graph.value(csv, DCATAP.availability) is not None


def test_a_shared_dataset_offers_no_download_to_an_anonymous_reader_and_names_its_licence(rendered):
    graph = _graph(rendered["anonymous.ttl"], "ttl")
    node = _dataset_node(graph, rendered["uids"]["shared"])
    assert graph.value(node, DCTERMS.accessRights) == ACCESS_RIGHT.RESTRICTED
    landing = graph.value(node, DCAT.landingPage)
    parts = list(graph.objects(node, DCAT.distribution))
    assert len(parts) == 4
    assert all(graph.value(p, DCAT.downloadURL) is None for p in parts)  # the rows are not theirs to read
    assert all(graph.value(p, DCAT.accessURL) == landing for p in parts)  # where access is asked for
    licence = graph.value(parts[0], DCTERMS.license)
    assert str(licence) == "http://testserver/opendata/#licence-other-closed"


# ------------------------------------------------------------------------------------------ endpoints


def test_each_format_is_answered_with_its_media_type(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    for fmt, media in (("ttl", TTL), ("jsonld", JSONLD), ("rdf", RDFXML)):
        for url in (_url("catalog", fmt), _url(dataset.name, fmt)):
            response = client.get(url)
            assert response.status_code == 200
            assert response["Content-Type"].startswith(media)
            assert _dataset_node(_graph(response.content, fmt), str(dataset.uid)) is not None


def test_one_dataset_alone_is_its_dataset_node_and_distributions(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    graph = _graph(client.get(_url(dataset.name, "ttl")).content, "ttl")
    assert len(list(graph.subjects(RDF.type, DCAT.Dataset))) == 1
    assert len(list(graph.subjects(RDF.type, DCAT.Distribution))) == 4
    assert not list(graph.subjects(RDF.type, DCAT.Catalog))
    by_id = client.get(_url(str(dataset.uid), "ttl"))
    assert by_id.status_code == 200 and isomorphic(_graph(by_id.content, "ttl"), graph)


def test_the_dataset_endpoint_is_not_found_for_a_draft_even_for_its_publisher(client, syt_admin):
    draft = dataset_create(actor=syt_admin, fields=health_fields(title="Bản nháp"))
    dataset_upload(actor=syt_admin, dataset=draft, filename="nhap.csv", content=HEALTH_CSV.encode())
    assert client.get(_url(draft.name, "ttl")).status_code == 404
    client.force_login(syt_admin)
    assert client.get(_url(draft.name, "jsonld")).status_code == 404
    assert client.get(_url("khong-co-bo-nay", "ttl")).status_code == 404


def test_the_dataset_endpoint_of_a_restricted_dataset_is_for_its_named_units_only(
    client, syt_admin, tinhkhe_viewer, other_viewer
):
    tinh_khe = OrgUnit.objects.get(code="21211")
    dataset = published_health_dataset(syt_admin, access=Dataset.Access.RESTRICTED, allowed_units=(tinh_khe,))
    assert client.get(_url(dataset.name, "ttl")).status_code == 404
    client.force_login(other_viewer)
    assert client.get(_url(dataset.name, "ttl")).status_code == 404
    client.force_login(tinhkhe_viewer)
    response = client.get(_url(dataset.name, "ttl"))
    assert response.status_code == 200
    parts = list(_graph(response.content, "ttl").subjects(DCAT.downloadURL, None))
    assert len(parts) == 4  # the named unit reads the rows: every distribution downloads


def test_a_repeated_request_with_the_etag_or_the_date_is_answered_304(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    for url in (_url("catalog", "ttl"), _url(dataset.name, "jsonld")):
        first = client.get(url)
        assert first.status_code == 200 and first["ETag"] and first["Last-Modified"]
        assert "Cookie" in first["Vary"]
        again = client.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert again.status_code == 304 and again.content == b""
        assert client.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
        assert client.get(url, HTTP_IF_NONE_MATCH='"something-else"').status_code == 200


def test_publishing_another_dataset_changes_the_etag(client, syt_admin):
    published_health_dataset(syt_admin)
    url = _url("catalog", "ttl")
    before = client.get(url)
    draft = dataset_create(actor=syt_admin, fields=health_fields(title="Bộ thứ hai"))
    dataset_upload(actor=syt_admin, dataset=draft, filename="hai.csv", content=HEALTH_CSV.encode())
    assert client.get(url, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304  # a draft changes nothing
    dataset_publish(actor=syt_admin, dataset=draft)
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200 and after["ETag"] != before["ETag"]
    assert _dataset_node(_graph(after.content, "ttl"), str(draft.uid)) is not None


def test_a_new_version_changes_the_dataset_etag(client, syt_admin):
    dataset = published_health_dataset(syt_admin)
    url = _url(dataset.name, "ttl")
    before = client.get(url)
    dataset_upload(actor=syt_admin, dataset=dataset, filename="v2.csv", content=SECOND_CSV.encode())
    after = client.get(url, HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert list(_graph(after.content, "ttl").objects(None, OWL.versionInfo)) == [Literal("2")]


def test_a_reader_who_sees_more_gets_another_etag(client, syt_admin, tinhkhe_viewer):
    published_health_dataset(syt_admin)
    url = _url("catalog", "ttl")
    anonymous = client.get(url)
    client.force_login(tinhkhe_viewer)
    assert client.get(url, HTTP_IF_NONE_MATCH=anonymous["ETag"]).status_code == 200


def test_the_rdf_paths_do_not_meet_the_dataset_pages():
    assert resolve("/opendata/dataset/tram-y-te.ttl").url_name == "opendata-dataset-rdf"
    assert resolve("/opendata/dataset/tram-y-te/").url_name == "opendata-dataset"
    assert resolve("/opendata/dataset/tram-y-te/data.json").url_name == "opendata-download"
    assert resolve("/opendata/dataset/tram-y-te/datapackage.json").url_name == "opendata-datapackage"
    assert reverse("opendata-catalog", kwargs={"fmt": "jsonld"}) == "/opendata/catalog.jsonld"


def test_only_safe_methods_are_answered(client):
    assert client.post(_url("catalog", "ttl")).status_code == 405


@pytest.mark.parametrize("persona", [None, "tinhkhe_viewer"])
def test_the_catalogue_takes_as_many_queries_for_four_datasets_as_for_one(
    client, syt_admin, request, persona
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    if persona:
        client.force_login(request.getfixturevalue(persona))
    url = _url("catalog", "ttl")
    published_health_dataset(syt_admin, title="Bộ thứ nhất", access=Dataset.Access.SHARED)
    client.get(url)  # caches filled once per process (content types, translations)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    tinh_khe = OrgUnit.objects.get(code="21211")
    published_health_dataset(syt_admin, title="Bộ thứ hai")
    published_health_dataset(
        syt_admin, title="Bộ thứ ba", access=Dataset.Access.RESTRICTED, allowed_units=(tinh_khe,)
    )
    published_health_dataset(syt_admin, title="Bộ thứ tư", temporal_start=date(2025, 1, 1), spatial=tinh_khe)
    with CaptureQueriesContext(connection) as four:
        response = client.get(url)
    assert len(set(_graph(response.content, "ttl").subjects(RDF.type, DCAT.Dataset))) == (4 if persona else 3)
    assert len(four) == len(one), [q["sql"][:120] for q in four]
