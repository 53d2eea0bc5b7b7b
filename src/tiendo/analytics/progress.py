"""Progress status by the Open SDG / UN method (Statistics Canada's; DESIGN.md §5, reference opendata.md §1.1).

With baseline y0 at t0, the latest value y at t and the target yT at T (t in fractional years):
CAGR = (y/y0)^(1/(t−t0)) − 1, required = (yT/y0)^(1/(T−t0)) − 1, R = s·d·CAGR / |required|
(d = +1 when higher is better, −1 when lower is; s = −1 when y0 < 0). Target achieved is checked
first; then R ≥ 0.95 on track, 0.60 ≤ R < 0.95 acceleration needed, 0 ≤ R < 0.60 limited, R < 0
deterioration. Not available: no baseline or no value, t ≤ t0, or y0 and y of opposite signs.
A zero baseline or target is replaced by 0.001, as Open SDG does for targets, so the ratio exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils.translation import gettext_lazy as _

TARGET_ACHIEVED = "target_achieved"
ON_TRACK = "substantial_progress"
ACCELERATION_NEEDED = "moderate_progress"
LIMITED = "limited_progress"
DETERIORATION = "deterioration"
NOT_AVAILABLE = "not_available"

LABELS = {
    TARGET_ACHIEVED: _("Đã đạt mục tiêu"),
    ON_TRACK: _("Đúng tiến độ"),
    ACCELERATION_NEEDED: _("Có tiến bộ, cần tăng tốc"),
    LIMITED: _("Tiến bộ hạn chế"),
    DETERIORATION: _("Đi xuống"),
    NOT_AVAILABLE: _("Chưa đủ số liệu"),
}
HIGH, MEDIUM = 0.95, 0.60
ZERO = 0.001


def year_fraction(day: date) -> float:
    """31/12/2026 → 2027.0, 30/06/2026 → about 2026.5: the end of a period as a point in time."""
    start = date(day.year, 1, 1)
    days = (date(day.year + 1, 1, 1) - start).days
    return day.year + ((day - start).days + 1) / days


@dataclass(frozen=True)
class Progress:
    status: str
    ratio: float | None = None  # R
    growth: float | None = None  # observed CAGR
    required: float | None = None  # required CAGR
    projection: float | None = None  # value at T at the observed pace

    @property
    def label(self) -> str:
        return str(LABELS[self.status])


def _cagr(later: float, earlier: float, years: float) -> float:
    return (later / earlier) ** (1 / years) - 1


def progress_status(
    *,
    baseline: float | None,
    t0: float | None,
    value: float | None,
    t: float | None,
    target: float | None,
    T: float,
    higher_is_better: bool = True,
) -> Progress:
    if baseline is None or value is None or t0 is None or t is None or target is None:
        return Progress(NOT_AVAILABLE)
    direction = 1 if higher_is_better else -1
    if (direction == 1 and value >= target) or (direction == -1 and value <= target):
        return Progress(TARGET_ACHIEVED, projection=value)
    if t <= t0 or T <= t0:
        return Progress(NOT_AVAILABLE)
    y0 = baseline if baseline != 0 else ZERO
    y = value if value != 0 else ZERO
    yT = target if target != 0 else ZERO
    if (y0 > 0) != (y > 0) or (y0 > 0) != (yT > 0):
        return Progress(NOT_AVAILABLE)
    growth = _cagr(y, y0, t - t0)
    required = _cagr(yT, y0, T - t0)
    sign = -1 if y0 < 0 else 1
    projection = y * (1 + growth) ** (T - t) if T > t else y
    if required == 0:
        return Progress(NOT_AVAILABLE, growth=growth, required=required, projection=projection)
    ratio = sign * direction * growth / abs(required)
    if ratio >= HIGH:
        status = ON_TRACK
    elif ratio >= MEDIUM:
        status = ACCELERATION_NEEDED
    elif ratio >= 0:
        status = LIMITED
    else:
        status = DETERIORATION
    return Progress(status, ratio=ratio, growth=growth, required=required, projection=projection)
