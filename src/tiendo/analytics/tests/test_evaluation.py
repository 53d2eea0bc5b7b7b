from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from hypothesis import given
from hypothesis import strategies as st

from tiendo.analytics.evaluation import compare, evaluate
from tiendo.analytics.selectors import indicator_rows, plan_overview
from tiendo.plans.models import Indicator, IndicatorGroup, Plan, StatedVerdict
from tiendo.reporting.models import DataValue

pytestmark = pytest.mark.django_db

BEFORE_END_2026 = date(2026, 11, 22)
AFTER_END_2026 = date(2027, 1, 15)


def plan_2026() -> Plan:
    return Plan(code="p", year=2026, starts_on=date(2026, 1, 1), ends_on=date(2026, 12, 31), province_id=1)


def indicator(*, target: str | None, direction: str = "higher") -> Indicator:
    plan = plan_2026()
    return Indicator(
        pk=1,
        plan=plan,
        group=IndicatorGroup(plan=plan, code="I"),
        number="1",
        target_text=f"{target}%" if target else "Hoàn thành",
        target_value=Decimal(target) if target else None,
        direction=direction,
    )


def value(amount: str | None, period: str = "2026", text: str = "") -> DataValue:
    return DataValue(period=period, value=Decimal(amount) if amount is not None else None, text_value=text)


def stated(verdict: str, period: str = "2026") -> StatedVerdict:
    return StatedVerdict(period=period, verdict=verdict, source="Văn bản")


def test_a_value_meeting_a_higher_is_better_target_is_dat():
    result = evaluate(indicator(target="80"), values=[value("80")], stated=[], as_of=AFTER_END_2026)
    assert (result.verdict, result.basis, result.value) == ("dat", "computed", Decimal("80"))


def test_a_value_short_of_the_target_after_the_deadline_is_chua_dat():
    result = evaluate(indicator(target="80"), values=[value("79.99")], stated=[], as_of=AFTER_END_2026)
    assert result.verdict == "chua_dat"


def test_a_value_short_of_the_target_before_the_deadline_is_not_yet_due():
    result = evaluate(
        indicator(target="80"), values=[value("50", "2026Q2")], stated=[], as_of=BEFORE_END_2026
    )
    assert result.verdict == "chua_den_han"
    assert result.value == Decimal("50")


def test_a_target_already_met_before_the_deadline_is_dat():
    result = evaluate(
        indicator(target="80"), values=[value("85", "2026S1")], stated=[], as_of=BEFORE_END_2026
    )
    assert result.verdict == "dat"


def test_lower_is_better_compares_the_other_way():
    target = indicator(target="5", direction="lower")
    assert evaluate(target, values=[value("4")], stated=[], as_of=AFTER_END_2026).verdict == "dat"
    assert evaluate(target, values=[value("6")], stated=[], as_of=AFTER_END_2026).verdict == "chua_dat"


def test_no_data_after_the_deadline_is_thieu_so_lieu_and_before_it_chua_den_han():
    assert (
        evaluate(indicator(target="80"), values=[], stated=[], as_of=AFTER_END_2026).verdict
        == "thieu_so_lieu"
    )
    assert (
        evaluate(indicator(target="80"), values=[], stated=[], as_of=BEFORE_END_2026).verdict
        == "chua_den_han"
    )


def test_the_latest_period_of_the_plan_year_is_the_one_evaluated():
    values = [value("90", "2026Q1"), value("70", "2026Q3"), value("99", "2025")]
    result = evaluate(indicator(target="80"), values=values, stated=[], as_of=AFTER_END_2026)
    assert (result.period, result.verdict) == ("2026Q3", "chua_dat")


def test_a_qualitative_result_takes_the_stated_verdict_and_says_so():
    result = evaluate(
        indicator(target=None, direction="milestone"),
        values=[value(None, text="Đã kết nối")],
        stated=[stated("dat")],
        as_of=AFTER_END_2026,
    )
    assert (result.verdict, result.basis, result.value_text) == ("dat", "stated", "Đã kết nối")
    assert result.stated.source == "Văn bản"


def test_a_computed_verdict_that_contradicts_the_document_is_flagged():
    result = evaluate(
        indicator(target="80"), values=[value("70")], stated=[stated("dat")], as_of=AFTER_END_2026
    )
    assert result.verdict == "chua_dat"
    assert result.disagrees_with_document


@given(
    amount=st.decimals(min_value=0, max_value=1000, places=2),
    target=st.decimals(min_value=0, max_value=1000, places=2),
    direction=st.sampled_from(["higher", "lower"]),
)
def test_after_the_deadline_the_verdict_is_dat_exactly_when_the_value_meets_the_target(
    amount, target, direction
):
    subject = indicator(target=str(target), direction=direction)
    result = evaluate(subject, values=[value(str(amount))], stated=[], as_of=AFTER_END_2026)
    expected = amount >= target if direction == "higher" else amount <= target
    assert (result.verdict == "dat") == expected
    assert compare(value=amount, target=target, direction=direction) == expected


def test_for_2025_every_computed_verdict_equals_the_documents_verdict(shipped_data):
    rows = indicator_rows(
        user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"), as_of=date(2026, 11, 22)
    )
    computed = [row for row in rows if row.evaluation.basis == "computed"]
    assert len(computed) == 12  # every row of Phụ lục 1 whose result gives one figure for the indicator
    for row in computed:
        assert row.evaluation.verdict == row.evaluation.stated.verdict, row.indicator.label
        assert not row.evaluation.disagrees_with_document
    stated_rows = [row for row in rows if row.evaluation.basis == "stated"]
    assert len(stated_rows) == 11
    assert all(row.evaluation.stated.source.startswith("Kế hoạch Chuyển đổi số") for row in stated_rows)


def test_the_2025_plan_counts_19_dat_and_4_chua_dat(shipped_data):
    overview = plan_overview(
        user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2025"), as_of=date(2026, 11, 22)
    )
    assert overview.counts == {"dat": 19, "chua_dat": 4, "chua_den_han": 0, "thieu_so_lieu": 0}
    assert [row.indicator.number for row in overview.at_risk] == ["1", "4", "10", "14"]


def test_the_2026_plan_is_not_yet_due_before_31_12_2026(shipped_data):
    overview = plan_overview(
        user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2026"), as_of=date(2026, 11, 22)
    )
    assert overview.counts["chua_den_han"] == 34
    after = plan_overview(
        user=AnonymousUser(), plan=Plan.objects.get(code="quang-ngai-2026"), as_of=date(2027, 1, 1)
    )
    assert after.counts["thieu_so_lieu"] == 34


def test_evaluating_a_whole_plan_takes_a_fixed_number_of_queries(shipped_data, django_assert_max_num_queries):
    plan = Plan.objects.get(code="quang-ngai-2026")
    # indicators, responsibilities, stated values, stated verdicts, formula elements, formula sums (+2 unit counts)
    with django_assert_max_num_queries(8):
        rows = indicator_rows(user=AnonymousUser(), plan=plan, as_of=date(2026, 11, 22))
        assert len(rows) == 34
        assert all(row.leads for row in rows)


def test_a_milestone_written_hoan_thanh_is_dat_and_anything_else_after_the_deadline_is_chua_dat():
    milestone = indicator(target=None, direction="milestone")
    done = evaluate(milestone, values=[value(None, text="Hoàn thành")], stated=[], as_of=BEFORE_END_2026)
    assert (done.verdict, done.basis) == ("dat", "computed")
    late = evaluate(milestone, values=[value(None, text="Đang triển khai")], stated=[], as_of=AFTER_END_2026)
    assert late.verdict == "chua_dat"
    early = evaluate(
        milestone, values=[value(None, text="Đang triển khai")], stated=[], as_of=BEFORE_END_2026
    )
    assert early.verdict == "chua_den_han"
