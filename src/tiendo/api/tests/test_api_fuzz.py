"""A fuzz run of /api/v1 from its own OpenAPI document (issue 10): schemathesis generates valid and
invalid requests for every operation and sends each twice — anonymous and with an office token —
through the WSGI application in-process. None may answer 5xx, and every answer must be one the
document lists for that operation, in the schema it gives (the error shape included).

Deterministic: a fixed number of examples per operation, derandomized (the same requests every
run). Writes land in the test's transaction and are rolled back.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tiendo.api.auth import token_create
from tiendo.wsgi import application

pytestmark = pytest.mark.django_db

EXAMPLES = 12  # per operation, each sent twice; about 40 s for the 19 operations on the 2-core machine
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def in_test_transaction():
    """Requests through the raw WSGI app would close the test's connection at their end (Django's
    test client keeps it the same way)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def office_token(office_admin):
    return token_create(actor=None, user=office_admin, name="fuzz", scopes=["read", "write"])


# read through the application itself, as a client reads it (the document needs no database)
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail_or_leave_its_document(case, in_test_transaction, office_token):
    case.call_and_validate(checks=CHECKS)
    case.call_and_validate(checks=CHECKS, headers={"Authorization": f"ApiToken {office_token}"})
