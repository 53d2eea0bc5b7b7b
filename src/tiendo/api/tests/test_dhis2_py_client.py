"""A second, independent DHIS2 client from PyPI — dhis2.py (`from dhis2 import Api`, by D. Huser) —
against a live tiendo server, unchanged. It reads /api/system/info for the version, GETs every
resource as `<endpoint>.<format>`, and pages with `pager`."""

import os

import pytest
from dhis2 import Api, RequestException
from django.core.management import call_command

from tiendo.conftest import load_shipped_data
from tiendo.reporting.models import DataSet, DataValue

pytestmark = pytest.mark.django_db(transaction=True)

PAYLOAD = {
    "dataSet": "CDS-XA-Q",
    "period": "2026Q1",
    "orgUnit": "21211",
    "dataValues": [
        {"dataElement": "DV_LAN_OK", "value": "3"},
        {"dataElement": "DV_LAN_TOTAL", "value": "4"},
    ],
}


@pytest.fixture
def api(live_server, django_user_model):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    load_shipped_data()
    from tiendo.orgunits.models import Membership, OrgUnit

    user = django_user_model.objects.create_user("ubnd.tinhkhe", password="mat-khau-rat-dai")
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(code="21211"), role="reporter")
    return Api(live_server.url, "ubnd.tinhkhe", "mat-khau-rat-dai")


def test_dhis2_py_connects_reads_the_version_and_who_it_is(api):
    assert api.version_int >= 38 and api.info["systemName"] == "tiendo"
    me = api.get("me").json()
    assert me["username"] == "ubnd.tinhkhe" and me["organisationUnits"][0]["code"] == "21211"


def test_dhis2_py_imports_and_exports_json_xml_and_csv(api):
    result = api.post("dataValueSets", json=PAYLOAD, params={"idScheme": "CODE"}).json()
    assert result["response"]["importCount"]["imported"] == 2
    params = {"dataSet": "CDS-XA-Q", "period": "2026Q1", "orgUnit": "21211", "idScheme": "CODE"}
    as_json = api.get("dataValueSets", params=params).json()
    assert {v["dataElement"]: v["value"] for v in as_json["dataValues"]} == {
        "DV_LAN_OK": "3",
        "DV_LAN_TOTAL": "4",
    }
    assert 'dataElement="DV_LAN_OK"' in api.get("dataValueSets", file_type="xml", params=params).text
    csv_lines = api.get("dataValueSets", file_type="csv", params=params).text.splitlines()
    assert csv_lines[0].startswith("dataelement,period,orgunit") and len(csv_lines) == 3
    xml = (
        '<dataValueSet xmlns="http://dhis2.org/schema/dxf/2.0" period="2026Q1" orgUnit="21211">'
        '<dataValue dataElement="DV_LAN_OK" value="4"/></dataValueSet>'
    )
    posted = api.session.post(
        api.api_url + "/dataValueSets",
        data=xml.encode(),
        params={"idScheme": "CODE"},
        headers={"Content-Type": "application/xml"},
    )
    assert posted.json()["response"]["importCount"]["updated"] == 1


def test_dhis2_py_pages_data_sets_and_writes_single_values(api):
    pages = list(api.get_paged("dataSets", params={"fields": "id,name,code"}, page_size=2))
    assert sum(len(p["dataSets"]) for p in pages) == DataSet.objects.count()
    form = DataSet.objects.get(code="CDS-XA-Q")
    assert api.get(f"dataSets/{form.uid}").json()["code"] == "CDS-XA-Q"
    single = {"de": "DV_LAN_OK", "pe": "2026Q1", "ou": "21211"}
    api.post("dataValues", params={**single, "value": "5"})
    assert api.get("dataValues", params=single).json() == ["5"]
    api.delete("dataValues", params=single)
    with pytest.raises(RequestException) as error:
        api.get("dataValues", params=single)
    assert error.value.code == 404


def test_an_async_import_through_the_database_queue_is_run_by_the_worker(api, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    started = api.post("dataValueSets", json=PAYLOAD, params={"async": "true", "idScheme": "CODE"}).json()
    endpoint = started["response"]["relativeNotifierEndpoint"].removeprefix("/api/")
    assert api.get(endpoint).json()[0]["completed"] is False
    assert not DataValue.objects.filter(unit__code="21211", period="2026Q1").exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0")
    assert api.get(endpoint).json()[0]["completed"] is True
    summary = api.get(endpoint.replace("tasks/", "taskSummaries/")).json()
    assert summary["importCount"]["imported"] == 2
    assert DataValue.objects.filter(unit__code="21211", period="2026Q1").count() == 2
