"""Hand-worked cases of the Open SDG progress method, including the reference's edge cases."""

import math
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tiendo.analytics.progress import (
    ACCELERATION_NEEDED,
    DETERIORATION,
    LIMITED,
    NOT_AVAILABLE,
    ON_TRACK,
    TARGET_ACHIEVED,
    progress_status,
    year_fraction,
)


def test_year_fraction_puts_the_end_of_a_year_at_the_next_year():
    assert year_fraction(date(2025, 12, 31)) == 2026.0
    assert year_fraction(date(2026, 6, 30)) == pytest.approx(2026 + 181 / 365)


def test_a_target_met_is_achieved_before_any_ratio():
    assert (
        progress_status(baseline=50, t0=2025, value=81, t=2025.5, target=80, T=2026).status == TARGET_ACHIEVED
    )


def test_on_track_when_growing_at_least_95_percent_of_the_required_pace():
    # 50 → 80 in a year needs +60 %; half a year at +60 %/year is 50·1.6^0.5 = 63.25
    result = progress_status(baseline=50, t0=2025, value=63.25, t=2025.5, target=80, T=2026)
    assert result.required == pytest.approx(0.6)
    assert result.growth == pytest.approx(0.6, abs=1e-3)
    assert result.status == ON_TRACK
    assert result.projection == pytest.approx(80, abs=0.05)


def test_acceleration_needed_between_60_and_95_percent_of_the_pace():
    # growth 45 %/year: R = 0.45 / 0.6 = 0.75
    value = 50 * 1.45**0.5
    result = progress_status(baseline=50, t0=2025, value=value, t=2025.5, target=80, T=2026)
    assert result.ratio == pytest.approx(0.75)
    assert result.status == ACCELERATION_NEEDED


def test_limited_below_60_percent_and_deterioration_when_going_backwards():
    assert progress_status(baseline=50, t0=2025, value=52, t=2025.5, target=80, T=2026).status == LIMITED
    assert (
        progress_status(baseline=50, t0=2025, value=45, t=2025.5, target=80, T=2026).status == DETERIORATION
    )


def test_lower_is_better_flips_the_direction():
    # poverty rate 10 → 5 in a year: −50 %; at 7,07 half way the pace is exactly the one required
    result = progress_status(
        baseline=10, t0=2025, value=10 * 0.5**0.5, t=2025.5, target=5, T=2026, higher_is_better=False
    )
    assert result.ratio == pytest.approx(1.0)
    assert result.status == ON_TRACK
    worse = progress_status(
        baseline=10, t0=2025, value=12, t=2025.5, target=5, T=2026, higher_is_better=False
    )
    assert worse.status == DETERIORATION


def test_not_available_without_data_or_time_or_with_opposite_signs():
    assert (
        progress_status(baseline=None, t0=2025, value=60, t=2025.5, target=80, T=2026).status == NOT_AVAILABLE
    )
    assert (
        progress_status(baseline=50, t0=2025, value=None, t=2025.5, target=80, T=2026).status == NOT_AVAILABLE
    )
    assert (
        progress_status(baseline=50, t0=2025.5, value=60, t=2025.5, target=80, T=2026).status == NOT_AVAILABLE
    )
    assert progress_status(baseline=-5, t0=2025, value=3, t=2025.5, target=8, T=2026).status == NOT_AVAILABLE


def test_a_zero_baseline_is_treated_as_a_small_positive_number():
    result = progress_status(baseline=0, t0=2025, value=40, t=2025.5, target=80, T=2026)
    assert result.status in (ON_TRACK, ACCELERATION_NEEDED, LIMITED)
    assert result.ratio is not None and math.isfinite(result.ratio)


@given(
    baseline=st.floats(min_value=1, max_value=1000),
    target_growth=st.floats(min_value=0.05, max_value=5),
    share=st.floats(min_value=0.01, max_value=0.99),
)
def test_growing_exactly_at_the_required_pace_is_on_track_with_ratio_one(baseline, target_growth, share):
    target = baseline * (1 + target_growth)
    t = 2025 + share
    value = baseline * (1 + target_growth) ** share
    result = progress_status(baseline=baseline, t0=2025, value=value, t=t, target=target, T=2026)
    assert result.status in (ON_TRACK, TARGET_ACHIEVED)
    if result.status == ON_TRACK:
        assert result.ratio == pytest.approx(1.0, rel=1e-6)
        assert result.projection == pytest.approx(target, rel=1e-6)
