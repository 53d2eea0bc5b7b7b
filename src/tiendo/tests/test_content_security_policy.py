"""Every page carries the Content-Security-Policy and holds nothing it would refuse: no inline
executable <script>, no on* event attribute, no javascript: link, no inline style.

The pages are those of the English-pages test (every page reachable by name, as a visitor and as the
office), plus the tokens page, the admin, the Swagger UI of the API and the 404 page.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from tiendo.orgunits.models import OrgUnit
from tiendo.reporting.models import DataSet
from tiendo.reporting.services import submission_open
from tiendo.reporting.tokens import apitoken_create
from tiendo.tests.test_english_pages import FORM, PAGES, PERIOD, UNIT, _args, a_dataset

__all__ = ["a_dataset"]  # the fixture

pytestmark = pytest.mark.django_db

REQUIRED = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
DATA_SCRIPT_TYPES = {"application/json", "application/ld+json"}  # json_script: data, never run


class InlineFinder(HTMLParser):
    """Collects what a strict CSP refuses: inline scripts, on* attributes, javascript: URLs, styles."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._in_inline_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")
            if name == "style":
                self.found.append(f"<{tag} style=…>")
        if tag == "style":
            self.found.append("<style>")
        if tag == "script" and "src" not in names:
            kind = (names.get("type") or "").strip().lower()
            self._in_inline_script = kind not in DATA_SCRIPT_TYPES

    def handle_data(self, data: str) -> None:
        if self._in_inline_script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}…")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._in_inline_script = False


def inline_code(page: str) -> list[str]:
    finder = InlineFinder()
    finder.feed(page)
    return finder.found


def test_the_finder_sees_every_kind_of_inline_code():
    page = (
        '<script>alert(1)</script><script src="/static/a.js"></script>'
        '<script type="application/json" id="d">{"a": 1}</script>'
        '<select onchange="this.form.submit()"></select><a href="javascript:void(0)">x</a>'
        '<div style="width: 5%"></div><style>p {}</style>'
    )
    assert inline_code(page) == [
        "<script>alert(1)…",
        "<select onchange=…>",
        "<a href=javascript:…>",
        "<div style=…>",
        "<style>",
    ]


@pytest.fixture
def a_report(shipped_data, office_admin):
    """A draft of the shipped quarterly form, so its page exists (as in the English-pages test)."""
    dataset = DataSet.objects.get(code=FORM)
    submission_open(actor=office_admin, dataset=dataset, unit=OrgUnit.objects.get(code=UNIT), period=PERIOD)


def _check(client, url: str, problems: list[str], status: int = 200) -> None:
    response = client.get(url)
    assert response.status_code == status, url
    policy = response.get("Content-Security-Policy", "")
    missing = [directive for directive in REQUIRED if directive not in policy]
    if missing:
        problems.append(f"{url}: policy lacks {missing}")
    found = inline_code(response.content.decode())
    if found:
        problems.append(f"{url}: {found}")


def test_every_page_has_the_policy_and_no_inline_script_handler_or_style(
    client, request, a_report, a_dataset
):
    problems: list[str] = []
    for page in PAGES:
        if page.persona is None:
            client.logout()
        else:
            client.force_login(request.getfixturevalue(page.persona))
        _check(client, reverse(page.url_name, args=_args(page)), problems)
    assert not problems, "\n".join(problems)


def test_the_tokens_admin_api_docs_and_404_pages_too(client, office_admin, django_user_model):
    token = apitoken_create(actor=office_admin, user=office_admin, name="LGSP", scopes=["read"]).token
    client.force_login(office_admin)
    problems: list[str] = []
    for url in (
        reverse("api-tokens"),
        reverse("api-token-action", args=[token.pk, "revoke"]),
        reverse("api-token-action", args=[token.pk, "rotate"]),
        "/api/v1/docs",
    ):
        _check(client, url, problems)
    _check(client, "/no-such-page/", problems, status=404)
    client.force_login(django_user_model.objects.create_superuser("root", "r@example.vn", "x"))
    for url in ("/admin/", "/admin/auth/user/"):
        _check(client, url, problems)
    assert not problems, "\n".join(problems)


def directives(policy: str) -> dict[str, list[str]]:
    parts = (part.split() for part in policy.split(";") if part.strip())
    return {words[0]: words[1:] for words in parts}


def test_only_the_chart_pages_allow_style_attributes_and_no_page_allows_inline_script(client, shipped_data):
    from tiendo.plans.models import Indicator

    indicator = Indicator.objects.filter(plan__code="quang-ngai-2026").first()
    assert indicator is not None
    for name in ("indicator-detail", "indicator-units"):
        chart = directives(client.get(reverse(name, args=[indicator.pk]))["Content-Security-Policy"])
        assert chart["style-src-attr"] == ["'unsafe-inline'"]  # ECharts' SVG renderer
        assert chart["script-src"] == ["'self'"] and chart["style-src"] == ["'self'"]
    home = directives(client.get(reverse("home"))["Content-Security-Policy"])
    assert "style-src-attr" not in home and home["script-src"] == ["'self'"]


def test_the_csrf_failure_page_has_no_inline_style_or_script(office_admin):
    from django.test import Client

    from tiendo.conftest import verify_second_factor

    client = Client(enforce_csrf_checks=True)
    client.cookies["django_language"] = "en"
    client.force_login(office_admin)
    verify_second_factor(client, office_admin)  # an office admin's session has passed its second factor
    response = client.post(reverse("api-tokens"), {"name": "x"})
    assert response.status_code == 403
    assert "Content-Security-Policy" in response
    assert inline_code(response.content.decode()) == []
    page = response.content.decode()
    assert 'id="csrf-failure"' in page and "Request refused" in page
