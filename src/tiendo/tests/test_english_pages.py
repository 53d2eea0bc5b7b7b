"""Every page in English shows no Vietnamese-only label (issue 9, item 6).

The office (and a visitor, for the public pages) reads each page reachable by name with the
``django_language`` cookie set to "en". What is left after taking away the markup, the scripts and
the data must hold no word with Vietnamese letters. Data stays as written: every text the database
holds (plan, indicator, unit, task, form and element names, with their English names), read from
the models themselves, is taken out of the page first, and so is the report narrative being edited
(the text of a Vietnamese document). Labels in ``title``, ``placeholder``, ``aria-label`` and
``alt`` are read as text: a reader sees them too. A language's own name ("Tiếng Việt") and an official document's number
("Decree 09/2019/NĐ-CP") are allowed.
"""

from __future__ import annotations

import html
import re
import unicodedata
from dataclasses import dataclass

import pytest
from django.apps import apps
from django.db import models
from django.urls import reverse

from tiendo.orgunits.models import OrgUnit
from tiendo.plans.models import Indicator, Plan
from tiendo.reporting.models import DataSet
from tiendo.reporting.services import submission_open

pytestmark = pytest.mark.django_db

PLAN = "quang-ngai-2026"
UNIT = "21211"
FORM = "CDS-XA-Q"
PERIOD = "2026Q1"
LANGUAGE_NAMES = ("Tiếng Việt",)  # the language switch names each language in itself

_VI_LOWER = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
VIETNAMESE_WORD = re.compile(rf"\w*[{_VI_LOWER}{_VI_LOWER.upper()}]\w*")

_HIDDEN = re.compile(
    r"<!--.*?-->|<(script|style|template|textarea)\b[^>]*>.*?</\1\s*>|<head\b.*?</head\s*>", re.S | re.I
)
_LABEL_ATTRIBUTE = re.compile(r"""\b(?:title|placeholder|aria-label|alt)\s*=\s*(["'])(.*?)\1""", re.S | re.I)
_TAG = re.compile(r"<[^>]*>")
# An official document's number is a name in any language: 09/2019/NĐ-CP, 12/BC-SKHCN, /KH-UBND
DOCUMENT_NUMBER = re.compile(r"(?:\d+/)*\d*/[A-ZĐ][A-ZĐ0-9]*(?:-[A-ZĐ0-9]+)*")


@dataclass(frozen=True)
class Page:
    url_name: str
    persona: str | None  # None: a visitor
    args: tuple[str, ...] = ()  # filled by _args


PAGES = [
    Page("home", None),
    Page("plan-list", None),
    Page("plan-detail", None, ("plan",)),
    Page("indicator-detail", None, ("indicator",)),
    Page("indicator-units", None, ("indicator",)),
    Page("unit-list", None),
    Page("unit-detail", None, ("unit",)),
    Page("form-list", None),
    Page("form-detail", None, ("form",)),
    Page("verify", None),
    Page("login", None),
    Page("home", "office_admin"),
    Page("plan-list", "office_admin"),
    Page("plan-detail", "office_admin", ("plan",)),
    Page("indicator-detail", "office_admin", ("indicator",)),
    Page("indicator-units", "office_admin", ("indicator",)),
    Page("unit-list", "office_admin"),
    Page("unit-detail", "office_admin", ("unit",)),
    Page("my-reports", "office_admin"),
    Page("overdue", "office_admin"),
    Page("form-list", "office_admin"),
    Page("form-detail", "office_admin", ("form",)),
    Page("submission", "office_admin", ("form", "unit", "period")),
    Page("verify", "office_admin"),
    Page("certificates", "office_admin"),
    Page("report-template", "office_admin", ("template",)),
    Page("api-tokens", "office_admin"),
    # accounts (issue 10): the office admin's session is verified (conftest's client)
    Page("account-security", "office_admin"),
    Page("otp-verify", "office_admin"),
    Page("password_change", "office_admin"),
    Page("password_change_done", "office_admin"),
    Page("otp-enrol", "tinhkhe_reporter"),
    Page("account-security", "tinhkhe_reporter"),
    Page("password_reset", None),
    Page("password_reset_done", None),
    Page("password_reset_complete", None),
    Page("opendata-catalogue", None),
    Page("opendata-dataset", None, ("dataset",)),
    Page("opendata-progress", None),
    Page("opendata-progress-plan", None, ("plan",)),
    Page("opendata-progress-indicator", None, ("plan", "label")),
    Page("opendata-progress-indicator", "office_admin", ("plan", "label")),
    Page("opendata-manage", "office_admin"),
    Page("opendata-systems", "office_admin"),
    Page("opendata-requests", "office_admin"),
    Page("opendata-usage", "office_admin"),
    Page("opendata-withheld", "office_admin"),
]


def _args(page: Page) -> list[str | int]:
    plan = Plan.objects.get(code=PLAN)
    values: dict[str, str | int] = {
        "plan": PLAN,
        "indicator": Indicator.objects.filter(plan=plan).order_by("pk").values_list("pk", flat=True)[0],
        "unit": UNIT,
        "form": FORM,
        "period": PERIOD,
        "template": "evaluation-report",
        "dataset": DATASET,
        "label": "I.1",
    }
    return [values[name] for name in page.args]


def _squeeze(text: str) -> str:
    """One space between words, letters composed (NFC) the same way in the page and in the data."""
    return " ".join(unicodedata.normalize("NFC", text).split())


def data_texts() -> list[str]:
    """Every text the database holds with a Vietnamese letter, longest first (so a name goes whole).

    Texts of every CharField and TextField of tiendo's models and of users; fields with choices are
    left out: their labels are the interface's. A unit's name is also taken without its kind
    ("Xã Tịnh Khê" and "Tịnh Khê"), as pages print both.
    """
    found: set[str] = set()
    for model in apps.get_models():
        if not (model.__module__.startswith("tiendo.") or model._meta.label == "auth.User"):
            continue
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField) and not field.choices:
                for value in model._default_manager.values_list(field.name, flat=True).distinct():
                    if value and VIETNAMESE_WORD.search(value):
                        found.add(_squeeze(value))
    for name, division in OrgUnit.objects.values_list("name", "division_type"):
        if division and name.lower().startswith(division.lower() + " "):
            found.add(_squeeze(name[len(division) + 1 :]))
    return sorted(found, key=len, reverse=True)


def visible_text(page: str) -> str:
    """What a reader sees: the text and the labels of the body, without markup, scripts or styles."""
    page = _HIDDEN.sub(" ", page)
    labels = " ".join(match.group(2) for match in _LABEL_ATTRIBUTE.finditer(page))
    return _squeeze(html.unescape(_TAG.sub(" ", page) + " " + html.unescape(labels)))


def vietnamese_left(text: str, data: list[str]) -> list[str]:
    """The Vietnamese words of ``text`` once the data and the languages' own names are taken out."""
    for value in [*data, *LANGUAGE_NAMES]:
        text = text.replace(value, " ")
    text = DOCUMENT_NUMBER.sub(" ", text)
    return sorted(set(VIETNAMESE_WORD.findall(text)))


DATASET = "tram-y-te"


@pytest.fixture
def a_dataset(shipped_data, office_admin):
    """A published dataset of the health department, with its rows, so its pages exist."""
    from tiendo.opendata.services import DatasetFields, dataset_create, dataset_publish, dataset_upload

    fields = DatasetFields(
        title="Trạm y tế xã", name=DATASET, publisher=OrgUnit.objects.get(code="SYT"), themes=("HEAL",)
    )
    dataset = dataset_create(actor=office_admin, fields=fields)
    content = b"ma_xa,so_tram\n21211,1\n"
    dataset_upload(actor=office_admin, dataset=dataset, filename="tram.csv", content=content)
    dataset_publish(actor=office_admin, dataset=dataset)


@pytest.fixture
def a_report(shipped_data, office_admin):
    """The reporter's commune has a draft of the shipped quarterly form, so its page exists."""
    dataset = DataSet.objects.get(code=FORM)
    submission_open(actor=office_admin, dataset=dataset, unit=OrgUnit.objects.get(code=UNIT), period=PERIOD)


def test_data_texts_and_language_names_are_not_labels():
    text = visible_text(
        '<head><title>Kế hoạch</title></head><body><script>var a = "Đạt";</script>'
        '<a title="Xem chi tiết">Plan</a> Xã Tịnh Khê, Tịnh Khê &amp; Tiếng Việt <textarea>Kính gửi</textarea>'
        "(Decree 09/2019/NĐ-CP) Quarter 1/2026 Quý 2</body>"
    )
    assert vietnamese_left(text, ["Xã Tịnh Khê", "Tịnh Khê"]) == ["Quý", "tiết"]


def test_every_page_in_english_shows_no_vietnamese_label(client, request, a_report, a_dataset):
    data = data_texts()
    left: list[str] = []
    for page in PAGES:
        if page.persona is None:
            client.logout()
        else:
            client.force_login(request.getfixturevalue(page.persona))
        client.cookies["django_language"] = "en"  # after logging in or out, which start new cookies
        url = reverse(page.url_name, args=_args(page))
        response = client.get(url)
        assert response.status_code == 200, url
        words = vietnamese_left(visible_text(response.content.decode()), data)
        if words:
            left.append(f"{url} ({page.persona or 'visitor'}): {' '.join(words)}")
    assert not left, "Vietnamese words left on English pages:\n" + "\n".join(left)
