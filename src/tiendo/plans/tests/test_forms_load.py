from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from tiendo.core.yamlfile import FileValidationError
from tiendo.plans.indicator_sources import forms_load
from tiendo.plans.models import Indicator
from tiendo.reporting.models import DataElement, DataSet, ValidationRule
from tiendo.reporting.tests.sample_forms import SMALL_FORMS

pytestmark = pytest.mark.django_db


def write(tmp_path, text):
    path = tmp_path / "f.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_forms_file_loads_elements_a_form_assigned_to_every_commune_and_indicator_formulas(small_forms):
    form = DataSet.objects.get(code="T-XA-Q")
    assert form.units.count() == 96
    assert [fe.element.code for fe in form.form_elements.order_by("section__sort", "sort")] == [
        "T_LAN_OK",
        "T_TRAINED",
        "T_STAFF",
        "T_NOTE",
    ]
    assert ValidationRule.objects.get(dataset=form).expression == "T_TRAINED <= T_STAFF"
    lan = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="II", number="2")
    assert (lan.source, lan.numerator.code, lan.denominator_units, lan.factor) == (
        "form",
        "T_LAN_OK",
        "units:group:communes",
        100,
    )
    trained = Indicator.objects.get(plan__code="quang-ngai-2026", group__code="V", number="1")
    assert trained.denominator.code == "T_STAFF"


def test_loading_the_same_forms_file_twice_changes_nothing(small_forms):
    assert not forms_load(path=small_forms).changed


def test_a_rule_naming_an_element_outside_its_form_is_refused_with_its_line(tmp_path, shipped_data):
    errors = _errors(
        tmp_path, SMALL_FORMS.replace("expression: T_TRAINED <= T_STAFF", "expression: T_TRAINED <= T_KHAC")
    )
    assert errors == ["f.yaml:41 forms[0].rules[0].expression: chỉ số không có trong biểu: T_KHAC"]
    with translation.override("en"):
        errors = _errors(tmp_path, SMALL_FORMS.replace("T_TRAINED <= T_STAFF", "T_TRAINED <= T_KHAC"))
    assert errors == ["f.yaml:41 forms[0].rules[0].expression: not in this form: T_KHAC"]


def test_a_rule_that_is_not_a_comparison_is_refused(tmp_path, shipped_data):
    errors = _errors(
        tmp_path, SMALL_FORMS.replace("expression: T_TRAINED <= T_STAFF", "expression: __import__('os')")
    )
    assert "forms[0].rules[0].expression" in errors[0]


def test_unknown_units_indicators_and_elements_are_all_reported(tmp_path, shipped_data):
    text = SMALL_FORMS.replace("assigned_to: [group:communes]", "assigned_to: [group:khong-co]")
    text = text.replace("indicator: V.1", "indicator: V.9").replace(
        "numerator: T_LAN_OK", "numerator: T_KHONG"
    )
    with translation.override("en"):
        errors = _errors(tmp_path, text)
    assert len(errors) == 3
    assert any("unknown unit: group:khong-co" in e for e in errors)
    assert any("no such indicator: V.9" in e for e in errors)
    assert any("undeclared data element: T_KHONG" in e for e in errors)


def test_a_bad_value_type_is_refused_and_nothing_is_loaded(tmp_path, shipped_data):
    errors = _errors(tmp_path, SMALL_FORMS.replace("value_type: boolean", "value_type: yesno"))
    assert errors[0].startswith("f.yaml:5 data_elements[0].value_type: giá trị không hợp lệ")
    with translation.override("en"):
        errors = _errors(tmp_path, SMALL_FORMS.replace("value_type: boolean", "value_type: yesno"))
    assert errors[0].startswith("f.yaml:5 data_elements[0].value_type: invalid value")
    assert not DataElement.objects.filter(code="T_TRAINED").exists()


def test_the_command_reports_problems_and_changes(tmp_path, shipped_data):
    out = StringIO()
    call_command("load_forms", str(write(tmp_path, SMALL_FORMS)), stdout=out)
    assert "tạo mới" in out.getvalue()
    english = StringIO()
    with translation.override("en"):
        call_command("load_forms", str(write(tmp_path, SMALL_FORMS)), stdout=english)
    assert "no changes" in english.getvalue()  # the same file again changes nothing
    with pytest.raises(CommandError, match="nothing loaded"), translation.override("en"):
        call_command("load_forms", str(write(tmp_path, "forms: [")), stdout=StringIO())
    with pytest.raises(CommandError, match="không nạp gì"):
        call_command("load_forms", str(write(tmp_path, "forms: [")), stdout=StringIO())


def _errors(tmp_path, text):
    with pytest.raises(FileValidationError) as error:
        forms_load(path=write(tmp_path, text))
    return error.value.errors
