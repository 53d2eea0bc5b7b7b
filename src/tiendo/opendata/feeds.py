"""Target II.7 from the catalogue itself: "Tỷ lệ bộ dữ liệu dùng chung của tỉnh được công khai dữ liệu
mở" = Σ DV_BDL_MO / Σ DV_BDL_DC_TOTAL × 100 (the 2026 forms file's formula for II.7).

For each publisher, in the current quarter (the period of form CDS-CQ-Q, which asks the same two
figures):
- DV_BDL_DC_TOTAL — its published datasets in the catalogue, whatever their access level (the
  province's shared datasets are those it lists for sharing);
- DV_BDL_MO — those of them that are open data: public, under a licence that conforms to the Open
  Definition.

Stored as data values with source "feed" and provenance naming the datasets counted, so II.7 is
evaluated like any other indicator. A figure a unit reported in its approved form for the same
quarter is never overwritten (reporting.services.feed_values_store): what a unit states stands, and
the catalogue fills in for the units that did not. A publisher whose last dataset was withdrawn
goes to 0 in the quarter still open; closed quarters are never rewritten.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from tiendo.opendata.models import Dataset
from tiendo.reporting.models import DataValue
from tiendo.reporting.services import FeedValue, feed_values_store

FEED = "tiendo opendata-feed"
TOTAL = "DV_BDL_DC_TOTAL"
OPEN = "DV_BDL_MO"
PREFIX = "opendata: "  # starts every provenance this feed writes: how a later run finds its own values


@dataclass(frozen=True)
class CatalogueFeedReport:
    period: str
    publishers: int
    datasets: int
    open: int
    changed: int


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def catalogue_feed_apply(*, on: date | None = None) -> CatalogueFeedReport:
    """Count the catalogue per publisher into this quarter's DV_BDL_DC_TOTAL and DV_BDL_MO."""
    period = quarter_of(on or timezone.localdate())
    names: dict[str, list[str]] = defaultdict(list)
    opened: dict[str, list[str]] = defaultdict(list)
    published = Dataset.objects.filter(state=Dataset.State.PUBLISHED).select_related("publisher", "licence")
    for dataset in published.order_by("name"):
        code = dataset.publisher.code
        names[code].append(dataset.name)
        if dataset.access == Dataset.Access.PUBLIC and dataset.licence.is_open:
            opened[code].append(dataset.name)
    # publishers counted before in this quarter and now without a published dataset go to 0
    earlier = DataValue.objects.filter(
        data_element__code=TOTAL,
        period=period,
        source=DataValue.Source.FEED,
        source_detail__startswith=PREFIX,
    ).values_list("unit__code", flat=True)
    for code in earlier:
        names.setdefault(code, [])
    values: list[FeedValue] = []
    for code, counted in sorted(names.items()):
        open_names = opened.get(code, [])
        detail = _detail(counted, open_names)
        for element, count in ((TOTAL, len(counted)), (OPEN, len(open_names))):
            values.append(
                FeedValue(
                    element=element,
                    unit=code,
                    period=period,
                    value=Decimal(count),
                    source_detail=detail,
                    is_simulated=False,
                )
            )
    changed = feed_values_store(values=values, feed=FEED) if values else 0
    return CatalogueFeedReport(
        period=period,
        publishers=len(names),
        datasets=sum(len(v) for v in names.values()),
        open=sum(len(v) for v in opened.values()),
        changed=changed,
    )


def _detail(counted: list[str], open_names: list[str]) -> str:
    """Provenance: how many, and which (as many names as fit in the field)."""
    head = PREFIX + _("từ danh mục dữ liệu mở: %(n)s bộ dữ liệu đã công bố, %(m)s công khai dữ liệu mở") % {
        "n": len(counted),
        "m": len(open_names),
    }
    listed = ", ".join(counted)
    text = f"{head} ({listed})" if listed else head
    return text if len(text) <= 500 else text[:497] + "…"
