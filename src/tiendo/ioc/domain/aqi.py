"""VN_AQI as Quyết định 1459/QĐ-TCMT (2019) prescribes: sub-indices by linear interpolation in
Bảng 2, NowCast for PM2.5 and PM10, hourly and daily index, the six bands of Bảng 1.

The figures are data (vn-aqi.yaml, with its legal source and what could not be confirmed), loaded and
checked once; the functions here are pure (numbers in, numbers out), so they are tested against the
decision's worked examples without a database. Concentrations are in µg/m³ (CO too)."""

from __future__ import annotations

import functools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Annotated

from django.utils.translation import gettext as _
from django.utils.translation import pgettext, pgettext_lazy
from pydantic import Field, ValidationError

from tiendo.core.yamlfile import StrictModel, YamlDocument

VN_AQI_FILE = Path(__file__).parent / "vn-aqi.yaml"
POLLUTANTS = ("pm25", "pm10", "o3", "co", "no2", "so2")  # the metric codes of an air-quality station
COLUMNS = ("o3_1h", "o3_8h", "co", "so2", "no2", "pm10", "pm25")  # the columns of Bảng 2

# the bands' names and colours, for the catalogue (the file holds the same Vietnamese text); with a
# context, as "Trung bình" is also the aggregation "average" elsewhere
BAND_CONTEXT, COLOUR_CONTEXT = "VN_AQI band", "VN_AQI colour"
_MSGIDS = (
    pgettext_lazy("VN_AQI band", "Tốt"),
    pgettext_lazy("VN_AQI band", "Trung bình"),
    pgettext_lazy("VN_AQI band", "Kém"),
    pgettext_lazy("VN_AQI band", "Xấu"),
    pgettext_lazy("VN_AQI band", "Rất xấu"),
    pgettext_lazy("VN_AQI band", "Nguy hại"),
    pgettext_lazy("VN_AQI colour", "Xanh"),
    pgettext_lazy("VN_AQI colour", "Vàng"),
    pgettext_lazy("VN_AQI colour", "Da cam"),
    pgettext_lazy("VN_AQI colour", "Đỏ"),
    pgettext_lazy("VN_AQI colour", "Tím"),
    pgettext_lazy("VN_AQI colour", "Nâu"),
)

Rgb = tuple[
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
    Annotated[int, Field(ge=0, le=255)],
]


class SourceEntry(StrictModel):
    number: str
    date: date
    issuer: str
    title: str
    sections: str
    url: str = ""


class NowcastEntry(StrictModel):
    pollutants: list[str]
    hours: Annotated[int, Field(ge=1, le=48)]
    min_weight: Annotated[float, Field(gt=0, lt=1)]
    recent_hours: Annotated[int, Field(ge=1)]
    recent_required: Annotated[int, Field(ge=1)]


class CompletenessEntry(StrictModel):
    day_hours_required: Annotated[int, Field(ge=1, le=24)]
    eight_hour_required: Annotated[int, Field(ge=1, le=8)]


class BandEntry(StrictModel):
    low: Annotated[int, Field(ge=0)]
    high: Annotated[int, Field(ge=0)]
    code: str
    name: str
    colour: str
    rgb: Rgb


class AqiFile(StrictModel):
    source: SourceEntry
    index: list[int]
    breakpoints: dict[str, list[float | None]]
    nowcast: NowcastEntry
    required_any: list[str]
    completeness: CompletenessEntry
    bands: list[BandEntry]


@dataclass(frozen=True)
class Band:
    low: int
    high: int
    code: str
    name: str  # Vietnamese msgid: show it through gettext (`label`)
    colour: str
    rgb: tuple[int, int, int]

    @property
    def label(self) -> str:
        return pgettext(BAND_CONTEXT, self.name)

    @property
    def colour_label(self) -> str:
        return pgettext(COLOUR_CONTEXT, self.colour)

    @property
    def hex(self) -> str:
        return "#{:02x}{:02x}{:02x}".format(*self.rgb)


@dataclass(frozen=True)
class AqiTable:
    source: SourceEntry
    index: tuple[int, ...]
    breakpoints: dict[str, tuple[float | None, ...]]
    nowcast: NowcastEntry
    required_any: tuple[str, ...]
    completeness: CompletenessEntry
    bands: tuple[Band, ...]

    @property
    def citation(self) -> str:
        return f"Quyết định {self.source.number} ngày {self.source.date:%d/%m/%Y} của {self.source.issuer}"


@dataclass(frozen=True)
class AqiResult:
    """An index: its value (integer), the sub-index of each pollutant that had data, the dominant one."""

    value: int
    sub_indices: dict[str, int]
    dominant: str
    band: Band


def _check_columns(document: YamlDocument, data: AqiFile) -> list[str]:
    errors: list[str] = []
    levels = len(data.index)
    for column, values in data.breakpoints.items():
        loc: tuple[str | int, ...] = ("breakpoints", column)
        if column not in COLUMNS:
            errors.append(document.error(loc, _("cột không có trong Bảng 2")))
        if len(values) != levels:
            errors.append(document.error(loc, _("phải có %(n)s giá trị, như các mức I_i") % {"n": levels}))
            continue
        known = [v for v in values if v is not None]
        if values[0] != 0 or len(known) < 2 or None in values[: len(known)]:
            errors.append(document.error(loc, _("bắt đầu từ 0; ô trống (null) chỉ được ở cuối")))
        elif any(b <= a for a, b in zip(known, known[1:], strict=False)):
            errors.append(document.error(loc, _("các giá trị BP_i phải tăng dần")))
    return errors


def _check_bands(document: YamlDocument, data: AqiFile) -> list[str]:
    errors: list[str] = []
    expected_low = 0
    for index, band in enumerate(data.bands):
        if band.low != expected_low or band.high < band.low:
            errors.append(
                document.error(("bands", index, "low"), _("các khoảng phải liền nhau, bắt đầu từ 0"))
            )
        expected_low = band.high + 1
    if not data.bands or data.bands[-1].high != data.index[-1]:
        errors.append(document.error(("bands",), _("khoảng cuối phải kết thúc ở mức I cao nhất")))
    return errors


def _check(document: YamlDocument, data: AqiFile) -> list[str]:
    errors: list[str] = []
    if data.index != sorted(set(data.index)) or len(data.index) < 2:
        errors.append(document.error(("index",), _("các mức I_i phải tăng dần")))
    missing = [c for c in COLUMNS if c not in data.breakpoints]
    if missing:
        errors.append(
            document.error(("breakpoints",), _("thiếu cột: %(cols)s") % {"cols": ", ".join(missing)})
        )
    errors += _check_columns(document, data)
    for pollutant in [*data.nowcast.pollutants, *data.required_any]:
        if pollutant not in POLLUTANTS:
            errors.append(document.error(("nowcast",), _("không có thông số %(p)s") % {"p": pollutant}))
    return errors + _check_bands(document, data)


def load_table(path: Path = VN_AQI_FILE) -> AqiTable:
    """The tables of the file, every problem named with its line (FileValidationError) before use."""
    document = YamlDocument.load(path)
    try:
        data = AqiFile.model_validate(document.data or {})
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise  # unreachable: fail raises
    errors = _check(document, data)
    if errors:
        document.fail(errors)
    return AqiTable(
        source=data.source,
        index=tuple(data.index),
        breakpoints={column: tuple(values) for column, values in data.breakpoints.items()},
        nowcast=data.nowcast,
        required_any=tuple(data.required_any),
        completeness=data.completeness,
        bands=tuple(
            Band(low=b.low, high=b.high, code=b.code, name=b.name, colour=b.colour, rgb=b.rgb)
            for b in data.bands
        ),
    )


@functools.cache
def vn_aqi_table() -> AqiTable:
    return load_table()


def table_required_any() -> tuple[str, ...]:
    """The pollutants of which the index needs at least one (PM2.5, PM10)."""
    return vn_aqi_table().required_any


def round_half_up(value: float) -> int:
    """The decision rounds the index to an integer without saying how: half up (50.5 → 51)."""
    return int(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def sub_index(column: str, concentration: float, *, table: AqiTable | None = None) -> float | None:
    """Công thức 1/2: AQI_x = (I_{i+1} − I_i) / (BP_{i+1} − BP_i) × (C − BP_i) + I_i, for BP_i ≤ C ≤ BP_{i+1}.

    At or above the last breakpoint the index is the last I (500: "≥ BP_8" in Bảng 2); a negative
    reading (a sensor's zero drift) counts as 0. None where the column has no level for C (O3 8h
    above 400 µg/m³: the decision then uses O3 1h only)."""
    table = table or vn_aqi_table()
    points = table.breakpoints[column]
    c = max(0.0, concentration)
    for i in range(len(points) - 1):
        low, high = points[i], points[i + 1]
        if low is None or high is None:
            return None
        if low <= c <= high:
            return (table.index[i + 1] - table.index[i]) / (high - low) * (c - low) + table.index[i]
    last = points[-1]
    return float(table.index[-1]) if last is not None and c >= last else None


def band_of(value: int, *, table: AqiTable | None = None) -> Band:
    """The band of an (integer) index: 0–50 Tốt … 301–500 Nguy hại; above 500 stays Nguy hại."""
    table = table or vn_aqi_table()
    for band in table.bands:
        if band.low <= value <= band.high:
            return band
    return table.bands[-1]


def nowcast(hourly: Sequence[float | None], *, table: AqiTable | None = None) -> float | None:
    """NowCast of PM2.5 or PM10 from hourly means, newest first (c1 = the current hour, c12 = 11 hours
    earlier); None when fewer than 2 of c1, c2, c3 exist ("không có dữ liệu")."""
    table = table or vn_aqi_table()
    rule = table.nowcast
    values = list(hourly[: rule.hours])
    recent = [c for c in values[: rule.recent_hours] if c is not None]
    if len(recent) < rule.recent_required:
        return None
    known = [max(0.0, c) for c in values if c is not None]
    c_max = max(known)
    if c_max == 0:
        return 0.0
    w = max(min(known) / c_max, rule.min_weight)
    weights = [0.0 if c is None else w**i for i, c in enumerate(values)]
    total = sum(weight * max(0.0, c) for weight, c in zip(weights, values, strict=True) if c is not None)
    return total / sum(weights)


def _result(subs: dict[str, float], table: AqiTable) -> AqiResult | None:
    if not any(p in subs for p in table.required_any):
        return None  # 2.1 b: PM10 or PM2.5 is required
    rounded = {p: round_half_up(v) for p, v in subs.items()}
    dominant = max(subs, key=lambda p: subs[p])
    value = round_half_up(subs[dominant])
    return AqiResult(value=value, sub_indices=rounded, dominant=dominant, band=band_of(value, table=table))


def hourly_aqi(
    hourly: Mapping[str, Sequence[float | None]], *, table: AqiTable | None = None
) -> AqiResult | None:
    """AQI^h (2.2.1) from each pollutant's hourly means, newest first (as `nowcast`).

    PM2.5 and PM10 through their NowCast; O3 (with O3 1h's breakpoints), CO, NO2, SO2 from the
    current hour's mean c1. None without PM2.5 or PM10."""
    table = table or vn_aqi_table()
    subs: dict[str, float] = {}
    for pollutant, values in hourly.items():
        if pollutant in table.nowcast.pollutants:
            concentration = nowcast(values, table=table)
        else:
            concentration = values[0] if values else None
        column = "o3_1h" if pollutant == "o3" else pollutant
        if concentration is None or column not in table.breakpoints:
            continue
        sub = sub_index(column, concentration, table=table)
        if sub is not None:
            subs[pollutant] = sub
    return _result(subs, table)


def _mean(values: Sequence[float | None], required: int) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if len(known) >= required and known else None


def daily_aqi(
    day: Mapping[str, Sequence[float | None]],
    *,
    o3_before: Sequence[float | None] = (),
    table: AqiTable | None = None,
) -> AqiResult | None:
    """AQI^d (2.2.2) from each pollutant's 24 hourly means of the day, oldest first (01:00 … 00:00).

    PM2.5, PM10: the 24-hour mean. SO2, NO2, CO: the largest hourly mean. O3: the larger of the
    sub-index of the largest hourly mean (O3 1h) and of the largest 8-hour running mean (O3 8h) — as
    the decision's example 2.3 c computes it; 8-hour means start with the 7 hours before the day
    (`o3_before`, oldest first) and are dropped above 400 µg/m³. A value needs the completeness of
    vn-aqi.yaml (tiendo's rule; the decision sets none)."""
    table = table or vn_aqi_table()
    required = table.completeness.day_hours_required
    subs: dict[str, float] = {}
    for pollutant, values in day.items():
        known = [v for v in values if v is not None]
        if len(known) < required:
            continue
        candidates: list[float | None]
        if pollutant in ("pm25", "pm10"):
            mean = _mean(values, required)
            candidates = [sub_index(pollutant, mean, table=table)] if mean is not None else []
        elif pollutant == "o3":
            candidates = [sub_index("o3_1h", max(known), table=table)]
            series = [*list(o3_before)[-7:], *values]
            pad = 7 - min(7, len(o3_before))
            eights = [
                _mean(series[max(0, end - 7) : end + 1], table.completeness.eight_hour_required)
                for end in range(7 - pad, len(series))
            ]
            known_eights = [m for m in eights if m is not None]
            if known_eights and max(known_eights) <= 400:
                candidates.append(sub_index("o3_8h", max(known_eights), table=table))
        else:
            candidates = [sub_index(pollutant, max(known), table=table)]
        found = [c for c in candidates if c is not None and not math.isnan(c)]
        if found:
            subs[pollutant] = max(found)
    return _result(subs, table)
