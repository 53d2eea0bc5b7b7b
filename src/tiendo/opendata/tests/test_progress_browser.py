"""The public progress pages in a real browser (Playwright driving Debian's Chromium against the live
server): a citizen goes from the province's page to an indicator, sees its chart drawn, downloads
its CSV and reads in it the numbers of the units' table; both pages fit a 390 px phone in Vietnamese
and English; axe-core finds no serious or critical WCAG 2.1 AA violation on them.

Without Chromium these tests skip on a developer's machine; under CI=true they fail."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tiendo.conftest import IN_CI
from tiendo.opendata.tests.test_build import report
from tiendo.opendata.tests.test_catalogue_browser import (
    AXE,
    DESKTOP,
    PHONE,
    axe_violations,
    browser,
    numbers_from_page,
    shot,
)
from tiendo.web.tests.test_browser import chromium

__all__ = ["browser", "chromium"]  # the fixtures

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN = "quang-ngai-2026"
LABEL = "V.1"


@pytest.fixture
def progress(live_server, small_forms, office_admin) -> str:
    """The live server with three communes' approved reports of the quarter on V.1."""
    report(office_admin, "21211", "10", "20")  # 50 %
    report(office_admin, "21172", "90", "100")  # 90 %
    report(office_admin, "21025", "7", "9", approve=False)  # a draft: shown nowhere
    return live_server.url


def test_a_citizen_opens_an_indicator_from_the_province_page_and_its_csv_holds_the_tables_numbers(
    browser, progress
):
    page = browser.new_page(viewport=DESKTOP, accept_downloads=True)
    page.goto(progress + "/opendata/progress/")
    assert page.locator(".target-row").count() > 30
    shot(page, "progress-plan-desktop-vi")
    page.locator(f".target-row[data-indicator='{LABEL}'] a").click()
    page.wait_for_url(f"**/opendata/progress/{PLAN}/{LABEL}/")
    page.wait_for_selector("#indicator-chart[data-ready='true']")
    shown = {}
    for row in page.locator("#league tbody tr").all():
        cells = [cell.inner_text().strip() for cell in row.locator("td").all()]
        shown[cells[1]] = numbers_from_page(cells[4].split("%")[0].strip()) if cells[4] != "—" else ""
    assert shown["Xã Tịnh Khê"] == "50" and shown["Phường Trương Quang Trọng"] == "90"
    shot(page, "progress-indicator-desktop-vi")

    with page.expect_download() as event:
        page.locator(".download-link[data-format='csv']").click()
    rows = list(csv.DictReader(io.StringIO(Path(event.value.path()).read_text(encoding="utf-8"))))
    in_file = {r["unit_name"]: r["value"] for r in rows if r["level"] == "unit"}
    assert in_file == shown
    assert in_file["Xã Tịnh Khê"] == "50"
    assert "77.77" not in str(rows) and "77.78" not in str(rows)  # the draft

    page.locator("#language-links a[lang='en']").click()
    page.wait_for_selector("html[lang='en']")
    assert page.url.endswith(f"/opendata/progress/{PLAN}/{LABEL}/")
    assert "Method of computation" in page.locator("#metadata").inner_text()
    shot(page, "progress-indicator-desktop-en")
    page.close()


def test_the_progress_pages_fit_a_phone_in_both_languages(browser, progress):
    for language in ("vi", "en"):
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        context.add_cookies([{"name": "django_language", "value": language, "url": progress}])
        page = context.new_page()
        for name, path in (
            ("plan", "/opendata/progress/"),
            ("indicator", f"/opendata/progress/{PLAN}/{LABEL}/"),
        ):
            page.goto(progress + path)
            assert page.locator("html").get_attribute("lang") == language
            for box in ("document.documentElement", "document.body"):
                overflow = page.evaluate(f"{box}.scrollWidth") - PHONE["width"]
                assert overflow <= 1, f"{path} ({language}): {box} is {overflow}px wider than the phone"
            shot(page, f"progress-{name}-phone-{language}")
        context.close()


def test_the_progress_pages_pass_axe_without_a_serious_violation(chromium, progress):
    if not AXE.exists():
        message = f"axe-core not found at {AXE} (npm ci)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    found: dict[str, list[str]] = {}
    for language in ("vi", "en"):
        context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)  # axe is a script of its own
        context.add_cookies([{"name": "django_language", "value": language, "url": progress}])
        page = context.new_page()
        for path in (
            "/opendata/progress/",
            f"/opendata/progress/{PLAN}/?status=dat",
            f"/opendata/progress/{PLAN}/{LABEL}/",
        ):
            page.goto(progress + path)
            if path.endswith(f"{LABEL}/"):
                page.wait_for_selector("#indicator-chart[data-ready='true']")
            found[f"{path} ({language})"] = axe_violations(page)
        context.close()
    problems = {where: here for where, here in found.items() if here}
    assert not problems, "\n".join(f"{where}: {p}" for where, here in problems.items() for p in here)
