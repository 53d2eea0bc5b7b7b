"""Real browser tests: Playwright for Python driving Debian's Chromium against the live server.

Without /usr/bin/chromium these tests skip on a developer's machine; under CI=true they fail.
"""

import os
from pathlib import Path

import pytest

from tiendo.conftest import IN_CI, load_shipped_data

CHROMIUM = Path(os.environ.get("TIENDO_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[4] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class CspWatch:
    """Every page opened through it reports what the Content-Security-Policy refused (a console
    error or a `securitypolicyviolation` event); a test fails on any."""

    def __init__(self, browser) -> None:
        self.browser = browser
        self.violations: list[str] = []

    def new_page(self, **options):
        page = self.browser.new_page(**options)
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.violations.append(f"page error: {error}"))
        return page

    def _console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self.violations.append(message.text)

    def __getattr__(self, name):
        return getattr(self.browser, name)


@pytest.fixture(scope="module")
def chromium():
    if not CHROMIUM.exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses to run
    # beside it unless told that this test thread is not async code.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def browser(chromium):
    """Chromium, watched: a script, style or frame the policy refuses fails the test."""
    watch = CspWatch(chromium)
    yield watch
    assert not watch.violations, "refused by the Content-Security-Policy:\n" + "\n".join(watch.violations)


@pytest.fixture
def site(live_server):
    load_shipped_data()
    return live_server.url


def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_visitor_follows_an_indicator_sees_its_chart_and_switches_to_english(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
    page.goto(site + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    page.get_by_role(
        "link",
        name="Cung cấp dịch vụ công trực tuyến toàn trình đạt tỷ lệ 95% thủ tục hành chính có đủ điều kiện",
    ).first.click()
    page.wait_for_selector("#indicator-chart[data-ready='true'] svg")
    assert page.locator("#latest").inner_text().strip() == "44,91%"
    assert "Chưa đạt" in page.locator(".verdict").first.inner_text()
    assert page.locator("#indicator-chart svg text", has_text="Mục tiêu 95%").count() == 1
    shot(page, "indicator-vi")
    page.get_by_role("button", name="English").click()
    page.wait_for_selector("html[lang='en']")
    assert page.locator("h1").inner_text().startswith("I.1. Fully online public services")
    assert page.locator("#latest").inner_text().strip() == "44.91%"
    page.wait_for_selector("#indicator-chart[data-ready='true'] svg")
    shot(page, "indicator-en")
    page.close()


def test_a_clerk_searches_the_communes_as_they_type(browser, site):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/units/")
    assert "96" in page.locator("#unit-count").inner_text()
    page.fill("#unit-search", "ly son")
    # a function, not an expression: Playwright evals an expression inside the page, which the CSP refuses
    page.wait_for_function("() => document.querySelector('#unit-count').innerText.startsWith('1 ')")
    assert page.locator("#units tbody tr").count() == 1
    assert "Đặc khu Lý Sơn" in page.locator("#units tbody").inner_text()
    page.close()


def test_the_pages_fit_a_phone_screen(browser, site):
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True)
    for path in ("/", "/plans/quang-ngai-2026/", "/units/"):
        page.goto(site + path)
        # a phone widens its layout viewport (window.innerWidth) to what overflows: compare with 390
        overflow = page.evaluate("document.documentElement.scrollWidth") - 390
        assert overflow <= 1, f"{path} is {overflow}px wider than the phone screen"
    assert page.locator(".navbar-toggler").is_visible()
    page.goto(site + "/")
    shot(page, "home-phone")
    page.close()


def test_a_commune_viewer_logs_in_and_sees_only_their_own_private_data(browser, site, django_user_model):
    from tiendo.orgunits.models import Membership, OrgUnit

    user = django_user_model.objects.create_user(username="xem", password="mat-khau-dai-123")
    Membership.objects.create(user=user, unit=OrgUnit.objects.get(code="21211"), role=Membership.Role.VIEWER)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(site + "/accounts/login/")
    page.fill("#id_username", "xem")
    page.fill("#id_password", "mat-khau-dai-123")
    page.click("main button[type=submit]")
    page.wait_for_url(site + "/")
    page.goto(site + "/units/21211/")
    assert page.locator("#unit-values").count() == 1
    page.goto(site + "/units/21172/")
    assert page.locator("#unit-values").count() == 0
    assert page.locator("#private-hidden").count() == 1
    page.close()


def login(page, site: str, username: str, password: str) -> None:
    """Sign in through the form; an admin or a reviewer then enrols a second factor as a person
    would, typing the code their authenticator app computes from the secret shown on the page."""
    import base64

    from django_otp.oath import totp

    page.goto(site + "/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    if "/accounts/2fa/enrol/" in page.url:
        shot(page, "otp-enrol")
        secret = base64.b32decode(page.locator("#otp-secret").inner_text().strip())
        page.fill("#id_code", f"{totp(secret):06d}")
        page.click("main button[type=submit]")
        page.wait_for_selector("#backup-codes")
        assert page.locator("#backup-codes li").count() == 10
        page.get_by_role("link", name="Tôi đã lưu các mã, tiếp tục").click()
    page.wait_for_url(site + "/")


def test_a_commune_clerk_fills_the_quarterly_form_fixes_a_flagged_value_and_a_reviewer_approves(
    browser, site, django_user_model
):
    from tiendo.orgunits.models import Membership, OrgUnit
    from tiendo.reporting.models import Submission

    clerk = django_user_model.objects.create_user(username="vanthu", password="mat-khau-dai-123")
    Membership.objects.create(
        user=clerk, unit=OrgUnit.objects.get(code="21211"), role=Membership.Role.REPORTER
    )
    leader = django_user_model.objects.create_user(username="lanhdao", password="mat-khau-dai-456")
    Membership.objects.create(
        user=leader, unit=OrgUnit.objects.get(code="SKHCN"), role=Membership.Role.REVIEWER
    )

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, "vanthu", "mat-khau-dai-123")
    page.goto(site + "/reports/")
    page.locator("a[href='/reports/CDS-XA-Q/21211/2026Q1/']").first.click()
    page.wait_for_selector("#entry-grid")
    for select in page.locator("#entry-grid select").all():
        select.select_option("1")
    for field in page.locator("#entry-grid input[name^='v_']").all():
        field.fill("10")
    page.fill("input[name='v_DV_LAN_OK']", "12")  # more working networks than networks
    page.get_by_role("button", name="Kiểm tra").click()
    page.wait_for_function("() => document.querySelector('#violations').innerText.includes('XA-R01')")
    assert "bắt buộc" not in page.locator("#violations").inner_text()  # every required value is typed
    page.fill("input[name='v_DV_LAN_OK']", "9")
    shot(page, "report-entry")
    page.get_by_role("button", name="Gửi báo cáo").click()
    page.wait_for_selector(".status-submitted")
    assert (
        Submission.objects.get(dataset__code="CDS-XA-Q", unit__code="21211", period="2026Q1").status
        == "submitted"
    )
    page.context.clear_cookies()

    login(page, site, "lanhdao", "mat-khau-dai-456")
    page.goto(site + "/reports/")
    page.get_by_role("link", name="Xem và duyệt").click()
    page.get_by_role("button", name="Duyệt").click()
    page.wait_for_selector(".status-approved")
    assert "DV_LAN_OK</code>: — → 9" in page.content() or "DV_LAN_OK" in page.locator("#trail").inner_text()
    shot(page, "report-approved")
    page.close()


def test_a_leader_drills_down_from_an_indicator_to_a_commune_on_the_map(browser, site, django_user_model):
    from tiendo.analytics.tests.test_drilldown import GEO, second_reviewer
    from tiendo.orgunits.boundaries import boundaries_load
    from tiendo.orgunits.models import OrgUnit
    from tiendo.plans.models import Indicator
    from tiendo.reporting.models import DataSet
    from tiendo.reporting.services import (
        submission_approve,
        submission_open,
        submission_save,
        submission_submit,
    )

    if not GEO.exists():
        message = f"the boundary file is not beside the checkout: {GEO}"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    boundaries_load(path=GEO)
    office = django_user_model.objects.create_superuser("vp.cds", "vp@example.vn", "mat-khau-dai-789")
    form = DataSet.objects.get(code="CDS-XA-Q")
    for code, working in (("21211", "1"), ("21172", "3")):
        draft = submission_open(
            actor=office, dataset=form, unit=OrgUnit.objects.get(code=code), period="2026Q1"
        )
        values = {
            fe.element.code: "1" if fe.element.value_type == "boolean" else "4"
            for fe in form.form_elements.select_related("element")
        }
        saved = submission_save(
            actor=office, submission=draft, values={**values, "DV_LAN_OK": working}, version=None
        )
        submission_approve(
            actor=second_reviewer(),  # four eyes: not the one who filled and sent it
            submission=submission_submit(actor=office, submission=saved.submission, version=None),
            version=None,
        )
    indicator = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="II", number="2")
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(f"{site}/indicators/{indicator.pk}/")
    page.click("#drilldown")
    page.wait_for_selector("#unit-map[data-ready='true'] svg path", timeout=20000)
    assert page.locator("#league tbody tr").first.inner_text().startswith("2")  # worst first: 1 of 4 networks
    shot(page, "drilldown-map")
    page.locator("#league").get_by_role("link", name="Xã Tịnh Khê").click()
    page.wait_for_selector("h1")
    assert "Xã Tịnh Khê" in page.locator("h1").inner_text()
    page.close()


def test_the_office_writes_the_reports_text_downloads_it_and_anyone_verifies_a_sealed_pdf(
    browser, site, django_user_model, tmp_path
):
    from tiendo.documents.services import pdf_sign, signing_certificate_upload
    from tiendo.documents.tests.test_pdf_signing import a_pdf
    from tiendo.documents.tests.throwaway_ca import ThrowawayCA
    from tiendo.orgunits.models import Membership, OrgUnit

    office = django_user_model.objects.create_user(username="vanphong", password="mat-khau-dai-789")
    Membership.objects.create(user=office, unit=OrgUnit.objects.get(code="51"), role=Membership.Role.ADMIN)
    page = browser.new_page(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    login(page, site, "vanphong", "mat-khau-dai-789")
    page.goto(site + "/plans/quang-ngai-2025/")
    page.get_by_role("link", name="Sửa lời văn báo cáo").click()
    page.fill(
        "#template-body", "Năm {{ year }}: {{ indicators.dat_count }} chỉ tiêu đạt; {{ indicators.sai }}"
    )
    page.get_by_role("button", name="Lưu thành bản mới").click()
    assert "sai" in page.locator("#template-error").inner_text()  # named, and the text is still there
    assert "indicators.sai" in page.locator("#template-body").input_value()
    page.fill("#template-body", "Năm {{ year }}: {{ indicators.dat_count }} chỉ tiêu đạt.")
    page.get_by_role("button", name="Xem trước với số liệu").click()
    assert "Năm 2025: 19 chỉ tiêu đạt." in page.locator("#template-preview").inner_text()
    page.get_by_role("button", name="Lưu thành bản mới").click()
    assert page.locator("#template-versions tbody tr").count() == 1
    shot(page, "report-template")
    page.goto(site + "/plans/quang-ngai-2025/")
    with page.expect_download() as download:
        page.get_by_role("link", name="Báo cáo đánh giá (DOCX)").click()
    assert download.value.suggested_filename == "bao-cao-quang-ngai-2025.docx"
    page.close()

    ca = ThrowawayCA()
    signing_certificate_upload(
        actor=office, name="Sở", content=ca.issue_pkcs12("Sở Khoa học"), passphrase="mat-khau"
    )
    sealed = tmp_path / "sealed.pdf"
    sealed.write_bytes(pdf_sign(actor=office, pdf=a_pdf(), reason="thử"))
    visitor = browser.new_page(viewport={"width": 1280, "height": 900})
    visitor.goto(site + "/")
    visitor.get_by_role("link", name="Kiểm tra chữ ký").click()
    visitor.set_input_files("input[name=pdf]", str(sealed))
    visitor.get_by_role("button", name="Kiểm tra").click()
    assert "Nguyên vẹn, chữ ký hợp lệ" in visitor.locator("#verify-result").inner_text()
    shot(visitor, "verify")
    visitor.close()


def test_the_watch_catches_a_script_the_policy_refuses(browser, site):
    page = browser.new_page()
    page.goto(site + "/")
    page.evaluate(
        "() => { const s = document.createElement('script'); s.textContent = 'window.ran = 1';"
        " document.body.appendChild(s); }"
    )
    page.wait_for_timeout(200)
    assert page.evaluate("() => window.ran") is None
    assert any("script-src" in text for text in browser.violations)
    browser.violations.clear()  # refused as it should be: not a failure of this test
    page.close()


def test_the_office_issues_rotates_and_revokes_a_token_and_picks_a_period_without_inline_script(
    browser, site, django_user_model
):
    from tiendo.orgunits.models import Membership, OrgUnit
    from tiendo.reporting.models import ApiToken

    office = django_user_model.objects.create_user(username="vanphong", password="mat-khau-dai-789")
    Membership.objects.create(user=office, unit=OrgUnit.objects.get(code="51"), role=Membership.Role.ADMIN)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    login(page, site, "vanphong", "mat-khau-dai-789")
    page.get_by_role("link", name="Mã API").click()
    page.fill("#token-name", "LGSP")
    page.get_by_role("button", name="Tạo mã").click()
    first = page.locator("#token-secret-value").inner_text().strip()
    assert first.startswith("d2pat_")
    token = ApiToken.objects.get(name="LGSP")
    page.goto(site + "/tokens/")
    assert first not in page.content()
    page.locator(f"#token-{token.pk}").get_by_role("link", name="Đổi mã").click()
    page.locator("#token-confirm").get_by_role("button", name="Đổi mã").click()
    second = page.locator("#token-secret-value").inner_text().strip()
    assert second.startswith("d2pat_") and second != first
    assert "đã xoay vòng" in page.locator(f"#token-{token.pk}").inner_text()
    shot(page, "api-tokens")
    new = ApiToken.objects.get(replaces=token)
    page.locator(f"#token-{new.pk}").get_by_role("link", name="Thu hồi").click()
    page.fill("#reason", "thử")
    page.locator("#token-confirm").get_by_role("button", name="Thu hồi").click()
    page.wait_for_url(site + "/tokens/")
    assert "đã thu hồi" in page.locator(f"#token-{new.pk}").inner_text()

    page.goto(site + "/forms/CDS-XA-Q/")  # the period picker submits itself (page.js, not onchange=)
    picker = page.locator("select[data-autosubmit]")
    other = picker.locator("option:not([selected])").first.get_attribute("value")
    picker.select_option(other)
    page.wait_for_url(f"**period={other}")
    page.close()
