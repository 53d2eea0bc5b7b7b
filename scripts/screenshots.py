"""Screenshots of every page a person uses, as they see it: desktop (1280 px) and phone (390 px),
Vietnamese and English, anonymous and signed in as the CĐS office.

    .venv/bin/python scripts/screenshots.py BASE_URL CREDENTIALS_FILE [OUT_DIR]

BASE_URL is a running tiendo (e.g. `tiendo demo`, http://127.0.0.1:8000); CREDENTIALS_FILE is the
demo's `var/demo-credentials.txt` (user, password, unit, role per line). Pictures go to OUT_DIR
(test-artifacts/screens). Each page is also checked for horizontal overflow at 390 px, which is
printed. Uses Debian's Chromium (/usr/bin/chromium) through Playwright.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _items(answer: list | dict) -> list:
    """A list endpoint answers a page ({"items": [...], "count": n}) or, unpaged, a plain list."""
    return answer["items"] if isinstance(answer, dict) else answer


def pages(base: str) -> list[tuple[str, str, bool]]:
    """(name, path, needs login)."""
    plans = _items(json.load(urllib.request.urlopen(base + "/api/v1/plans")))
    plan = next(p for p in plans if p["code"] == "quang-ngai-2026")
    indicators = _items(json.load(urllib.request.urlopen(f"{base}/api/v1/plans/{plan['id']}/indicators")))
    first = indicators[0]["id"]
    return [
        ("home", "/", False),
        ("plans", "/plans/", False),
        ("plan", "/plans/quang-ngai-2026/", False),
        ("indicator", f"/indicators/{first}/", False),
        ("indicator-units", f"/indicators/{first}/units/", False),
        ("units", "/units/", False),
        ("unit", "/units/21211/", True),
        ("login", "/accounts/login/", False),
        ("verify", "/documents/verify/", False),
        ("my-reports", "/reports/", True),
        ("overdue", "/reports/overdue/", True),
        ("forms", "/forms/", True),
        ("form", "/forms/CDS-XA-Q/", True),
        ("submission", "/reports/CDS-XA-Q/21211/2026Q4/", True),
        ("certificates", "/documents/certificates/", True),
        ("report-template", "/documents/templates/evaluation-report/", True),
        ("password-reset", "/accounts/password/reset/", False),
        ("account-security", "/accounts/security/", True),
        ("otp-enrol", "/accounts/2fa/enrol/", True),
        ("password-change", "/accounts/password/change/", True),
        ("tokens", "/tokens/", True),
        ("ioc-live", "/ioc/", True),
        ("ioc-devices", "/ioc/devices/", True),
        ("ioc-device", "/ioc/devices/wl-trakhuc-01/", True),
        ("ioc-alerts", "/ioc/alerts/", True),
        ("ioc-rules", "/ioc/rules/", True),
        ("ioc-rule-new", "/ioc/rules/new", True),
        ("ioc-registry", "/ioc/registry/", True),
        ("ioc-registry-device", "/ioc/registry/devices/wl-trakhuc-01/", True),
    ]


# pages that keep a connection open (Server-Sent Events) never reach "networkidle": wait for this
READY = {"/ioc/": "#ioc-map[data-ready='true']"}


def main() -> int:
    base, credentials = sys.argv[1].rstrip("/"), Path(sys.argv[2])
    out = Path(sys.argv[3] if len(sys.argv) > 3 else "test-artifacts/screens")
    out.mkdir(parents=True, exist_ok=True)
    admin_password = next(
        line.split("\t")[1] for line in credentials.read_text().splitlines() if line.startswith("admin\t")
    )
    overflow: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for language in ("vi", "en"):
            context = browser.new_context()
            context.add_cookies([{"name": "django_language", "value": language, "url": base}])
            page = context.new_page()
            signed_in = False
            for name, path, login in pages(base):
                if login and not signed_in:
                    page.goto(base + "/accounts/login/")
                    page.fill("input[name=username]", "admin")
                    page.fill("input[name=password]", admin_password)
                    page.locator("form:has(input[name=password]) [type=submit]").first.click()
                    page.wait_for_load_state()
                    signed_in = True
                for label, viewport in VIEWPORTS.items():
                    page.set_viewport_size(viewport)
                    if path in READY:
                        response = page.goto(base + path, wait_until="load")
                        page.wait_for_selector(READY[path], timeout=30_000)
                        page.wait_for_timeout(1500)  # the first events and sparklines
                    else:
                        response = page.goto(base + path)
                        page.wait_for_load_state("networkidle")
                    status = response.status if response else 0
                    target = out / f"{name}-{language}-{label}.png"
                    page.screenshot(path=str(target), full_page=True)
                    wide = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
                    if label == "phone" and wide:
                        overflow.append(f"{name} ({language})")
                    print(f"{status} {path:45} {target}")
            context.close()
        browser.close()
    print("horizontal overflow at 390 px:", ", ".join(overflow) or "none")
    return 0


if __name__ == "__main__":
    sys.exit(main())
