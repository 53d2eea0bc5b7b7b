"""The list pages and list endpoints take exactly the queries recorded in query_counts.json.

A figure that goes up is a new query per row or a forgotten select_related; one that goes down is
an improvement to keep. Either way the file changes in the same commit, reviewed like code:

    TIENDO_UPDATE_QUERY_COUNTS=1 pytest src/tiendo/tests/test_query_counts.py

Each page is requested twice and the second request is measured, so caches that fill once per
process (content types, translations) do not make a figure depend on the order the tests run in.
URLs are reversed by name: views may move between apps, their names stay.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.urls import reverse

from tiendo.core.testing import QueryCountBaseline
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator, Plan
from tiendo.reporting.models import DataSet
from tiendo.reporting.services import submission_open

pytestmark = pytest.mark.django_db

BASELINE = QueryCountBaseline(Path(__file__).with_name("query_counts.json"))

PLAN = "quang-ngai-2026"
UNIT = "21211"  # Xã Tịnh Khê, the reporter's commune
FORM = "CDS-XA-Q"  # the communes' quarterly form
PERIOD = "2026Q1"
SUBMISSIONS = 12  # enough rows that a query per row shows


@dataclass(frozen=True)
class Case:
    key: str  # the stable name in query_counts.json
    url_name: str
    persona: str | None  # a fixture of src/tiendo/conftest.py; None is a visitor
    args: tuple[str, ...] = ()  # placeholders filled by _args: "plan", "indicator", "unit", "form"
    query: dict[str, str] = field(default_factory=dict)
    basic_auth: bool = False  # the DHIS2 endpoint is called by clients with Basic auth, not a session


PAGES = [
    Case("page:home", "home", None),
    Case("page:home:office", "home", "office_admin"),
    Case("page:plan-list", "plan-list", None),
    Case("page:plan-detail", "plan-detail", None, ("plan",)),
    Case("page:plan-detail:office", "plan-detail", "office_admin", ("plan",)),
    Case("page:indicator-detail", "indicator-detail", None, ("indicator",)),
    Case("page:indicator-units", "indicator-units", None, ("indicator",)),
    Case("page:unit-list", "unit-list", None),
    Case("page:unit-detail", "unit-detail", None, ("unit",)),
    Case("page:unit-detail:office", "unit-detail", "office_admin", ("unit",)),
    Case("page:my-reports:reporter", "my-reports", "tinhkhe_reporter"),
    Case("page:my-reports:office", "my-reports", "office_admin"),
    Case("page:overdue:office", "overdue", "office_admin"),
    Case("page:form-list", "form-list", None),
    Case("page:form-detail", "form-detail", None, ("form",)),
    Case("page:opendata-progress-plan", "opendata-progress-plan", None, ("plan",)),
    Case("page:opendata-progress-indicator", "opendata-progress-indicator", None, ("plan", "label")),
    # signed in: rendered for the reader every time (the public's warm answer is the stored one)
    Case("page:opendata-progress-plan:office", "opendata-progress-plan", "office_admin", ("plan",)),
    Case(
        "page:opendata-progress-indicator:office",
        "opendata-progress-indicator",
        "office_admin",
        ("plan", "label"),
    ),
]

ENDPOINTS = [
    Case("api:plans_list", "api-v1:plans_list", None),
    Case("api:plans_indicators", "api-v1:plans_indicators", None, ("plan_id",)),
    Case("api:orgunits_list", "api-v1:orgunits_list", None),
    Case("api:forms_list", "api-v1:forms_list", None),
    Case("api:submissions_list:office", "api-v1:submissions_list", "office_admin"),
    Case("api:submissions_list:reporter", "api-v1:submissions_list", "tinhkhe_reporter"),
    Case("api:indicators_units", "api-v1:indicators_units", None, ("indicator",)),
    Case(
        "api:datavaluesets_export:reporter",
        "dhis2-datavaluesets",
        "tinhkhe_reporter",
        query={"dataSet": FORM, "period": PERIOD, "orgUnit": UNIT},
        basic_auth=True,
    ),
]


@pytest.fixture
def open_submissions(shipped_data, office_admin):
    """Drafts of the communes' quarterly form for a dozen communes, the reporter's among them."""
    dataset = DataSet.objects.get(code=FORM)
    units = [
        OrgUnit.objects.get(code=UNIT),
        *dataset.units.exclude(code=UNIT).order_by("code")[: SUBMISSIONS - 1],
    ]
    for unit in units:
        submission_open(actor=office_admin, dataset=dataset, unit=unit, period=PERIOD)


def _args(case: Case) -> list[str | int]:
    plan = Plan.objects.get(code=PLAN)
    values: dict[str, str | int] = {
        "plan": PLAN,
        "plan_id": plan.pk,
        "indicator": Indicator.objects.filter(plan=plan).order_by("pk").values_list("pk", flat=True)[0],
        "unit": UNIT,
        "form": FORM,
        "label": "V.1",
    }
    return [values[name] for name in case.args]


def _headers(case: Case, request: pytest.FixtureRequest, client) -> dict[str, str]:
    if case.persona is None:
        return {}
    user = request.getfixturevalue(case.persona)
    if case.basic_auth:
        secret = base64.b64encode(f"{user.username}:pw-{user.username}".encode()).decode()
        return {"HTTP_AUTHORIZATION": f"Basic {secret}"}
    client.force_login(user)
    return {}


def _measure(case: Case, request: pytest.FixtureRequest, client) -> None:
    headers = _headers(case, request, client)
    url = reverse(case.url_name, args=_args(case))
    assert client.get(url, case.query, **headers).status_code == 200  # the warm-up
    with BASELINE.expect(case.key):
        response = client.get(url, case.query, **headers)
    assert response.status_code == 200


@pytest.mark.parametrize("case", PAGES, ids=[case.key for case in PAGES])
def test_each_list_page_takes_exactly_its_recorded_queries(case, request, client, open_submissions):
    _measure(case, request, client)


@pytest.mark.parametrize("case", ENDPOINTS, ids=[case.key for case in ENDPOINTS])
def test_each_list_endpoint_takes_exactly_its_recorded_queries(case, request, client, open_submissions):
    _measure(case, request, client)


def test_every_recorded_figure_belongs_to_a_test_here():
    """A page or endpoint removed from the lists above takes its figure out of the file with it."""
    keys = {case.key for case in PAGES + ENDPOINTS}
    assert sorted(set(BASELINE.figures()) - keys) == []
