from datetime import date

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tiendo.analytics.feed import COUNTED, DossierFileError, dossiers_derive, dossiers_import, feed_value
from tiendo.analytics.models import Dossier, DossierCount
from tiendo.analytics.selectors import indicator_row
from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataValue

pytestmark = pytest.mark.django_db

HEADER = "dossier_id,procedure_code,level,unit_code,received_at,due_at,resolved_at,channel,vneid,result_eligible,result_electronic,rating,status,simulated\n"


def row(
    dossier_id,
    unit="21211",
    received="2026-03-02T09:00:00+07:00",
    channel="toan_trinh",
    status="resolved",
    rating="5",
    resolved="2026-03-04T10:00:00+07:00",
    due="2026-03-05T17:00:00+07:00",
    electronic="1",
):
    return f"{dossier_id},1.001,xa,{unit},{received},{due},{resolved},{channel},1,1,{electronic},{rating},{status},0\n"


def value(code, unit="21211", period="202603"):
    return feed_value(code=code, unit=OrgUnit.objects.get(code=unit), period=period)


def test_dossiers_become_monthly_counts_and_their_rollups(shipped_data):
    text = (
        HEADER
        + row("D1")
        + row("D2", channel="truc_tiep", rating="")
        + row("D3", channel="mot_phan", rating="3", status="processing", resolved="")
    )
    result = dossiers_import(text=text)
    assert (result.rows, result.created, result.updated, result.unchanged) == (3, 3, 0, 0)
    assert value("HS_RECEIVED") == 3
    assert value("HS_FULL_ONLINE") == 1
    assert value("HS_ONLINE") == 2
    assert value("HS_RESOLVED") == 2 and value("HS_RESOLVED_ON_TIME") == 2
    assert value("HS_RATED") == 2 and value("HS_SATISFIED") == 1
    assert value("HS_RECEIVED", period="2026Q1") == 3 and value("HS_RECEIVED", period="2026") == 3
    assert not DataValue.objects.filter(data_element__code="HS_RECEIVED").exists()  # read from the counts


def test_resending_the_file_changes_nothing_and_a_status_change_updates_only_its_cells(shipped_data):
    text = HEADER + row("D1") + row("D2", unit="21172")
    dossiers_import(text=text)
    again = dossiers_import(text=text)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert value("HS_RECEIVED") == 1 and value("HS_RECEIVED", unit="21172") == 1
    moved = dossiers_import(
        text=HEADER
        + row(
            "D1",
            received="2026-04-02T09:00:00+07:00",
            resolved="2026-04-03T09:00:00+07:00",
            due="2026-04-09T09:00:00+07:00",
        )
    )
    assert moved.updated == 1
    assert value("HS_RECEIVED", period="202603") is None  # the March cell is gone, not double-counted
    assert value("HS_RECEIVED", period="202604") == 1
    assert value("HS_RECEIVED", period="2026") == 1
    assert Dossier.objects.count() == 2


BAD_ROWS = (
    HEADER
    + row("D1")
    + row("D2", unit="99999")
    + row("D3", channel="fax")
    + row("D1")
    + "D4,1.001,xa,21211,hôm qua,,,truc_tiep,0,0,0,,received,0\n"
)


def test_a_file_with_bad_rows_reports_each_line_and_imports_nothing(shipped_data):
    with pytest.raises(DossierFileError) as error:
        dossiers_import(text=BAD_ROWS)
    assert error.value.total == 4
    assert error.value.errors[0] == "dossiers.csv:3: unit_code: đơn vị không xác định: 99999"
    assert error.value.errors[1].startswith("dossiers.csv:4: channel: phải là một trong")
    assert error.value.errors[2] == "dossiers.csv:5: dossier_id D1: lặp lại trong tệp"
    assert "dossiers.csv:6: thời gian không hợp lệ (ISO 8601)" in error.value.errors[3]
    assert not Dossier.objects.exists()
    assert not DossierCount.objects.exists()


def test_the_report_of_bad_rows_speaks_the_callers_language(shipped_data):
    with translation.override("en"), pytest.raises(DossierFileError) as error:
        dossiers_import(text=BAD_ROWS)
    assert error.value.errors[0] == "dossiers.csv:3: unit_code: unknown unit: 99999"
    assert error.value.errors[1].startswith("dossiers.csv:4: channel: must be one of")
    assert error.value.errors[2] == "dossiers.csv:5: dossier_id D1: repeated in the file"
    assert "dossiers.csv:6: invalid time (ISO 8601)" in error.value.errors[3]


def test_a_file_without_the_required_columns_is_refused(shipped_data):
    with translation.override("en"), pytest.raises(DossierFileError, match="missing columns: status"):
        dossiers_import(text=HEADER.replace(",status", "") + "x\n")
    with pytest.raises(DossierFileError, match="thiếu cột: status"):
        dossiers_import(text=HEADER.replace(",status", "") + "x\n")


def test_the_dossier_indicators_are_ratios_over_the_province(shipped_data):
    text = (
        HEADER
        + row("D1")
        + row("D2", channel="truc_tiep")
        + row("D3", unit="21172")
        + row("D4", unit="21172", channel="mot_phan")
    )
    dossiers_import(text=text)
    full_online = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")
    evaluation = indicator_row(
        user=AnonymousUser(), indicator=full_online, as_of=date(2026, 11, 22)
    ).evaluation
    assert evaluation.period == "2026"  # the year so far, a ratio of sums over all units and months
    assert float(evaluation.value) == 50.0


def counts():
    return {(c.unit_id, c.month): [getattr(c, name) for name in COUNTED] for c in DossierCount.objects.all()}


def test_a_full_recompute_of_a_year_gives_the_counts_the_imports_kept(shipped_data):
    dossiers_import(text=HEADER + row("D1") + row("D2", unit="21172") + row("D3", channel="mot_phan"))
    moved = row(
        "D1",
        channel="truc_tiep",
        received="2026-05-02T09:00:00+07:00",
        resolved="2026-05-04T09:00:00+07:00",
        due="2026-05-09T09:00:00+07:00",
    )
    dossiers_import(text=HEADER + moved)
    kept = counts()
    DossierCount.objects.all().delete()
    assert dossiers_derive(year=2026) == 3  # cells: 21211 in March and May, 21172 in March
    assert counts() == kept


def test_values_computed_from_simulated_dossiers_are_marked_simulated(client, shipped_data):
    dossiers_import(
        text=HEADER
        + row("D1").replace(",0\n", ",1\n")
        + row("D2", channel="truc_tiep").replace(",0\n", ",1\n")
    )
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")
    body = client.get(f"/api/v1/indicators/{indicator.pk}").json()
    assert body["value"] == 50.0 and body["is_simulated"] is True
    assert "simulated-badge" in client.get(f"/indicators/{indicator.pk}/").content.decode()
    assert "simulated-badge" in client.get("/plans/quang-ngai-2026/").content.decode()


def test_a_date_that_does_not_exist_is_reported_with_its_line(shipped_data):
    text = HEADER + row("D1") + row("D2", received="2026-02-30T09:00:00+07:00")
    with pytest.raises(DossierFileError) as error:
        dossiers_import(text=text)
    assert error.value.errors[0].startswith("dossiers.csv:3: thời gian không hợp lệ (ISO 8601)")
    with translation.override("en"), pytest.raises(DossierFileError) as english:
        dossiers_import(text=text)
    assert english.value.errors[0].startswith("dossiers.csv:3: invalid time (ISO 8601)")
    assert not Dossier.objects.exists()


def test_with_dossiers_up_to_december_the_indicator_is_the_whole_year_not_its_last_half(shipped_data):
    december = {
        "received": "2026-12-01T09:00:00+07:00",
        "resolved": "2026-12-02T09:00:00+07:00",
        "due": "2026-12-09T09:00:00+07:00",
    }
    dossiers_import(
        text=HEADER
        + row("D1", channel="truc_tiep")
        + row("D2", channel="truc_tiep")
        + row("D3", **december)
        + row("D4", channel="truc_tiep", **december)
    )
    full_online = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="I", number="1")
    evaluation = indicator_row(
        user=AnonymousUser(), indicator=full_online, as_of=date(2026, 12, 1)
    ).evaluation
    assert evaluation.period == "2026"  # 2026, 2026S2, 2026Q4 and 202612 all end on 31/12
    assert float(evaluation.value) == 25.0  # 1 of 4 this year (the second half alone: 1 of 2)


def test_blank_lines_are_skipped_and_a_short_line_is_named(shipped_data):
    result = dossiers_import(text=HEADER + row("D1") + "\n" + row("D2") + "\n\n")
    assert (result.rows, result.created) == (2, 2)
    short = row("D3").replace(",0\n", "\n").replace(",resolved", "")
    with pytest.raises(DossierFileError) as error:
        dossiers_import(text=HEADER + short)
    assert error.value.errors == ["dossiers.csv:2: cần 14 cột, có 12"]
    with translation.override("en"), pytest.raises(DossierFileError) as english:
        dossiers_import(text=HEADER + short)
    assert english.value.errors == ["dossiers.csv:2: expected 14 columns, got 12"]


def test_spaces_around_an_id_or_a_code_do_not_make_another_dossier(shipped_data):
    spaced = row("D1").replace("D1,1.001,xa,21211", " D1 , 1.001 ,xa , 21211 ")
    first = dossiers_import(text=HEADER + spaced)
    again = dossiers_import(text=HEADER + row("D1"))
    assert first.created == 1 and (again.created, again.unchanged) == (0, 1)
    assert list(Dossier.objects.values_list("dossier_id", "procedure_code")) == [("D1", "1.001")]


def test_a_rating_must_be_written_as_one_digit(shipped_data):
    with pytest.raises(DossierFileError) as error:
        dossiers_import(text=HEADER + row("D1", rating="04"))
    assert error.value.errors[0].startswith("dossiers.csv:2: rating: từ 1 đến 5")
    with translation.override("en"), pytest.raises(DossierFileError) as english:
        dossiers_import(text=HEADER + row("D1", rating="04"))
    assert english.value.errors[0] == "dossiers.csv:2: rating: 1 to 5 or empty, not '04'"
