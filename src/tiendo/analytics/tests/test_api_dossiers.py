import pytest
from django.conf import settings

from tiendo.analytics.models import Dossier, DossierCount
from tiendo.api.auth import token_create

pytestmark = pytest.mark.django_db

RECORD = {
    "dossier_id": "LGSP-1",
    "procedure_code": "1.001",
    "level": "xa",
    "unit_code": "21211",
    "received_at": "2026-03-02T09:00:00+07:00",
    "due_at": "2026-03-05T17:00:00+07:00",
    "resolved_at": "2026-03-04T10:00:00+07:00",
    "channel": "toan_trinh",
    "vneid": True,
    "result_eligible": True,
    "result_electronic": 1,
    "rating": 5,
    "status": "resolved",
}


def push(client, user, records, scopes=("read", "write")):
    token = token_create(actor=None, user=user, name="lgsp", scopes=list(scopes))
    return client.post(
        "/api/v1/dossiers",
        {"dossiers": records},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiToken {token}",
    )


def test_the_office_pushes_a_batch_and_sending_it_again_changes_nothing(client, office_admin):
    second = {**RECORD, "dossier_id": "LGSP-2", "channel": "truc_tiep", "rating": None}
    response = push(client, office_admin, [RECORD, second])
    assert response.status_code == 200, response.content
    assert response.json() == {"rows": 2, "created": 2, "updated": 0, "unchanged": 0, "cells": 1}
    cell = DossierCount.objects.get(unit__code="21211", month=202603)
    assert (cell.received, cell.full_online, cell.rated) == (2, 1, 1)
    again = push(client, office_admin, [RECORD, second]).json()
    assert (again["created"], again["updated"], again["unchanged"], again["cells"]) == (0, 0, 2, 0)
    assert DossierCount.objects.get(unit__code="21211", month=202603).received == 2


def test_a_batch_with_a_bad_record_names_it_and_stores_nothing(client, office_admin):
    bad = {**RECORD, "dossier_id": "LGSP-2", "unit_code": "99999"}
    response = push(client, office_admin, [RECORD, bad])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_file"
    assert "dossiers[1]: unit_code: đơn vị không xác định: 99999" in error["message"]
    assert not Dossier.objects.exists() and not DossierCount.objects.exists()


def test_a_bad_batch_is_reported_in_the_language_of_the_request(client, office_admin):
    bad = {**RECORD, "dossier_id": "LGSP-2", "unit_code": "99999"}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the language switch's choice
    response = push(client, office_admin, [RECORD, bad])
    assert response.status_code == 422
    assert "dossiers[1]: unit_code: unknown unit: 99999" in response.json()["error"]["message"]


def test_only_the_office_with_a_writing_token_may_push(client, office_admin, tinhkhe_reporter):
    assert push(client, tinhkhe_reporter, [RECORD]).status_code == 403
    assert push(client, office_admin, [RECORD], scopes=("read",)).status_code == 403
    anonymous = client.post("/api/v1/dossiers", {"dossiers": [RECORD]}, content_type="application/json")
    assert anonymous.status_code == 401
    assert not Dossier.objects.exists()


def test_an_empty_batch_is_refused_by_its_schema(client, office_admin):
    response = push(client, office_admin, [])
    assert response.status_code == 422 and response.json()["error"]["field"] == "dossiers"
