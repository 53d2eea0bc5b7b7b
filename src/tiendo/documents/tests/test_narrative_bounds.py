"""The probe's reproducer: a narrative template built 256 MB in 0.4 s, or looped for minutes, on every
anonymous download. Each render now runs in a child process bounded in time and memory, with its
output bounded; the office cannot save such a template, and one already stored answers 400 quickly."""

import time

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import translation

from tiendo.documents.models import ReportTemplate
from tiendo.documents.narrative import DEFAULT_EVALUATION_REPORT, TemplateInvalidError, render_narrative
from tiendo.documents.report import evaluation_report
from tiendo.documents.services import report_template_save
from tiendo.plans.models import Plan

pytestmark = pytest.mark.django_db
KIND = ReportTemplate.Kind.EVALUATION_REPORT

LOOPS = "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}"
HOSTILE = {
    "nested loops for minutes": (LOOPS, "took too long"),
    "doubling a string": (
        '{% set ns = namespace(s="xxxxxxxxxx") %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}'
        "{% endfor %}{{ ns.s|length }}",
        "too much memory",
    ),
    "a huge format width": ('{{ "%999999999d"|format(1) }}', "too much memory"),
    "a huge str.format width": ('{{ "{:>999999999}".format(1) }}', "too much memory"),
    "a huge centre width": ('{{ "x"|center(200000000) }}', ""),
    "a huge indent": ("{{ (range(100000)|join('\\n'))|indent(3000) }}", ""),
    "a big join in a loop": ("{% for i in range(100000) %}{{ range(100000)|join }}{% endfor %}", ""),
    "output past the bound": ("{% for i in range(100000) %}xxxxxxxxxx{% endfor %}", "too long"),
}


def report_2025():
    return evaluation_report(user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"))


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_template_is_refused_within_its_bounds(shipped_data, name):
    body, reason = HOSTILE[name]
    report = report_2025()
    started = time.monotonic()
    with translation.override("en"), pytest.raises(TemplateInvalidError) as caught:
        render_narrative(body, report)
    assert time.monotonic() - started < 6  # RENDER_SECONDS is 3
    assert reason in str(caught.value.message)


def test_the_office_cannot_save_a_template_that_loops_for_minutes(office_admin, shipped_data):
    with translation.override("en"), pytest.raises(TemplateInvalidError, match="took too long"):
        report_template_save(actor=office_admin, kind=KIND, body=LOOPS)
    assert not ReportTemplate.objects.exists()


def test_a_stored_hostile_template_answers_400_quickly_to_an_anonymous_download(client, shipped_data):
    ReportTemplate.objects.create(kind=KIND, version=1, body=LOOPS)  # stored before the bounds existed
    started = time.monotonic()
    response = client.get("/plans/quang-ngai-2025/report.docx")
    assert response.status_code == 400
    assert time.monotonic() - started < 10


def test_the_default_narrative_still_renders_in_its_child(shipped_data):
    paragraphs = render_narrative(DEFAULT_EVALUATION_REPORT, report_2025())
    assert any("19 chỉ tiêu đạt" in p.text for p in paragraphs)
