import io

import pytest
from django.contrib.auth.models import AnonymousUser
from docx import Document

from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.documents.docx_writer import render_docx
from tiendo.documents.models import ReportTemplate
from tiendo.documents.narrative import TemplateInvalidError, render_narrative
from tiendo.documents.report import evaluation_report
from tiendo.documents.selectors import narrative_body
from tiendo.documents.services import report_template_restore, report_template_save
from tiendo.plans.models import Plan

pytestmark = pytest.mark.django_db
KIND = ReportTemplate.Kind.EVALUATION_REPORT


def report_2025():
    return evaluation_report(user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"))


def test_placeholders_are_filled_with_the_plans_figures(shipped_data):
    body = (
        "**Tóm tắt**\n"
        "Đạt {{ indicators.dat_count }}/{{ indicators.total }}; I.1: {{ indicator('1').result }} "
        "({{ indicator('1').verdict }}), mục tiêu {{ indicator('1').target }}.\n"
        "- {{ next_plan.target_count }} chỉ tiêu năm {{ next_plan.year }}"
    )
    paragraphs = render_narrative(body, report_2025())
    assert paragraphs[0].text == "Tóm tắt" and paragraphs[0].bold
    assert paragraphs[1].text == (
        "Đạt 19/23; I.1: 44,91% toàn trình; 97,22% TTHC cấp xã có DVCTT (Chưa đạt), mục tiêu 95%."
    )
    assert paragraphs[2].text == "- 34 chỉ tiêu năm 2026" and paragraphs[2].item


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("{{ indicators.dat_cuont }}", "dat_cuont"),
        ("{{ tong_so }}", "tong_so"),
        ("{{ indicator('IX.9').result }}", 'indicator("IX.9")'),
        ("{{ indicators.total ", "Dòng 1"),
    ],
)
def test_an_unknown_placeholder_is_an_error_that_names_it(shipped_data, body, named):
    with pytest.raises(TemplateInvalidError) as error:
        render_narrative(body, report_2025())
    assert named in str(error.value) and error.value.field == "body"


def test_the_sandbox_keeps_a_template_away_from_python(shipped_data):
    with pytest.raises(TemplateInvalidError):
        render_narrative("{{ indicator.__globals__ }}", report_2025())


def test_the_office_saves_versions_and_a_restore_is_a_new_version(office_admin, shipped_data):
    first = report_template_save(actor=office_admin, kind=KIND, body="Bản một: {{ year }}")
    second = report_template_save(actor=office_admin, kind=KIND, body="Bản hai: {{ year }}", note="sửa")
    assert (first.version, second.version) == (1, 2)
    assert narrative_body(user=AnonymousUser(), kind=KIND) == "Bản hai: {{ year }}"
    restored = report_template_restore(actor=office_admin, template=first)
    assert restored.version == 3 and narrative_body(user=AnonymousUser(), kind=KIND) == "Bản một: {{ year }}"
    assert AuditLog.objects.filter(action="reporttemplate.save").count() == 3


def test_a_text_with_an_unknown_placeholder_is_not_kept(office_admin, shipped_data):
    with pytest.raises(TemplateInvalidError, match="so_lieu_la"):
        report_template_save(actor=office_admin, kind=KIND, body="{{ so_lieu_la }}")
    assert not ReportTemplate.objects.exists()


def test_only_the_office_edits_templates(tinhkhe_reporter, shipped_data):
    with pytest.raises(PermissionDeniedError):
        report_template_save(actor=tinhkhe_reporter, kind=KIND, body="{{ year }}")


def test_the_report_prints_the_saved_narrative(office_admin, shipped_data):
    report_template_save(
        actor=office_admin, kind=KIND, body="Năm {{ year }} có {{ indicators.dat_count }} chỉ tiêu đạt."
    )
    report = report_2025()
    narrative = render_narrative(narrative_body(user=AnonymousUser(), kind=KIND), report)
    document = Document(io.BytesIO(render_docx(report, narrative=narrative)))
    assert "Năm 2025 có 19 chỉ tiêu đạt." in [p.text for p in document.paragraphs]


@pytest.mark.parametrize("body", ["{{ 9 ** 9 ** 9 }}", "{{ 'x' * 10 ** 10 }}", "{{ 'ab' * 99999999 }}"])
def test_a_template_cannot_take_the_servers_cpu_or_memory(shipped_data, body):
    with pytest.raises(TemplateInvalidError):
        render_narrative(body, report_2025())


def test_a_text_is_checked_against_every_plan_before_it_is_kept(office_admin, shipped_data):
    with pytest.raises(TemplateInvalidError, match="quang-ngai-2026"):  # no 2027 plan for the 2026 report
        report_template_save(actor=office_admin, kind=KIND, body="Mục tiêu năm {{ next_plan.year }}")
