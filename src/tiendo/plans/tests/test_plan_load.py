from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import CommandError, call_command
from django.utils import translation

from tiendo.core.exceptions import PermissionDeniedError
from tiendo.core.models import AuditLog
from tiendo.core.yamlfile import FileValidationError
from tiendo.plans.models import Indicator, Plan, Responsibility, Task
from tiendo.plans.services import SHIPPED_PLANS_DIR, plan_load
from tiendo.reporting.models import DataValue

pytestmark = pytest.mark.django_db

SMALL_PLAN = """\
plan:
  code: thu-nghiem-2027
  year: 2027
  title: Kế hoạch thử nghiệm năm 2027
  starts_on: 2027-01-01
  ends_on: 2027-12-31
  province: 51
groups:
  - code: I
    name: Chính quyền số
    indicators:
      - number: "1"
        name: Tỷ lệ hồ sơ xử lý trực tuyến
        measure: "%"
        target: "80%"
        target_value: 80
        direction: higher
        lead: [TTPVHCC]
        co_lead: [group:communes]
      - number: "2"
        name: Hệ thống báo cáo kết nối
        target: Hoàn thành
        target_value: null
        direction: milestone
        lead: [VPUBND]
tasks:
  - number: "1"
    title: Hạ tầng số
    owners: [SKHCN]
    due_on: 2027-12-31
    items: [Phủ sóng 5G]
"""


def write(tmp_path: Path, text: str, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def counts() -> tuple[int, int, int, int, int]:
    return (
        Plan.objects.count(),
        Indicator.objects.count(),
        Task.objects.count(),
        Responsibility.objects.count(),
        AuditLog.objects.count(),
    )


def load_error(path: Path) -> list[str]:
    before = counts()
    with pytest.raises(FileValidationError) as error:
        plan_load(path=path)
    assert counts() == before, "a refused file must load nothing"
    return error.value.errors


def test_a_valid_file_loads_its_plan_groups_indicators_responsibilities_and_tasks(tmp_path, shipped_data):
    report = plan_load(path=write(tmp_path, SMALL_PLAN))
    plan = Plan.objects.get(code="thu-nghiem-2027")
    assert report.changed
    assert [i.label for i in plan.indicators.order_by("sort")] == ["I.1", "I.2"]
    first = plan.indicators.get(number="1")
    assert [(r.role, str(r.holder)) for r in first.responsibilities.all()] == [
        ("co_lead", "UBND các xã, phường, đặc khu"),
        ("lead", "Trung tâm Phục vụ hành chính công tỉnh"),
    ]
    assert plan.tasks.get().items.get().text == "Phủ sóng 5G"


def test_loading_the_same_file_twice_changes_nothing(tmp_path, shipped_data):
    path = write(tmp_path, SMALL_PLAN)
    plan_load(path=path)
    before = counts()
    report = plan_load(path=path)
    assert not report.changed
    assert counts() == before


def test_loading_the_shipped_plans_again_changes_nothing(shipped_data):
    before = counts()
    for name in ("quang-ngai-2025.yaml", "quang-ngai-2026.yaml"):
        assert not plan_load(path=SHIPPED_PLANS_DIR / name).changed
    assert counts() == before


def test_an_edited_file_updates_the_plan_in_place_and_records_the_change(tmp_path, shipped_data):
    path = write(tmp_path, SMALL_PLAN)
    plan_load(path=path)
    indicator_id = Indicator.objects.get(plan__code="thu-nghiem-2027", number="1").pk
    write(
        tmp_path,
        SMALL_PLAN.replace(
            'target: "80%"\n        target_value: 80', 'target: "85%"\n        target_value: 85'
        ),
    )
    report = plan_load(path=path)
    indicator = Indicator.objects.get(pk=indicator_id)
    assert (indicator.target_text, indicator.target_value) == ("85%", 85)
    assert report.updated == [f"indicator: {indicator}"]
    audit = AuditLog.objects.filter(action="indicator.update", object_id=str(indicator_id)).get()
    assert audit.changes == {"target_text": ["80%", "85%"], "target_value": ["80", "85"]}
    assert audit.actor_label == "tiendo load-plan"


def test_an_indicator_removed_from_the_file_is_removed_from_the_plan(tmp_path, shipped_data):
    path = write(tmp_path, SMALL_PLAN)
    plan_load(path=path)
    data = yaml.safe_load(SMALL_PLAN)
    data["groups"][0]["indicators"].pop()
    write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    report = plan_load(path=path)
    assert list(Indicator.objects.filter(plan__code="thu-nghiem-2027").values_list("number", flat=True)) == [
        "1"
    ]
    assert any(line.startswith("indicator:") for line in report.deleted)


def test_a_missing_target_is_refused_with_its_line_and_field(tmp_path, shipped_data):
    errors = load_error(write(tmp_path, SMALL_PLAN.replace('        target: "80%"\n', "")))
    assert errors == ["plan.yaml:12 groups[0].indicators[0].target: bắt buộc"]


def test_an_unknown_unit_is_refused_with_its_line_and_field(tmp_path, shipped_data):
    errors = load_error(write(tmp_path, SMALL_PLAN.replace("lead: [VPUBND]", "lead: [SO-KHONG-CO]")))
    assert errors == ["plan.yaml:25 groups[0].indicators[1].lead[0]: đơn vị không xác định: SO-KHONG-CO"]


def test_a_duplicate_number_is_refused_with_its_line_and_field(tmp_path, shipped_data):
    errors = load_error(write(tmp_path, SMALL_PLAN.replace('number: "2"', 'number: "1"')))
    assert errors == ["plan.yaml:20 groups[0].indicators[1].number: trùng số thứ tự 1 trong nhóm"]


def test_broken_yaml_is_refused_with_its_line(tmp_path, shipped_data):
    errors = load_error(
        write(tmp_path, SMALL_PLAN.replace("    name: Chính quyền số", "    name: [Chính quyền số"))
    )
    assert len(errors) == 1
    assert errors[0].startswith("plan.yaml:11: YAML không hợp lệ:")


def test_every_problem_of_a_file_is_reported_at_once(tmp_path, shipped_data):
    text = SMALL_PLAN.replace("direction: higher", "direction: up").replace("lead: [VPUBND]", "lead: [X1]")
    text = text.replace("ends_on: 2027-12-31", "ends_on: 31/12/2027")
    errors = load_error(write(tmp_path, text))
    assert len(errors) == 2  # schema errors come first; reference checks run on a well-formed file
    assert "plan.ends_on: ngày không hợp lệ (YYYY-MM-DD)" in errors[0]
    assert "groups[0].indicators[0].direction: giá trị không hợp lệ" in errors[1]
    with translation.override("en"):
        errors = load_error(write(tmp_path, text))
    assert "plan.ends_on: invalid date (YYYY-MM-DD)" in errors[0]
    assert "groups[0].indicators[0].direction: invalid value" in errors[1]


def test_a_milestone_with_a_numeric_target_is_refused(tmp_path, shipped_data):
    errors = load_error(write(tmp_path, SMALL_PLAN.replace("target_value: null", "target_value: 1")))
    assert errors == [
        "plan.yaml:23 groups[0].indicators[1].target_value: phải để trống (null) với chỉ tiêu mốc"
    ]


def test_a_baseline_in_a_plan_not_loaded_is_refused(tmp_path, shipped_data):
    text = SMALL_PLAN.replace(
        "        co_lead: [group:communes]\n",
        "        co_lead: [group:communes]\n        baseline: {plan: khong-co, group: I, number: '1'}\n",
    )
    errors = load_error(write(tmp_path, text))
    assert len(errors) == 1 and "groups[0].indicators[0].baseline" in errors[0]


def test_a_missing_file_is_reported(tmp_path, shipped_data):
    assert "không tìm thấy tệp" in load_error(tmp_path / "none.yaml")[0]
    with translation.override("en"):
        assert "file not found" in load_error(tmp_path / "none.yaml")[0]


def test_a_user_who_is_not_the_office_cannot_load_a_plan(tmp_path, tinhkhe_reporter):
    with pytest.raises(PermissionDeniedError):
        plan_load(path=write(tmp_path, SMALL_PLAN), actor=tinhkhe_reporter)
    assert not Plan.objects.filter(code="thu-nghiem-2027").exists()


def test_the_office_admin_loads_a_plan_and_is_named_in_the_audit_trail(tmp_path, office_admin):
    plan_load(path=write(tmp_path, SMALL_PLAN), actor=office_admin)
    plan = Plan.objects.get(code="thu-nghiem-2027")
    assert AuditLog.objects.get(action="plan.create", object_id=str(plan.pk)).actor == office_admin


def test_the_2025_results_are_stored_as_document_values_with_provenance(shipped_data):
    value = DataValue.objects.get(data_element__code="quang-ngai-2025.I.2", unit__code="51", period="2025")
    assert value.value == Decimal("75.15")
    assert value.text_value == "75,15%"
    assert value.source == DataValue.Source.DOCUMENT
    assert "Phụ lục 1" in value.source_detail


def test_the_command_lists_every_problem_and_says_nothing_was_loaded(tmp_path, shipped_data):
    path = write(
        tmp_path, SMALL_PLAN.replace('        target: "80%"\n', "").replace("lead: [VPUBND]", "lead: [X1]")
    )
    with pytest.raises(CommandError) as error, translation.override("en"):
        call_command("load_plan", str(path), stdout=StringIO())
    message = str(error.value)
    assert "nothing loaded" in message
    assert "plan.yaml:12 groups[0].indicators[0].target: required" in message
    with pytest.raises(CommandError) as error:
        call_command("load_plan", str(path), stdout=StringIO())
    assert "không nạp gì" in str(error.value)
    assert "plan.yaml:12 groups[0].indicators[0].target: bắt buộc" in str(error.value)


def test_the_command_reports_no_changes_on_a_second_load(tmp_path, shipped_data):
    path = write(tmp_path, SMALL_PLAN)
    call_command("load_plan", str(path), stdout=StringIO())
    out = StringIO()
    call_command("load_plan", str(path), stdout=out)
    assert "thu-nghiem-2027: không có thay đổi" in out.getvalue()
    with translation.override("en"):
        call_command("load_plan", str(path), stdout=(english := StringIO()))
    assert "thu-nghiem-2027: no changes" in english.getvalue()


def test_a_value_the_database_cannot_hold_is_refused_with_its_line_not_a_traceback(tmp_path, shipped_data):
    text = SMALL_PLAN.replace('measure: "%"', 'measure: "' + "x" * 41 + '"').replace(
        "target_value: 80", "target_value: 80.1234567"
    )
    errors = load_error(write(tmp_path, text))
    assert errors == [
        "plan.yaml:14 groups[0].indicators[0].measure: quá dài (tối đa 40 ký tự)",
        "plan.yaml:16 groups[0].indicators[0].target_value: tối đa 6 chữ số thập phân",
    ]


def test_a_commune_code_written_as_a_number_is_accepted(tmp_path, shipped_data):
    plan_load(path=write(tmp_path, SMALL_PLAN.replace("lead: [VPUBND]", "lead: [21211]")))
    indicator = Indicator.objects.get(plan__code="thu-nghiem-2027", number="2")
    assert indicator.responsibilities.get().unit.code == "21211"


def test_a_result_outside_the_plan_year_is_refused(tmp_path, shipped_data):
    text = SMALL_PLAN.replace(
        "        lead: [VPUBND]\n",
        "        lead: [VPUBND]\n        result: {text: Xong, verdict: dat, period: '2026'}\n",
    )
    errors = load_error(write(tmp_path, text))
    assert errors == [
        "plan.yaml:26 groups[0].indicators[1].result.period: kỳ phải thuộc năm 2027 của kế hoạch"
    ]


def test_a_result_removed_from_the_file_withdraws_the_documents_figure_and_verdict(tmp_path, shipped_data):
    with_result = SMALL_PLAN.replace(
        "        co_lead: [group:communes]\n",
        "        co_lead: [group:communes]\n        result: {text: '81%', value: 81, verdict: dat, period: '2027'}\n",
    )
    path = write(tmp_path, with_result)
    plan_load(path=path)
    indicator = Indicator.objects.get(plan__code="thu-nghiem-2027", number="1")
    assert DataValue.objects.filter(data_element=indicator.own_element).count() == 1
    write(tmp_path, SMALL_PLAN)
    report = plan_load(path=path)
    assert not DataValue.objects.filter(data_element=indicator.own_element).exists()
    assert not indicator.stated_verdicts.exists()
    assert len(report.deleted) == 2


def test_a_verdict_set_by_a_person_survives_reloading_the_document(office_admin):
    indicator = Indicator.objects.get(plan__code="quang-ngai-2025", number="6")
    indicator.stated_verdicts.filter(period="2025").update(
        verdict="chua_dat", stated_by=office_admin, reason="kiểm tra lại"
    )
    assert not plan_load(path=SHIPPED_PLANS_DIR / "quang-ngai-2025.yaml").changed
    kept = indicator.stated_verdicts.get(period="2025")
    assert (kept.verdict, kept.stated_by, kept.reason) == ("chua_dat", office_admin, "kiểm tra lại")


def test_an_indicator_another_plan_uses_as_its_baseline_cannot_be_removed(tmp_path, shipped_data):
    data = yaml.safe_load((SHIPPED_PLANS_DIR / "quang-ngai-2025.yaml").read_text(encoding="utf-8"))
    data["groups"][0]["indicators"] = [i for i in data["groups"][0]["indicators"] if i["number"] != "2"]
    with translation.override("en"):
        errors = load_error(write(tmp_path, yaml.safe_dump(data, allow_unicode=True), "quang-ngai-2025.yaml"))
    assert len(errors) == 1
    assert "cannot remove indicator I.2: it is the baseline of I.1 in plan quang-ngai-2026" in errors[0]


def test_removing_an_indicator_removes_its_rows_and_its_data_element_with_audit(tmp_path, shipped_data):
    path = write(tmp_path, SMALL_PLAN)
    plan_load(path=path)
    removed = Indicator.objects.get(plan__code="thu-nghiem-2027", number="1")
    element_code = removed.own_element.code
    data = yaml.safe_load(SMALL_PLAN)
    data["groups"][0]["indicators"].pop(0)
    write(tmp_path, yaml.safe_dump(data, allow_unicode=True))
    plan_load(path=path)
    from tiendo.reporting.models import DataElement

    assert not DataElement.objects.filter(code=element_code).exists()
    assert AuditLog.objects.filter(action="responsibility.delete").count() == 2
    assert AuditLog.objects.filter(
        action="dataelement.delete", object_label__startswith=element_code
    ).exists()


def test_a_header_only_edit_is_reported_as_a_change(tmp_path, shipped_data):
    path = write(tmp_path, SMALL_PLAN)
    plan_load(path=path)
    write(
        tmp_path,
        SMALL_PLAN.replace("title: Kế hoạch thử nghiệm năm 2027", "title: Kế hoạch thử nghiệm (sửa)"),
    )
    report = plan_load(path=path)
    assert report.changed and report.updated[0].startswith("plan:")
