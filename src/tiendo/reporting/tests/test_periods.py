from datetime import date

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting.periods import (
    add_days,
    cutoff_window,
    deadline,
    parse_period,
    period_containing,
    period_label,
    periods_of_year,
)


@pytest.mark.parametrize(
    ("identifier", "period_type", "start", "end"),
    [
        ("2026", "yearly", date(2026, 1, 1), date(2026, 12, 31)),
        ("2026S2", "sixmonthly", date(2026, 7, 1), date(2026, 12, 31)),
        ("2026Q1", "quarterly", date(2026, 1, 1), date(2026, 3, 31)),
        ("202602", "monthly", date(2026, 2, 1), date(2026, 2, 28)),
        ("2026W05", "weekly", date(2026, 1, 26), date(2026, 2, 1)),
        ("20260115", "daily", date(2026, 1, 15), date(2026, 1, 15)),
    ],
)
def test_dhis2_period_identifiers_are_parsed(identifier, period_type, start, end):
    period = parse_period(identifier)
    assert (period.period_type, period.start, period.end) == (period_type, start, end)


@pytest.mark.parametrize("identifier", ["2026Q5", "202613", "2026S3", "26", "2026-01", "", "2026W54"])
def test_a_bad_period_identifier_is_refused_naming_the_formats(identifier):
    with pytest.raises(ApplicationError, match="2026Q1"):
        parse_period(identifier)


@pytest.mark.parametrize(
    ("identifier", "first", "last"),
    [
        ("202603", date(2026, 2, 15), date(2026, 3, 14)),
        ("202601", date(2025, 12, 15), date(2026, 1, 14)),
        ("2026Q1", date(2025, 12, 15), date(2026, 3, 14)),
        ("2026Q3", date(2026, 6, 15), date(2026, 9, 14)),
        ("2026S1", date(2025, 12, 15), date(2026, 6, 14)),
        ("2026S2", date(2026, 6, 15), date(2026, 12, 14)),
        ("2026", date(2025, 12, 15), date(2026, 12, 14)),
    ],
)
def test_cut_off_windows_follow_nghi_dinh_09_2019(identifier, first, last):
    assert cutoff_window(parse_period(identifier)) == (first, last)


def test_a_deadline_in_working_days_skips_the_weekend():
    # Q1 2026 is cut off on Saturday 14/03/2026; 5 working days later is Friday 20/03/2026
    assert deadline(parse_period("2026Q1"), days=5, working_days=True) == date(2026, 3, 20)
    assert deadline(parse_period("2026Q1"), days=5, working_days=False) == date(2026, 3, 19)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31)), st.integers(0, 40))
def test_working_days_never_land_on_a_weekend(start, days):
    result = add_days(start, days, working_days=True)
    assert result >= start
    assert days == 0 or result.weekday() < 5


@pytest.mark.parametrize("period_type", ["monthly", "quarterly", "sixmonthly", "yearly"])
@given(day=st.dates(min_value=date(2001, 1, 1), max_value=date(2090, 12, 31)))
def test_every_day_falls_in_exactly_one_cut_off_window(period_type, day):
    period = period_containing(period_type, day)
    start, end = cutoff_window(period)
    assert start <= day <= end


def test_a_year_has_the_periods_of_its_type():
    assert [p.identifier for p in periods_of_year("quarterly", 2026)] == [
        "2026Q1",
        "2026Q2",
        "2026Q3",
        "2026Q4",
    ]
    assert len(periods_of_year("monthly", 2026)) == 12


def test_periods_have_vietnamese_and_english_labels():
    assert period_label(parse_period("2026Q2")) == "Quý 2/2026"
    assert period_label(parse_period("2026S1")) == "6 tháng đầu năm 2026"
    assert period_label(parse_period("202603")) == "Tháng 03/2026"
    with translation.override("en"):
        assert period_label(parse_period("2026Q2")) == "Q2 2026"
        assert period_label(parse_period("2026S2")) == "H2 2026"
        assert period_label(parse_period("202603")) == "March 2026"
        assert period_label(parse_period("2026")) == "Year 2026"
