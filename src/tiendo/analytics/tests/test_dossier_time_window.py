"""Issue 10's reproducer for dates: a dossier received in year 0999 took `/`, the plan page and
/api/v1/plans/…/indicators down. Every time of every dossier now lies in 2000-01-01 – 2100-12-31
(Vietnamese time), checked before any write by the feed and by the table itself."""

import io
from datetime import datetime, timedelta, timezone
from importlib import import_module
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.utils import translation

from tiendo.analytics.feed import DossierFileError, ImportResult, dossiers_import
from tiendo.analytics.models import Dossier, DossierCount
from tiendo.api.auth import token_create
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Plan

pytestmark = pytest.mark.django_db

HEADER = "dossier_id,procedure_code,level,unit_code,received_at,due_at,resolved_at,channel,vneid,result_eligible,result_electronic,rating,status\n"
RULE_VI = "ngoài khoảng cho phép, từ 01/01/2000 đến 31/12/2100 (giờ Việt Nam)"


@pytest.fixture(autouse=True)
def vietnamese():
    """Messages are asserted in Vietnamese, the default, whatever an earlier test left active."""
    with translation.override("vi"):
        yield


def line(dossier_id, received="2026-03-02T09:00:00+07:00", due="", resolved=""):
    return f"{dossier_id},1.001,xa,21211,{received},{due},{resolved},truc_tiep,0,0,0,,received\n"


@pytest.mark.parametrize(
    ("received", "due", "field"),
    [
        ("0999-03-02T09:00:00+07:00", "", "received_at"),
        ("1999-12-31T23:59:59+07:00", "", "received_at"),
        ("2101-01-01T00:00:00+07:00", "", "received_at"),
        ("2026-03-02", "0001-01-01", "due_at"),
        ("2026-03-02", "9999-12-31T23:59:59", "due_at"),
    ],
)
def test_a_csv_line_with_a_time_outside_2000_to_2100_is_named_with_the_rule_and_nothing_is_stored(
    shipped_data, received, due, field
):
    # on PostgreSQL this goes the COPY way: the table's constraint refuses, the line-by-line
    # report names the line and the rule
    text = HEADER + line("D1") + line("D2", received=received, due=due)
    with pytest.raises(DossierFileError) as error:
        dossiers_import(text=text)
    assert error.value.total == 1
    assert error.value.errors[0].startswith(f"dossiers.csv:3: {field}: ")
    assert RULE_VI in error.value.errors[0]
    assert not Dossier.objects.exists() and not DossierCount.objects.exists()


def test_the_rule_is_worded_in_the_callers_language(shipped_data):
    with translation.override("en"), pytest.raises(DossierFileError) as error:
        dossiers_import(text=HEADER + line("D1", received="0999-01-01"))
    assert "outside the allowed window, 01/01/2000 to 31/12/2100 (Vietnam time)" in error.value.errors[0]


def test_the_window_s_edges_are_inside_it(shipped_data):
    text = (
        HEADER
        + line("D1", received="2000-01-01T00:00:00+07:00")
        + line("D2", received="2100-12-31T23:59:59+07:00", due="2100-12-31T23:59:59+07:00")
        + line("D3", received="2026-03-02", resolved="2100-12-31")
    )
    assert dossiers_import(text=text).created == 3


def test_the_table_itself_refuses_a_time_outside_the_window(shipped_data):
    unit = OrgUnit.objects.get(code="21211")
    old = datetime(999, 3, 2, 9, tzinfo=timezone(timedelta(hours=7)))
    with pytest.raises(IntegrityError), transaction.atomic():
        Dossier.objects.create(
            dossier_id="X1", procedure_code="1", level="xa", unit=unit, received_at=old,
            received_month=99903, channel="truc_tiep", status="received",
        )  # fmt: skip


def test_the_copy_path_leaves_the_check_to_the_table_and_falls_back(shipped_data):
    if connection.vendor != "postgresql":
        pytest.skip("the COPY path is PostgreSQL's")
    from tiendo.analytics.feed.postgres import FallBack, import_postgresql

    handle = io.StringIO(HEADER + line("D1", received="0999-03-02T09:00:00+07:00"))
    with pytest.raises(FallBack, match="dossier_received_in_window"), transaction.atomic():
        import_postgresql(handle, ImportResult(), feed="dossiers")


def test_an_api_batch_with_year_0999_is_refused_and_the_public_pages_keep_working(client, office_admin):
    token = token_create(actor=None, user=office_admin, name="lgsp", scopes=["read", "write"])
    record = {
        "dossier_id": "LGSP-1", "procedure_code": "1.001", "level": "xa", "unit_code": "21211",
        "received_at": "0999-03-02T09:00:00+07:00", "channel": "truc_tiep", "status": "received",
    }  # fmt: skip
    response = client.post(
        "/api/v1/dossiers",
        {"dossiers": [record]},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"ApiToken {token}",
    )
    assert response.status_code == 422
    error = response.json()["error"]
    assert (
        error["code"] == "invalid_file" and "received_at" in error["message"] and RULE_VI in error["message"]
    )
    assert not Dossier.objects.exists()
    plan = Plan.objects.get(code="quang-ngai-2026")
    assert client.get("/").status_code == 200
    assert client.get(f"/plans/{plan.code}/").status_code == 200
    assert client.get(f"/api/v1/plans/{plan.pk}/indicators").status_code == 200


def test_a_dossier_stored_outside_the_window_before_the_fix_is_removed_and_uncounted(shipped_data):
    if connection.vendor != "sqlite":
        pytest.skip("the bad row is planted past the constraint with SQLite's pragma")
    dossiers_import(text=HEADER + line("D1") + line("D2", received="2026-03-05"))
    assert DossierCount.objects.get(unit__code="21211", month=202603).received == 2
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA ignore_check_constraints = ON")
        cursor.execute(
            "UPDATE analytics_dossier SET received_at = '0999-03-02 02:00:00' WHERE dossier_id = 'D2'"
        )
        cursor.execute("PRAGMA ignore_check_constraints = OFF")
    migration = import_module("tiendo.analytics.migrations.0006_dossier_times_in_window")
    migration.remove_outside(apps, SimpleNamespace(connection=connection))
    assert list(Dossier.objects.values_list("dossier_id", flat=True)) == ["D1"]
    assert DossierCount.objects.get(unit__code="21211", month=202603).received == 1
