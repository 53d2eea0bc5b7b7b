"""Found by the API fuzz run (issue 10): on PostgreSQL a batch of many bad records was refused, but
the report's length broke the COPY's ending, and the next request on that connection was a 500."""

import pytest

from tiendo.analytics.models import Dossier
from tiendo.api.auth import token_create

pytestmark = pytest.mark.django_db


def test_a_batch_of_a_thousand_bad_records_is_refused_and_the_next_request_is_served(client, office_admin):
    token = token_create(actor=None, user=office_admin, name="lgsp", scopes=["read", "write"])
    auth = {"HTTP_AUTHORIZATION": f"ApiToken {token}"}
    bad = [{"dossier_id": f"D{i}", "unit_code": "99999"} for i in range(1000)]
    response = client.post("/api/v1/dossiers", {"dossiers": bad}, content_type="application/json", **auth)
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert message.startswith("dossiers[0]: ") and "… và 800 lỗi khác" in message
    assert not Dossier.objects.exists()
    assert client.get("/api/v1/plans", **auth).status_code == 200
