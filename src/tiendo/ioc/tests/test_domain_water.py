"""River water levels against a station's flood alarm levels I, II, III."""

import pytest

from tiendo.ioc.domain import water

TRA_KHUC = (3.5, 5.0, 6.5)  # BĐ I, II, III at the Trà Khúc station, metres


@pytest.mark.parametrize(
    ("level", "expected", "label"),
    [
        (2.27, 0, "Dưới báo động I"),
        (3.49, 0, "Dưới báo động I"),
        (3.5, 1, "Báo động I"),  # reached at the level itself
        (4.99, 1, "Báo động I"),
        (5.0, 2, "Báo động II"),
        (6.5, 3, "Báo động III"),
        (8.1, 3, "Báo động III"),
    ],
)
def test_a_water_level_reaches_each_alarm_at_or_above_it(level, expected, label):
    result = water.alarm_level(level, TRA_KHUC)

    assert result == expected
    assert water.alarm_label(result) == label


def test_a_stations_alarm_levels_are_read_from_its_properties():
    assert water.alarm_levels_of({"alarm_levels": [3.5, 5, 6.5]}) == (3.5, 5.0, 6.5)


@pytest.mark.parametrize(
    "properties",
    [
        {},
        {"alarm_levels": [5.0, 3.5, 6.5]},
        {"alarm_levels": [3.5, 5.0]},
        {"alarm_levels": ["3.5", 5, 6]},
        {"alarm_levels": [True, 5, 6]},
        {"alarm_levels": [1, 2, float("inf")]},
        [],
        None,
    ],
)
def test_malformed_alarm_levels_give_no_levels(properties):
    assert water.alarm_levels_of(properties) is None
