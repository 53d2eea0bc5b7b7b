"""A citizen in a real browser (Playwright driving Debian's Chromium against the live server): finds a
dataset by a word typed without diacritics, opens it, downloads the CSV and reads in it the numbers
the page previews; the catalogue and the dataset's page fit a 390 px phone.

Without Chromium these tests skip on a developer's machine; under CI=true they fail. With SHOTS_DIR
set, the pages are also saved as screenshots there (desktop 1366 px and phone 390 px, vi and en)."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tiendo.conftest import IN_CI
from tiendo.opendata.models import Dataset
from tiendo.opendata.reference import reference_load
from tiendo.opendata.tests.conftest import published_health_dataset
from tiendo.orgunits.models import OrgUnit
from tiendo.web.tests.test_browser import CspWatch, chromium

__all__ = ["chromium"]  # the fixture: one Chromium for the module

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def browser(chromium) -> Iterator[CspWatch]:
    """Chromium, watched: a script or style the Content-Security-Policy refuses fails the test."""
    watch = CspWatch(chromium)
    yield watch
    assert not watch.violations, "refused by the Content-Security-Policy:\n" + "\n".join(watch.violations)


@pytest.fixture
def portal(live_server, syt_admin, skhcn_reporter) -> tuple[str, Dataset]:
    """The live server with three published datasets; returns its address and the health one."""
    reference_load()  # the licences and themes, emptied by any transactional test before this one
    health = published_health_dataset(
        syt_admin,
        title_en="Commune health stations and electronic health records",
        description="Số trạm y tế và tỷ lệ người dân có hồ sơ sức khỏe điện tử, theo xã, năm 2025.",
        description_en="Health stations and the share of residents with an electronic health record, by commune.",
        spatial=OrgUnit.objects.get(code="51"),
    )
    published_health_dataset(
        skhcn_reporter,
        title="Doanh nghiệp khoa học và công nghệ theo xã",
        title_en="Science and technology enterprises by commune",
        publisher=OrgUnit.objects.get(code="SKHCN"),
        themes=("TECH", "ECON"),
        keywords=("doanh nghiệp", "khoa học"),
        licence="CC0-1.0",
    )
    published_health_dataset(
        syt_admin,
        title="Danh sách cơ sở khám chữa bệnh (dùng chung)",
        title_en="Health facilities (shared)",
        access=Dataset.Access.SHARED,
    )
    return live_server.url, health


def shot(page, name: str) -> None:
    """A full-page screenshot into SHOTS_DIR, when it is set (to look at the pages, not to test)."""
    folder = os.environ.get("SHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def numbers_from_page(text: str) -> str:
    """A number as the Vietnamese page writes it (98,25 · 1.293) as the file writes it (98.25 · 1293)."""
    return text.replace(".", "").replace(",", ".")


def test_a_citizen_finds_a_dataset_without_diacritics_downloads_the_csv_and_reads_the_same_numbers(
    browser, portal
):
    site, health = portal
    page = browser.new_page(viewport=DESKTOP, accept_downloads=True)
    page.goto(site + "/opendata/")
    assert page.locator("#datasets .dataset-item").count() == 3
    shot(page, "catalogue-desktop-vi")

    page.fill("#q", "tram y te")
    page.get_by_role("button", name="Tìm", exact=True).click()
    page.wait_for_url("**/opendata/?q=tram+y+te")
    assert page.locator("#datasets .dataset-item").count() == 1
    page.get_by_role("link", name="Trạm y tế xã và hồ sơ sức khỏe điện tử").click()
    page.wait_for_selector("#preview")
    assert page.url == f"{site}/opendata/dataset/{health.name}/"
    shown = [
        [cell.inner_text().strip() for cell in row.locator("td").all()]
        for row in page.locator("#preview tbody tr").all()
    ]
    assert shown[0][:2] == ["21211", "Xã Tịnh Khê"] and shown[0][4] == "96,5"
    shot(page, "dataset-desktop-vi")

    with page.expect_download() as event:
        page.locator("#download-csv").click()
    download = event.value
    assert download.suggested_filename == f"{health.name}-v1.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == ["ma_xa", "ten_xa", "nam", "so_tram_y_te", "ty_le_ho_so_dien_tu"]
    assert len(rows) - 1 == len(shown) == 2
    for on_page, in_file in zip(shown, rows[1:], strict=True):
        assert on_page[1] == in_file[1]
        assert [numbers_from_page(on_page[i]) for i in (0, 2, 3, 4)] == [in_file[i] for i in (0, 2, 3, 4)]

    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang='en']")
    assert (
        page.locator("#dataset-title").inner_text() == "Commune health stations and electronic health records"
    )
    assert page.locator("#preview tbody tr").first.locator("td").nth(4).inner_text() == "96.5"
    shot(page, "dataset-desktop-en")
    page.goto(site + "/opendata/")
    assert "Science and technology enterprises by commune" in page.locator("#datasets").inner_text()
    shot(page, "catalogue-desktop-en")
    page.close()


def test_the_catalogue_and_a_dataset_fit_a_phone_and_its_filters_open_on_demand(browser, portal):
    site, health = portal
    for language in ("vi", "en"):
        context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
        if language == "en":
            context.add_cookies([{"name": "django_language", "value": "en", "url": site}])
        page = context.new_page()
        page.on("console", browser._console)
        for name, path in (("catalogue", "/opendata/"), ("dataset", f"/opendata/dataset/{health.name}/")):
            page.goto(site + path)
            assert page.locator("html").get_attribute("lang") == language
            # a phone widens its layout viewport (window.innerWidth) to what overflows: compare with 390
            for box in ("document.documentElement", "document.body"):
                overflow = page.evaluate(f"{box}.scrollWidth") - PHONE["width"]
                assert overflow <= 1, f"{path} ({language}): {box} is {overflow}px wider than the phone"
            shot(page, f"{name}-phone-{language}")

        page.goto(site + "/opendata/")
        facets = page.locator("#facets")
        assert not facets.is_visible()  # the results come first on a phone
        page.locator("button[aria-controls='facets']").click()
        facets.wait_for(state="visible")
        page.locator("[data-facet='publisher'] a[data-key='SKHCN']").click()
        page.wait_for_url("**/opendata/?publisher=SKHCN")
        assert page.locator("#datasets .dataset-item").count() == 1
        context.close()


AXE = Path(__file__).resolve().parents[4] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[str]:
    """axe-core's WCAG 2.1 A/AA rules on the page as it stands: the serious and critical findings."""
    page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        "async () => (await axe.run(document, {runOnly: {type: 'tag', values: "
        "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})).violations"
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {', '.join(n['target'][0] for n in v['nodes'][:3])}"
        for v in found
        if v["impact"] in ("serious", "critical")
    ]


def test_the_catalogue_and_a_dataset_page_pass_axe_without_a_serious_violation(chromium, portal):
    if not AXE.exists():
        message = f"axe-core not found at {AXE} (npm ci)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    site, health = portal
    shared = Dataset.objects.get(access=Dataset.Access.SHARED)
    found: dict[str, list[str]] = {}
    for language in ("vi", "en"):
        # axe is injected as a script of its own: the page's Content-Security-Policy is set aside here only
        context = chromium.new_context(viewport=DESKTOP, bypass_csp=True)
        context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        page = context.new_page()
        for path in (
            "/opendata/",
            "/opendata/?q=y+te",
            f"/opendata/dataset/{health.name}/",
            f"/opendata/dataset/{shared.name}/",
        ):
            page.goto(site + path)
            found[f"{path} ({language})"] = axe_violations(page)
        context.close()

    problems = {where: found_here for where, found_here in found.items() if found_here}
    assert not problems, "\n".join(
        f"{where}: {p}" for where, found_here in problems.items() for p in found_here
    )
