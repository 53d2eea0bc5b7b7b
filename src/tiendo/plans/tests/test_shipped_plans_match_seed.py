"""The shipped plan files against the seed document they were typed from.

Expected values here are typed independently from ../shared/seeds/004_a51d19eae1efd1eb.txt
(Phụ lục 1 and Phụ lục 2), so a typo in a YAML file fails a test.
"""

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from tiendo.conftest import IN_CI
from tiendo.plans.models import Indicator, Plan, Task

pytestmark = pytest.mark.django_db

SEED_DIR = Path(
    os.environ.get("TIENDO_SEED_DIR", Path(__file__).resolve().parents[4].parent / "shared" / "seeds")
)
SEED = SEED_DIR / "004_a51d19eae1efd1eb.txt"

# Phụ lục 2: group → (number, target as printed, lead units' codes or groups)
TARGETS_2026 = {
    "I": [
        ("1", "80%"),
        ("2", "100%"),
        ("3", "100%"),
        ("4", "100%"),
        ("5", "100%"),
        ("6", "95%"),
        ("7", "30%"),
        ("8", "100%"),
        ("9", "100%"),
        ("10", "100%"),
        ("11", "100%"),
    ],
    "II": [
        ("1", "60%"),
        ("2", "Hoàn thành"),
        ("3", "90%"),
        ("4", "100%"),
        ("5", "50%"),
        ("6", "50%"),
        ("7", "20%"),
    ],
    "III": [
        ("9", "12%"),
        ("10", "80%"),
        ("11", "50%"),
        ("12", "87%"),
        ("13", "53%"),
        ("14", "15%"),
        ("15", "83%"),
        ("16", "100%"),
    ],
    "IV": [("1", "100%"), ("2", "100%"), ("3", "100%")],
    "V": [("1", "100%"), ("2", "100%"), ("3", "100%"), ("4", "100%"), ("5", "100%")],
}
GROUP_NAMES_2026 = {
    "I": "Chính quyền số",
    "II": "Hạ tầng và dữ liệu số",
    "III": "Kinh tế số và Xã hội số",
    "IV": "An toàn thông tin",
    "V": "Nguồn nhân lực",
}
# Phụ lục 2, the first unit of each "Cơ quan chủ trì/Đánh giá" cell
FIRST_LEAD_2026 = {
    "I.1": "TTPVHCC",
    "I.7": "TTPVHCC",
    "I.8": "VPUBND",
    "I.9": "VPUBND",
    "I.10": "VPUBND",
    "I.11": "VPTU",
    "II.1": "SKHCN",
    "II.2": "group:so-ban-nganh",
    "II.4": "SVHTTDL",
    "III.9": "SKHCN",
    "III.10": "SCT",
    "III.11": "STC",
    "III.12": "CAT",
    "III.13": "NHNN9",
    "III.15": "SYT",
    "III.16": "SGDDT",
    "IV.1": "CAT",
    "IV.3": "CAT",
    "V.2": "group:communes",
    "V.3": "SGDDT",
    "V.5": "SNV",
}
# Phụ lục 1: TT → (lead agency as printed, result as printed, verdict)
RESULTS_2025 = {
    "1": ("Văn phòng UBND tỉnh", "44,91% toàn trình; 97,22% TTHC cấp xã có DVCTT", "chua_dat"),
    "2": ("Văn phòng UBND tỉnh", "75,15%", "dat"),
    "3": ("Sở Khoa học và Công nghệ", "100% tích hợp, xác thực thông suốt", "dat"),
    "4": ("Văn phòng UBND tỉnh", "83,28%", "chua_dat"),
    "5": ("Văn phòng UBND tỉnh", "95,32%", "dat"),
    "6": ("Văn phòng UBND tỉnh", "Đã hợp nhất, kết nối từ 01/7/2025", "dat"),
    "7": ("Văn phòng UBND tỉnh", "100% nhiệm vụ theo dõi trên HT số", "dat"),
    "8": ("Sở Khoa học và Công nghệ", "LGSP kết nối >20 CSDL quốc gia", "dat"),
    "9": ("Văn phòng UBND tỉnh", "Tỉnh 99,5%; Xã >98%", "dat"),
    "10": ("Sở Khoa học và Công nghệ", "Ước 10%", "chua_dat"),
    "11": ("Sở Công Thương", "90% đơn vị cung cấp dịch vụ thiết yếu", "dat"),
    "12": ("Sở Tài chính", "65,47% DN sử dụng", "dat"),
    "13": ("Thuế tỉnh Quảng Ngãi", "Triển khai diện rộng", "dat"),
    "14": ("Sở Khoa học và Công nghệ", "10%", "chua_dat"),
    "15": (
        "Sở Khoa học và Công nghệ; Văn phòng Tỉnh ủy; Văn phòng UBND tỉnh",
        "Vận hành ổn định, đa nền tảng",
        "dat",
    ),
    "16": ("Sở Khoa học và Công nghệ", "532 trạm BTS 5G, IOC vận hành", "dat"),
    "17": ("Sở Khoa học và Công nghệ", None, "dat"),
    "18": ("Sở Văn hóa, Thể thao và Du lịch", "Đã triển khai số hóa", "dat"),
    "19": ("Các trường cao đẳng, đại học trên địa bàn tỉnh", "Triển khai toàn tỉnh", "dat"),
    "20": ("Sở Giáo dục và Đào tạo", "94%", "dat"),
    "21": ("Sở Y tế", "36/36 cơ sở KCB hoàn thành", "dat"),
    "22": ("Công an tỉnh", "491 HTTT được phê duyệt", "dat"),
    "23": ("Cơ quan cấp tỉnh, UBND cấp Xã", "Triển khai đầy đủ phương án", "dat"),
}


def seed_text() -> str:
    """The seed document beside the checkout (../shared/seeds); CI always has it."""
    if not SEED.exists():
        message = f"the seed document is not at {SEED} (set TIENDO_SEED_DIR)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    return " ".join(SEED.read_text(encoding="utf-8").split())


def indicators(code: str):
    return (
        Indicator.objects.filter(plan__code=code)
        .select_related("group")
        .prefetch_related("responsibilities__unit", "responsibilities__group")
    )


def first_lead(indicator: Indicator) -> str:
    lead = next(r for r in indicator.responsibilities.all() if r.role == "lead")
    if lead.unit is not None:
        return lead.unit.code
    assert lead.group is not None
    return f"group:{lead.group.code}"


def test_the_2026_plan_has_34_indicators_in_five_groups_numbered_as_printed(shipped_data):
    found = {}
    for indicator in indicators("quang-ngai-2026"):
        found.setdefault(indicator.group.code, []).append(indicator.number)
    assert {group: len(numbers) for group, numbers in found.items()} == {
        "I": 11,
        "II": 7,
        "III": 8,
        "IV": 3,
        "V": 5,
    }
    assert {group: [n for n, _ in rows] for group, rows in TARGETS_2026.items()} == found


def test_every_2026_target_is_as_printed_with_its_numeric_value(shipped_data):
    for indicator in indicators("quang-ngai-2026"):
        expected = dict(TARGETS_2026[indicator.group.code])[indicator.number]
        assert indicator.target_text == expected, indicator.label
        if expected == "Hoàn thành":
            assert indicator.target_value is None and indicator.direction == "milestone"
        else:
            assert indicator.target_value == Decimal(expected.rstrip("%")), indicator.label
            assert indicator.direction == "higher"


def test_the_2026_groups_are_named_as_printed(shipped_data):
    plan = Plan.objects.get(code="quang-ngai-2026")
    assert {g.code: g.name for g in plan.groups.all()} == GROUP_NAMES_2026


def test_the_2026_lead_units_are_linked_to_unit_records(shipped_data):
    leads = {i.label: first_lead(i) for i in indicators("quang-ngai-2026")}
    for label, expected in FIRST_LEAD_2026.items():
        assert leads[label] == expected, label
    # every indicator has a lead, and every responsibility points at a unit or a group
    assert all(leads.values())


def test_the_2026_baselines_point_at_the_same_measure_in_2025(shipped_data):
    baselines = {
        i.label: i.baseline_indicator
        for i in indicators("quang-ngai-2026").select_related("baseline_indicator")
    }
    assert baselines["I.1"].number == "2" and baselines["I.1"].plan.code == "quang-ngai-2025"
    assert baselines["I.5"].number == "4"
    assert baselines["III.14"].number == "14"
    assert baselines["II.1"] is None


def test_the_2025_plan_has_the_23_indicators_of_phu_luc_1_with_lead_result_and_verdict(shipped_data):
    found = {i.number: i for i in indicators("quang-ngai-2025").prefetch_related("stated_verdicts")}
    assert sorted(found, key=int) == [str(n) for n in range(1, 24)]
    for number, (lead_text, result_text, verdict) in RESULTS_2025.items():
        indicator = found[number]
        assert indicator.lead_text == lead_text, number
        stated = indicator.stated_verdicts.get(period="2025")
        assert stated.verdict == verdict, number
        if result_text is not None:
            assert stated.reason == result_text, number


def test_every_indicator_name_and_result_appears_verbatim_in_the_seed(shipped_data):
    text = seed_text()
    # undo the PDF's page breaks inside two table rows and the glued footnote marker
    text = re.sub(r" TT Chỉ tiêu Cơ quan chủ trì Kết quả thực hiện năm 2025 Đánh giá", "", text)
    for indicator in Indicator.objects.all():
        first_words = " ".join(indicator.name.split()[:8])
        assert first_words in text, f"{indicator.plan.code} {indicator.label}: {first_words!r}"


def test_the_2026_tasks_are_the_nine_of_section_iii_due_at_the_end_of_2026(shipped_data):
    tasks = list(
        Task.objects.filter(plan__code="quang-ngai-2026").prefetch_related("items", "responsibilities")
    )
    assert [t.number for t in tasks] == [str(n) for n in range(1, 10)]
    assert tasks[2].title == "Hạ tầng số"
    assert tasks[3].title == "Nhân lực số"
    assert all(str(t.due_on) == "2026-12-31" for t in tasks)
    assert all(t.responsibilities.exists() for t in tasks)
    assert all(t.items.exists() for t in tasks)
    text = seed_text()
    for task in tasks:
        for item in task.items.all():
            assert " ".join(item.text.split()[:6]) in text, f"task {task.number}: {item.text[:60]}"
