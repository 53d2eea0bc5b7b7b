"""`tiendo opendata-build`: datasets made from an indicator's approved values, one per indicator of a
plan, kept current (a new version only when the rows change), drafts never in them."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command
from django.core.management.base import CommandError

from tiendo.core.models import AuditLog
from tiendo.opendata.loader import indicator_dataset_name
from tiendo.opendata.models import Dataset, DatasetVersion
from tiendo.opendata.selectors import RowsQuery, dataset_rows
from tiendo.opendata.services import dataset_withdraw
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataSet
from tiendo.reporting.services import submission_approve, submission_open, submission_save, submission_submit

pytestmark = pytest.mark.django_db

PLAN = "quang-ngai-2026"
TRAINED = indicator_dataset_name(PLAN, "V.1")  # Σ T_TRAINED / Σ T_STAFF × 100 in the sample forms


def second_reviewer():
    """Four eyes: who filled a report does not approve it; a province reviewer does."""
    user, _ = get_user_model().objects.get_or_create(username="province.reviewer")
    Membership.objects.get_or_create(user=user, unit=OrgUnit.objects.get(code="51"), role="reviewer")
    return user


def report(actor, unit_code: str, trained: str, staff: str, *, approve: bool = True):
    draft = submission_open(
        actor=actor,
        dataset=DataSet.objects.get(code="T-XA-Q"),
        unit=OrgUnit.objects.get(code=unit_code),
        period="2026Q1",
    )
    saved = submission_save(
        actor=actor,
        submission=draft,
        values={"T_LAN_OK": "1", "T_TRAINED": trained, "T_STAFF": staff},
        version=None,
    )
    if not approve:
        return saved.submission
    submitted = submission_submit(actor=actor, submission=saved.submission, version=None)
    return submission_approve(actor=second_reviewer(), submission=submitted, version=None)


def build(*args: str, **options) -> str:
    out = StringIO()
    call_command("opendata_build", *args, stdout=out, **options)
    return out.getvalue()


def rows_of(dataset: Dataset) -> list[dict]:
    return dataset_rows(user=AnonymousUser(), dataset=dataset, query=RowsQuery(limit=1000)).records


def test_the_plan_gets_a_published_public_dataset_per_indicator_and_a_second_build_changes_nothing(
    small_forms, office_admin
):
    report(office_admin, "21211", "10", "20")  # 50 %
    report(office_admin, "21172", "90", "100")  # 90 %
    report(office_admin, "21025", "7", "9", approve=False)  # a draft: never in a dataset

    first = build(create_indicator_datasets=PLAN)

    dataset = Dataset.objects.get(name=TRAINED)
    assert f"{TRAINED}: tạo mới và công bố; phiên bản mới 1 (2 dòng)" in first
    assert (dataset.state, dataset.access, dataset.licence_id, dataset.source) == (
        "published",
        "public",
        "CC-BY-4.0",
        "indicator",
    )
    assert [t.code for t in dataset.themes.all()] == ["GOVE"]
    assert dataset.publisher.code == "SKHCN"  # the lead agency of V.1
    rows = rows_of(dataset)
    assert sorted((r["unit_code"], r["numerator"], r["denominator"], r["value"]) for r in rows) == [
        ("21172", 90, 100, 90),
        ("21211", 10, 20, 50),
    ]
    assert all(r["period"] == "2026Q1" and r["simulated"] == 0 for r in rows)
    with_formula = Indicator.objects.filter(plan__code=PLAN, numerator__isnull=False).count()
    assert (
        Dataset.objects.filter(source="indicator", source_indicator__plan__code=PLAN).count() == with_formula
    )
    assert AuditLog.objects.filter(
        action="opendata.dataset.publish", actor=None, object_id=str(dataset.pk)
    ).exists()

    second = build()

    assert f"{TRAINED}: không đổi" in second and "phiên bản mới" not in second
    assert DatasetVersion.objects.filter(dataset=dataset).count() == 1
    again = build(create_indicator_datasets=PLAN)
    assert "tạo mới" not in again
    assert Dataset.objects.filter(source="indicator").count() == with_formula


def test_a_newly_approved_report_makes_a_new_version_and_a_draft_never_does(small_forms, office_admin):
    report(office_admin, "21211", "10", "20")
    build(create_indicator_datasets=PLAN)
    dataset = Dataset.objects.get(name=TRAINED)

    report(office_admin, "21025", "7", "9", approve=False)
    assert build(dataset=TRAINED).strip() == f"{TRAINED}: không đổi"
    assert "21025" not in {r["unit_code"] for r in rows_of(dataset)}

    submission = report(office_admin, "21172", "90", "100")
    assert submission.status == "approved"
    assert build(dataset=TRAINED).strip() == f"{TRAINED}: phiên bản mới 2 (2 dòng)"
    assert {r["unit_code"] for r in rows_of(dataset)} == {"21211", "21172"}
    assert list(DatasetVersion.objects.filter(dataset=dataset).values_list("number", flat=True)) == [2, 1]


def test_an_indicator_led_by_a_group_of_units_is_published_by_the_province(small_forms):
    build(create_indicator_datasets=PLAN)

    lan = Dataset.objects.get(
        name=indicator_dataset_name(PLAN, "II.2")
    )  # led by the departments and communes

    assert lan.publisher.code == "51"
    assert lan.title.startswith("Chỉ tiêu II.2 năm 2026: ")
    assert (str(lan.temporal_start), str(lan.temporal_end), lan.frequency) == (
        "2026-01-01",
        "2026-12-31",
        "QUARTERLY",
    )


def test_a_dataset_its_steward_withdrew_stays_withdrawn_and_is_still_kept_current(small_forms, office_admin):
    build(create_indicator_datasets=PLAN)
    dataset = dataset_withdraw(
        actor=office_admin, dataset=Dataset.objects.get(name=TRAINED), reason="Chờ rà soát số liệu"
    )
    report(office_admin, "21211", "10", "20")

    output = build(create_indicator_datasets=PLAN)

    dataset.refresh_from_db()
    assert dataset.state == "withdrawn"
    assert f"{TRAINED}: phiên bản mới 2 (1 dòng)" in output


def test_an_unknown_dataset_or_plan_is_an_error_that_names_it(small_forms):
    with pytest.raises(CommandError, match="khong-co"):
        build(dataset="khong-co")
    with pytest.raises(CommandError, match="ke-hoach-khac"):
        build(create_indicator_datasets="ke-hoach-khac")
    assert not Dataset.objects.exists()


def test_a_units_row_resting_on_simulated_values_is_marked_simulated(small_forms, office_admin):
    from decimal import Decimal

    from tiendo.opendata.builders import build as rebuild
    from tiendo.opendata.loader import indicator_datasets_create
    from tiendo.reporting.models import DataElement, DataValue

    for code, unit, value, simulated in (
        ("T_TRAINED", "21211", 3, True),
        ("T_STAFF", "21211", 4, False),
        ("T_TRAINED", "21172", 1, False),
        ("T_STAFF", "21172", 2, False),
    ):
        DataValue.objects.create(
            data_element=DataElement.objects.get(code=code),
            unit=OrgUnit.objects.get(code=unit),
            period="2026Q1",
            value=Decimal(value),
            source=DataValue.Source.IMPORT,
            is_simulated=simulated,
        )
    indicator_datasets_create(plan_code=PLAN)

    built = rebuild(Dataset.objects.get(name=TRAINED))

    flags = {row["unit_code"]: row["simulated"] for row in built.rows if row["period"] == "2026Q1"}
    assert flags == {"21211": 1, "21172": 0}
