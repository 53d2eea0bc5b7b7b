"""The public progress pages (issue 12, item 1): every target of the year with its status, one page
per indicator with its figures and downloads of exactly those figures; only approved values (a test
drafts, approves and reopens and checks every public endpoint), never a unit its data's owner
withheld; cached with ETag / Last-Modified that a change of data renews."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from openpyxl import load_workbook

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.opendata.loader import indicator_dataset_name
from tiendo.opendata.models import Dataset, WithheldUnit
from tiendo.opendata.progress import indicator_figures, public_indicator, public_plan
from tiendo.opendata.selectors import RowsQuery, dataset_rows
from tiendo.opendata.services import dataset_withdraw
from tiendo.opendata.tests.test_build import build, report
from tiendo.opendata.withholding import withheld_mark, withheld_unmark
from tiendo.orgunits.models import Membership, OrgUnit
from tiendo.plans.models import Indicator
from tiendo.reporting.services import submission_reopen

pytestmark = pytest.mark.django_db

PLAN = "quang-ngai-2026"
LABEL = "V.1"  # Σ T_TRAINED / Σ T_STAFF × 100 in the sample forms
PAGE = f"/opendata/progress/{PLAN}/{LABEL}/"
FIGURES = f"/opendata/progress/{PLAN}/{LABEL}/figures."


def unit_values(client, fmt: str = "json") -> dict[str, float | None]:
    """The units' figures in a download: unit code → value."""
    response = client.get(FIGURES + fmt)
    assert response.status_code == 200
    if fmt == "json":
        rows = json.loads(response.content)
    elif fmt == "csv":
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    else:
        sheet = load_workbook(io.BytesIO(response.content)).active
        header, *body = [list(r) for r in sheet.iter_rows(values_only=True)]
        rows = [dict(zip(header, r, strict=True)) for r in body]
    found = {}
    for row in rows:
        if row["level"] == "unit":
            value = row["value"]
            found[str(row["unit_code"])] = float(value) if value not in (None, "") else None
    return found


def public_texts(client) -> dict[str, str]:
    """Every public endpoint that may show the indicator's figures, as text."""
    anonymous = AnonymousUser()
    texts = {}
    for url in (
        f"/opendata/progress/{PLAN}/",
        f"/opendata/progress/{PLAN}/targets.csv",
        f"/opendata/progress/{PLAN}/targets.json",
        PAGE,
        FIGURES + "csv",
        FIGURES + "json",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        texts[url] = response.content.decode()
    dataset = Dataset.objects.filter(name=indicator_dataset_name(PLAN, LABEL)).first()
    if dataset is not None and dataset.state == Dataset.State.PUBLISHED:
        response = client.get(f"/opendata/dataset/{dataset.name}/data.csv")
        texts["dataset.csv"] = b"".join(response.streaming_content).decode()
        records = dataset_rows(user=anonymous, dataset=dataset, query=RowsQuery(limit=1000)).records
        texts["datastore"] = json.dumps(records)
        ckan = client.get(f"/opendata/api/3/action/datastore_search?resource_id={dataset.uid}&limit=1000")
        assert ckan.status_code == 200
        texts["ckan datastore_search"] = ckan.content.decode()
    return texts


def test_the_province_page_shows_every_target_of_the_year_with_its_status(client, shipped_data):
    plan = public_plan(code=PLAN)
    response = client.get("/opendata/progress/")
    assert response.status_code == 200
    page = response.content.decode()
    indicators = Indicator.objects.filter(plan=plan)
    assert page.count('class="list-group-item target-row"') == indicators.count() > 30
    for indicator in indicators:
        assert f'data-indicator="{indicator.label}"' in page
    assert 'class="badge verdict verdict-' in page and "progress-badge" in page
    assert "csrfmiddlewaretoken" not in page  # one rendering serves every reader


def test_a_filter_by_status_keeps_only_the_targets_in_it_and_the_file_follows_it(
    client, small_forms, office_admin
):
    report(office_admin, "21211", "20", "20")  # 100 %: V.1 is met
    response = client.get(f"/opendata/progress/{PLAN}/?status=dat")
    page = response.content.decode()
    assert f'data-indicator="{LABEL}"' in page
    shown = page.count('class="list-group-item target-row"')
    rows = json.loads(client.get(f"/opendata/progress/{PLAN}/targets.json?status=dat").content)
    assert len(rows) == shown >= 1
    assert {r["verdict"] for r in rows} == {"dat"}
    assert client.get(f"/opendata/progress/{PLAN}/?status=anything").status_code == 200  # ignored


def test_an_indicator_page_shows_approved_unit_figures_and_its_downloads_hold_exactly_them(
    client, small_forms, office_admin
):
    report(office_admin, "21211", "10", "20")  # 50 %
    report(office_admin, "21172", "90", "100")  # 90 %
    report(office_admin, "21025", "7", "9", approve=False)  # a draft
    response = client.get(PAGE)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Tịnh Khê" in page and "50%" in page and "90%" in page
    assert "77,78" not in page  # the draft's 7/9
    for fmt in ("json", "csv", "xlsx"):
        values = unit_values(client, fmt)
        assert values["21211"] == 50 and values["21172"] == 90, fmt
        assert values.get("21025") is None, fmt
    assert "Phương pháp tính" in page and "Σ" in page


def test_a_draft_never_reaches_a_public_endpoint_and_a_reopened_report_leaves_them_all(
    client, small_forms, office_admin
):
    draft = report(office_admin, "21211", "37", "41", approve=False)  # 90,24…%
    build(create_indicator_datasets=PLAN)
    marker = "90,24"
    for url, text in public_texts(client).items():
        assert marker not in text and "90.24" not in text, url

    approved = report(office_admin, "21211", "37", "41")
    assert approved.pk == draft.pk
    build()
    seen = public_texts(client)
    assert any(marker in t or "90.24" in t for t in seen.values())
    assert "90.24" in seen[FIGURES + "json"] and "90.24" in seen["datastore"]
    assert "90.24" in seen["ckan datastore_search"]

    submission_reopen(actor=office_admin, submission=approved, reason="Số liệu sai", version=None)
    build()
    for url, text in public_texts(client).items():
        assert marker not in text and "90.24" not in text, url


def test_a_withdrawn_dataset_is_no_longer_linked_from_the_indicator_page(client, small_forms, office_admin):
    report(office_admin, "21211", "10", "20")
    build(create_indicator_datasets=PLAN)
    dataset = Dataset.objects.get(name=indicator_dataset_name(PLAN, LABEL))
    link = reverse("opendata-dataset", args=[dataset.name])
    assert link in client.get(PAGE).content.decode()
    dataset_withdraw(actor=office_admin, dataset=dataset, reason="Rà soát")
    assert link not in client.get(PAGE).content.decode()


def test_a_withheld_unit_and_the_units_below_it_leave_the_pages_the_downloads_and_the_built_dataset(
    client, small_forms, office_admin
):
    report(office_admin, "21211", "10", "20")
    report(office_admin, "21172", "90", "100")
    build(create_indicator_datasets=PLAN)
    indicator = public_indicator(plan=public_plan(code=PLAN), label=LABEL)
    province_before = indicator_figures(indicator=indicator).row.evaluation.value
    withheld = OrgUnit.objects.get(code="21211")

    withheld_mark(actor=office_admin, unit=withheld, indicator=None, reason="Số liệu đang được thanh tra")
    build()

    assert "21211" not in unit_values(client) and unit_values(client)["21172"] == 90
    page = client.get(PAGE).content.decode()
    assert withheld.name not in page and 'id="withheld-note"' in page
    figures = indicator_figures(indicator=indicator)
    assert [r.rank for r in figures.drill.reported] == [1]  # ranked anew among the units shown
    assert figures.row.evaluation.value == province_before  # the province's figure still counts it
    dataset = Dataset.objects.get(name=indicator_dataset_name(PLAN, LABEL))
    codes = {
        r["unit_code"]
        for r in dataset_rows(user=AnonymousUser(), dataset=dataset, query=RowsQuery(limit=1000)).records
    }
    assert "21211" not in codes and "21172" in codes

    mark = WithheldUnit.objects.get(unit=withheld)
    withheld_unmark(actor=office_admin, mark_id=mark.pk)
    assert unit_values(client)["21211"] == 50


def test_a_mark_for_one_indicator_leaves_the_others_public(client, small_forms, office_admin):
    report(office_admin, "21211", "10", "20")
    other = Indicator.objects.filter(plan__code=PLAN).exclude(group__code="V", number="1").first()
    withheld_mark(
        actor=office_admin,
        unit=OrgUnit.objects.get(code="21211"),
        indicator=other,
        reason="Riêng chỉ tiêu khác",
    )
    assert unit_values(client)["21211"] == 50


def test_only_an_admin_of_the_unit_or_above_may_withhold_it_and_every_mark_is_audited(
    shipped_data, office_admin, tinhkhe_reporter
):
    tinhkhe = OrgUnit.objects.get(code="21211")
    with pytest.raises(PermissionDeniedError):
        withheld_mark(actor=tinhkhe_reporter, unit=tinhkhe, indicator=None, reason="Không công khai")
    Membership.objects.filter(user=tinhkhe_reporter).update(role=Membership.Role.ADMIN)
    mark = withheld_mark(actor=tinhkhe_reporter, unit=tinhkhe, indicator=None, reason="Không công khai")
    with pytest.raises(PermissionDeniedError):  # another commune is not theirs
        withheld_mark(
            actor=tinhkhe_reporter, unit=OrgUnit.objects.get(code="21172"), indicator=None, reason="x"
        )
    with pytest.raises(ApplicationError) as twice:
        withheld_mark(actor=office_admin, unit=tinhkhe, indicator=None, reason="Lần hai")
    assert twice.value.field == "unit"
    with pytest.raises(ApplicationError) as blank:
        withheld_mark(actor=office_admin, unit=OrgUnit.objects.get(code="21172"), indicator=None, reason="  ")
    assert blank.value.field == "reason"
    assert WithheldUnit.objects.count() == 1
    assert AuditLog.objects.filter(action="opendata.withheld_mark", object_id=str(mark.pk)).count() == 1
    with pytest.raises(NotFoundError):
        withheld_unmark(actor=AnonymousUser(), mark_id=mark.pk)
    withheld_unmark(actor=office_admin, mark_id=mark.pk)
    assert not WithheldUnit.objects.exists()
    assert AuditLog.objects.filter(action="opendata.withheld_unmark").count() == 1


def test_the_withheld_page_keeps_what_was_typed_on_an_error_and_is_a_404_for_a_non_admin(
    client, shipped_data, office_admin, tinhkhe_viewer
):
    client.force_login(tinhkhe_viewer)
    assert client.get("/opendata/manage/withheld/").status_code == 404
    client.force_login(office_admin)
    response = client.post("/opendata/manage/withheld/", {"unit": "21211", "indicator": "", "reason": ""})
    assert response.status_code == 422
    page = response.content.decode()
    assert 'id="reason-error"' in page and 'value="21211" selected' in page
    assert not WithheldUnit.objects.exists()
    response = client.post(
        "/opendata/manage/withheld/", {"unit": "21211", "indicator": "", "reason": "Thanh tra"}
    )
    assert response.status_code == 302
    mark = WithheldUnit.objects.get()
    assert "Thanh tra" in client.get("/opendata/manage/withheld/?q=tinh khe").content.decode()
    assert client.post(f"/opendata/manage/withheld/{mark.pk}/remove").status_code == 302
    assert not WithheldUnit.objects.exists()


def test_a_page_answers_304_to_its_etag_and_a_change_of_data_gives_a_new_one(
    client, small_forms, office_admin
):
    first = client.get(PAGE)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert first["Cache-Control"] == "public, no-cache"
    assert client.get(PAGE, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(FIGURES + "csv", HTTP_IF_NONE_MATCH=etag).status_code == 200  # its own tag

    report(office_admin, "21211", "10", "20")
    again = client.get(PAGE, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200 and again["ETag"] != etag
    assert "50%" in again.content.decode() or "50" in again.content.decode()
    assert again["Last-Modified"] >= modified or again["Last-Modified"] != modified


def test_the_publics_rendering_is_answered_from_the_store_without_a_query_until_the_data_changes(
    client, small_forms, office_admin, settings, django_assert_num_queries
):
    settings.TIENDO_ANALYTICS_CACHE_SECONDS = 60
    from django.core.cache import cache

    cache.clear()
    before = client.get(PAGE)
    with django_assert_num_queries(0):
        kept = client.get(PAGE)
    assert kept.content == before.content
    assert (
        kept["ETag"] == before["ETag"]
        and kept["Content-Security-Policy"] == before["Content-Security-Policy"]
    )
    with django_assert_num_queries(0):
        assert client.get(PAGE, HTTP_IF_NONE_MATCH=before["ETag"]).status_code == 304
    english = client.get(PAGE, HTTP_COOKIE="django_language=en")
    assert english["ETag"] != before["ETag"] and b"Method of computation" in english.content

    client.force_login(office_admin)
    signed_in = client.get(PAGE)
    assert signed_in["Cache-Control"] == "private, no-cache"
    assert office_admin.username.encode() in signed_in.content  # rendered for them, not the public's copy
    client.logout()
    client.cookies.pop("sessionid", None)

    report(office_admin, "21211", "10", "20")
    cache.delete("opendata:progress-stamp")  # the stamp is kept a second (here 60 s): that time has passed
    after = client.get(PAGE)
    assert after["ETag"] != before["ETag"] and after.content != before.content


def test_unknown_plans_indicators_and_periods_are_a_404(client, small_forms):
    assert client.get("/opendata/progress/no-such-plan/").status_code == 404
    assert client.get(f"/opendata/progress/{PLAN}/IX.99/").status_code == 404
    assert client.get(f"/opendata/progress/{PLAN}/nonsense/").status_code == 404
    assert client.get(f"{PAGE}?period=2026Q9").status_code == 404
    assert client.get(f"/opendata/progress/{PLAN}/IX.99/figures.csv").status_code == 404


def test_the_language_link_sets_the_cookie_and_goes_back_only_to_this_site(client, shipped_data):
    response = client.get("/opendata/language/en/?next=" + PAGE)
    assert response.status_code == 302 and response["Location"] == PAGE
    assert response.cookies["django_language"].value == "en"
    assert (
        client.get("/opendata/language/en/?next=https://evil.example/").headers["Location"]
        == "/opendata/progress/"
    )
    english = client.get("/opendata/progress/").content.decode()
    assert 'lang="en"' in english and "Digital transformation progress" in english


def test_the_page_says_when_a_result_rests_on_simulated_data(client, small_forms, office_admin):
    from tiendo.reporting.models import DataValue

    report(office_admin, "21211", "10", "20")
    report(office_admin, "21172", "90", "100")
    DataValue.objects.filter(unit__code="21211").update(is_simulated=True)
    rows = json.loads(client.get(FIGURES + "json").content)
    flags = {r["unit_code"]: r["simulated"] for r in rows if r["level"] == "unit" and r["value"] is not None}
    assert flags == {"21211": 1, "21172": 0}
    league = client.get(PAGE).content.decode().split('id="league"')[1]
    assert league.count('<span class="badge text-bg-warning">mô phỏng</span>') == 1


def test_the_store_never_answers_before_the_https_redirect_or_for_a_foreign_host(
    client, small_forms, settings
):
    settings.TIENDO_ANALYTICS_CACHE_SECONDS = 60
    from django.core.cache import cache

    cache.clear()
    assert client.get(PAGE).status_code == 200  # rendered and stored
    assert client.get(PAGE, HTTP_HOST="evil.example").status_code == 400
    settings.SECURE_SSL_REDIRECT = True
    from django.test import Client

    fresh = Client()  # its middleware is built with the redirect on; the http rendering is still stored
    redirected = fresh.get(PAGE)
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")
    assert fresh.get(PAGE, secure=True).status_code == 200
