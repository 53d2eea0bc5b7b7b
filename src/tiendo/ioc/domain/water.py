"""River water levels against a station's flood alarm levels (cấp báo động lũ I, II, III).

The levels of each station are the registry's data (device.properties["alarm_levels"], metres, the
gauge's datum), as Quyết định số 05/2020/QĐ-TTg ngày 31/01/2020 của Thủ tướng Chính phủ "quy định mực
nước tương ứng với các cấp báo động lũ trên các sông thuộc phạm vi cả nước" sets them per station. A
level is reached when the water is at or above it (≥), as the hydrological bulletins say "ở mức BĐ1".
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

ALARM_LEVELS_PROPERTY = "alarm_levels"
LEVEL_NAMES = (
    gettext_noop("Dưới báo động I"),
    gettext_noop("Báo động I"),
    gettext_noop("Báo động II"),
    gettext_noop("Báo động III"),
)


def alarm_levels_of(properties: object) -> tuple[float, float, float] | None:
    """The station's three levels (strictly increasing numbers), or None when absent or malformed."""
    if not isinstance(properties, dict):
        return None
    raw = properties.get(ALARM_LEVELS_PROPERTY)
    if not isinstance(raw, list | tuple) or len(raw) != 3:
        return None
    if not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in raw):
        return None
    first, second, third = (float(v) for v in raw)
    return (first, second, third) if first < second < third else None


def alarm_level(value: float, levels: Sequence[float]) -> int:
    """0 below alarm I; 1, 2, 3 at or above alarm I, II, III."""
    return sum(1 for level in levels if value >= level)


def alarm_label(level: int) -> str:
    """'Báo động I' … 'Báo động III'; 'Dưới báo động I' for 0 (translated)."""
    return _(LEVEL_NAMES[max(0, min(level, 3))])
