"""A DHIS2 client library from PyPI (dhis2-client, HISP Centre) against tiendo's live server, unchanged."""

import os

import pytest
from dhis2_client import DHIS2Client, DHIS2HTTPError

from tiendo.conftest import load_shipped_data
from tiendo.reporting.models import DataValue

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def site(live_server, django_user_model):
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    load_shipped_data()
    from tiendo.orgunits.models import Membership, OrgUnit

    user = django_user_model.objects.create_user("ubnd.tinhkhe", password="mat-khau-rat-dai")
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(code="21211"), role="reporter")
    return live_server.url


def test_the_dhis2_client_posts_and_reads_a_data_value_set(site):
    client = DHIS2Client(site, username="ubnd.tinhkhe", password="mat-khau-rat-dai", retries=0)
    payload = {
        "dataSet": "CDS-XA-Q",
        "period": "2026Q1",
        "orgUnit": "21211",
        "dataValues": [
            {"dataElement": "DV_LAN_OK", "value": "3"},
            {"dataElement": "DV_LAN_TOTAL", "value": "4"},
        ],
    }
    result = client.post_data_value_set(payload)
    summary = result.get("response", result)
    assert summary["status"] == "SUCCESS" and summary["importCount"]["imported"] == 2
    got = client.get_data_value_set(
        {"dataSet": "CDS-XA-Q", "period": "2026Q1", "orgUnit": "21211", "idScheme": "CODE"}
    )
    assert {v["dataElement"]: v["value"] for v in got["dataValues"]} == {
        "DV_LAN_OK": "3",
        "DV_LAN_TOTAL": "4",
    }
    with pytest.raises(DHIS2HTTPError) as error:
        client.post_data_value_set({**payload, "orgUnit": "00000"})
    assert error.value.status_code == 409
    assert error.value.payload["response"]["status"] == "ERROR"
    client.close()
    assert DataValue.objects.filter(unit__code="21211", period="2026Q1").count() == 2
