"""VN_AQI against hand-worked examples of Quyết định 1459/QĐ-TCMT (2019), section 2.3, and the edges."""

from pathlib import Path

import pytest

from tiendo.core.yamlfile import FileValidationError
from tiendo.ioc.domain import aqi

DECISION_PM25 = [
    20.6,
    19.6,
    22.4,
    20.3,
    16.5,
    19.0,
    16.5,
    19.5,
    23.5,
    20.5,
    24.7,
    26.9,
]  # c1 (20:00) … c12 (09:00)


def test_the_shipped_table_loads_with_its_legal_source_and_the_figures_of_table_2():
    table = aqi.load_table()

    assert table.source.number == "1459/QĐ-TCMT"
    assert table.citation.startswith("Quyết định 1459/QĐ-TCMT ngày 12/11/2019 của Tổng cục Môi trường")
    assert table.index == (0, 50, 100, 150, 200, 300, 400, 500)
    assert table.breakpoints["pm25"] == (0, 25, 50, 80, 150, 250, 350, 500)
    assert table.breakpoints["o3_8h"][-2:] == (None, None)
    assert table.breakpoints["co"][1] == 10000


def test_the_nowcast_of_the_decisions_example_is_20_3():
    """2.3 a: w* = Cmin/Cmax = 16,5 / 26,9 = 0,613 > 0,5 so w = 0,613;
    NowCast = Σ w^(i−1)·c_i / Σ w^(i−1) = 20,27 → the decision prints 20,3 µg/m³."""
    assert round(aqi.nowcast(DECISION_PM25), 1) == 20.3


def test_a_nowcast_with_a_wide_range_takes_the_weight_one_half():
    """c1 = 40, c2 = 20, c3 = 10, the rest missing: w* = 10/40 = 0,25 ≤ 0,5 so w = 0,5;
    NowCast = (1·40 + 0,5·20 + 0,25·10) / (1 + 0,5 + 0,25) = 52,5 / 1,75 = 30."""
    assert aqi.nowcast([40, 20, 10] + [None] * 9) == pytest.approx(30.0)


def test_a_missing_hour_weighs_nothing_in_the_nowcast():
    """c1 missing, c2 = 30, c3 = 20: w = 20/30 = 2/3; weights 0, 2/3, 4/9;
    NowCast = (2/3·30 + 4/9·20) / (2/3 + 4/9) = (260/9) / (10/9) = 26."""
    assert aqi.nowcast([None, 30, 20]) == pytest.approx(26.0)


def test_the_nowcast_needs_two_of_the_three_latest_hours():
    assert aqi.nowcast([None, 30, None, 40, 40, 40]) is None
    assert aqi.nowcast([]) is None


def test_the_hourly_index_of_the_decisions_example_takes_the_largest_sub_index():
    """2.3 b: O3 136,1 → 50/160 × 136,1 = 42,5 → 43; NO2 118,7 → 50 + 50/100 × 18,7 = 59,35;
    PM2.5 NowCast 20,3 → 50/25 × 20,3 = 40,6 → 41. AQI^h = max = 59,35 → 59 (the decision prints 60,
    which no rounding rule reproduces together with its other examples; see vn-aqi.yaml)."""
    result = aqi.hourly_aqi({"o3": [136.1], "no2": [118.7], "pm25": [20.3, 20.3]})

    assert result is not None
    assert result.sub_indices == {"o3": 43, "no2": 59, "pm25": 41}
    assert (result.value, result.dominant, result.band.code) == (59, "no2", "moderate")


def test_the_daily_index_of_the_decisions_example_is_110():
    """2.3 c: O3 8-h max 89,3 → 50/100 × 89,3 = 44,65 → 45; O3 1-h max 114,6 → 50/160 × 114,6 = 35,8
    → 36, so O3 gives 45; NO2 1-h max 130,8 → 50 + 50/100 × 30,8 = 65,4 → 65; PM2.5 24-h mean 55,7 →
    100 + 50/30 × 5,7 = 109,5 → 110. AQI^d = 110 (Kém), as the decision."""
    o3 = [89.3] * 8 + [0.0] * 15 + [114.6]  # 8-h means: 89,3 at 08:00, lower elsewhere; 1-h max 114,6
    no2 = [50.0] * 23 + [130.8]
    result = aqi.daily_aqi({"o3": o3, "no2": no2, "pm25": [55.7] * 24}, o3_before=[0.0] * 7)

    assert result is not None
    assert result.sub_indices == {"o3": 45, "no2": 65, "pm25": 110}
    assert (result.value, result.dominant, result.band.name) == (110, "pm25", "Kém")


def test_a_daily_index_needs_eighteen_hours_of_a_pollutant():
    assert aqi.daily_aqi({"pm25": [30.0] * 17 + [None] * 7}) is None
    result = aqi.daily_aqi({"pm25": [30.0] * 18 + [None] * 6})
    assert result is not None and result.value == 60  # 50 + 50/25 × 5 = 60


def test_ozone_above_400_over_eight_hours_is_indexed_on_its_hourly_maximum_only():
    """O3 at 450 for 24 h: 8-h means 450 > 400, no O3 8h index (its table would give 300 at most);
    O3 1h 450 → 200 + (300 − 200) / (800 − 400) × (450 − 400) = 212,5 → 213."""
    result = aqi.daily_aqi({"o3": [450.0] * 24, "pm25": [10.0] * 24})

    assert result is not None and result.sub_indices["o3"] == 213


@pytest.mark.parametrize(
    ("column", "concentration", "expected"),
    [
        ("pm25", 0.0, 0.0),
        ("pm25", 25.0, 50.0),  # the edge: both segments give 50
        ("pm25", 25.25, 50.5),  # 50 + 50/25 × 0,25
        ("pm25", 500.0, 500.0),
        ("pm25", 800.0, 500.0),  # "≥ 500" in Bảng 2
        ("pm25", -3.0, 0.0),  # a sensor's drift below zero counts as zero
        ("co", 10000.0, 50.0),
        ("so2", 2630.0, 500.0),
        ("o3_8h", 400.0, 300.0),
        ("o3_8h", 400.1, None),  # no O3 8h level above 400
    ],
)
def test_the_sub_index_interpolates_linearly_within_the_breakpoints(column, concentration, expected):
    value = aqi.sub_index(column, concentration)

    assert value == (pytest.approx(expected) if expected is not None else None)


def test_an_index_half_way_rounds_up_into_the_next_band():
    """PM2.5 25,25 → 50,5 → 51 (half up), Trung bình; 25,1 → 50,2 → 50, Tốt."""
    assert aqi.hourly_aqi({"pm25": [25.25, 25.25]}).value == 51
    assert aqi.hourly_aqi({"pm25": [25.1, 25.1]}).band.name == "Tốt"


@pytest.mark.parametrize(
    ("value", "name", "rgb"),
    [
        (0, "Tốt", (0, 228, 0)),
        (50, "Tốt", (0, 228, 0)),
        (51, "Trung bình", (255, 255, 0)),
        (100, "Trung bình", (255, 255, 0)),
        (101, "Kém", (255, 126, 0)),
        (150, "Kém", (255, 126, 0)),
        (151, "Xấu", (255, 0, 0)),
        (201, "Rất xấu", (143, 63, 151)),
        (300, "Rất xấu", (143, 63, 151)),
        (301, "Nguy hại", (126, 0, 35)),
        (500, "Nguy hại", (126, 0, 35)),
    ],
)
def test_each_index_falls_in_its_band_with_the_decisions_colour(value, name, rgb):
    band = aqi.band_of(value)

    assert (band.name, band.rgb) == (name, rgb)


def test_a_band_shows_its_hex_colour_and_translated_label():
    band = aqi.band_of(120)

    assert band.hex == "#ff7e00"
    assert band.label == "Kém"  # the UI default is Vietnamese


def test_there_is_no_index_without_pm25_or_pm10():
    assert aqi.hourly_aqi({"o3": [100.0], "no2": [50.0]}) is None


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = aqi.VN_AQI_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "vn-aqi.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_a_table_with_breakpoints_out_of_order_is_refused_naming_the_line(tmp_path):
    path = _broken(tmp_path, "pm25: [0, 25, 50, 80,", "pm25: [0, 25, 80, 50,")

    with pytest.raises(FileValidationError) as refused:
        aqi.load_table(path)

    assert "breakpoints.pm25" in str(refused.value)
    assert "tăng dần" in str(refused.value)


def test_a_table_with_a_missing_level_or_a_gap_between_bands_is_refused(tmp_path):
    path = _broken(tmp_path, "so2: [0, 125, 350, 550, 800, 1600, 2100, 2630]", "so2: [0, 125, 350]")
    path.write_text(path.read_text(encoding="utf-8").replace("{low: 51, high: 100", "{low: 52, high: 100"))

    with pytest.raises(FileValidationError) as refused:
        aqi.load_table(path)

    errors = refused.value.errors
    assert any("breakpoints.so2" in e for e in errors)
    assert any("bands[1].low" in e for e in errors)
