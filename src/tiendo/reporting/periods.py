"""DHIS2 period identifiers and their date ranges (calendar ranges; the Nghị định 09/2019 cut-off
dates that shift a reporting period to the 15th→14th arrive with the Reporting issue)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.formats import date_format
from django.utils.translation import gettext

from tiendo.core.exceptions import ApplicationError

_PATTERNS = [
    ("yearly", re.compile(r"^(\d{4})$")),
    ("sixmonthly", re.compile(r"^(\d{4})S([12])$")),
    ("quarterly", re.compile(r"^(\d{4})Q([1-4])$")),
    ("weekly", re.compile(r"^(\d{4})W(\d{1,2})$")),
    ("monthly", re.compile(r"^(\d{4})(\d{2})$")),
    ("daily", re.compile(r"^(\d{4})(\d{2})(\d{2})$")),
]


@dataclass(frozen=True)
class Period:
    identifier: str
    period_type: str
    start: date
    end: date

    @property
    def year_fraction_end(self) -> float:
        """The end of the period as a fractional year (2026-06-30 → about 2026.5), for trends."""
        start_of_year = date(self.end.year, 1, 1)
        days = 366 if calendar.isleap(self.end.year) else 365
        return self.end.year + ((self.end - start_of_year).days + 1) / days


def parse_period(identifier: str) -> Period:
    for period_type, pattern in _PATTERNS:
        match = pattern.match(identifier)
        if not match:
            continue
        parts = [int(p) for p in match.groups()]
        year = parts[0]
        try:
            if period_type == "yearly":
                return Period(identifier, period_type, date(year, 1, 1), date(year, 12, 31))
            if period_type == "sixmonthly":
                first = 1 + 6 * (parts[1] - 1)
                last = first + 5
                return Period(
                    identifier,
                    period_type,
                    date(year, first, 1),
                    date(year, last, calendar.monthrange(year, last)[1]),
                )
            if period_type == "quarterly":
                first = 1 + 3 * (parts[1] - 1)
                last = first + 2
                return Period(
                    identifier,
                    period_type,
                    date(year, first, 1),
                    date(year, last, calendar.monthrange(year, last)[1]),
                )
            if period_type == "monthly":
                month = parts[1]
                return Period(
                    identifier,
                    period_type,
                    date(year, month, 1),
                    date(year, month, calendar.monthrange(year, month)[1]),
                )
            if period_type == "weekly":
                start = date.fromisocalendar(year, parts[1], 1)
                return Period(identifier, period_type, start, start + timedelta(days=6))
            if period_type == "daily":
                day = date(year, parts[1], parts[2])
                return Period(identifier, period_type, day, day)
        except ValueError:
            break
    raise ApplicationError(
        gettext("Mã kỳ không hợp lệ: %(identifier)r (2026, 2026S1, 2026Q1, 202601, 2026W05, 20260115)")
        % {"identifier": identifier},
        field="period",
    )


def validate_period(identifier: str) -> None:
    """A model-field validator: the admin and forms refuse a period DHIS2 would not understand."""
    from django.core.exceptions import ValidationError

    try:
        parse_period(identifier)
    except ApplicationError as exc:
        raise ValidationError(str(exc.message)) from None


# Nghị định 09/2019/NĐ-CP: the data of a report is cut off from the 15th of the month before the
# period to the 14th of its last month (monthly 15/(M-1) → 14/M; quarterly 15/12 → 14/03 for Q1;
# six-monthly 15/12 → 14/06 and 15/06 → 14/12; yearly 15/12 → 14/12).
CUTOFF_DAY = 15

PERIOD_TYPES = ("monthly", "quarterly", "sixmonthly", "yearly")


def _shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def cutoff_window(period: Period) -> tuple[date, date]:
    """The dates whose data the report covers (Nghị định 09/2019, Điều 12); calendar range for others."""
    if period.period_type not in PERIOD_TYPES:
        return period.start, period.end
    first_year, first_month = _shift_month(period.start.year, period.start.month, -1)
    return date(first_year, first_month, CUTOFF_DAY), date(period.end.year, period.end.month, CUTOFF_DAY - 1)


def add_days(start: date, days: int, *, working_days: bool) -> date:
    """`days` after `start`, counting Monday–Friday only when `working_days` (public holidays are not modelled)."""
    if not working_days:
        return start + timedelta(days=days)
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


def deadline(period: Period, *, days: int, working_days: bool) -> date:
    return add_days(cutoff_window(period)[1], days, working_days=working_days)


def periods_of_year(period_type: str, year: int) -> list[Period]:
    identifiers = {
        "monthly": [f"{year}{m:02d}" for m in range(1, 13)],
        "quarterly": [f"{year}Q{q}" for q in range(1, 5)],
        "sixmonthly": [f"{year}S1", f"{year}S2"],
        "yearly": [str(year)],
    }[period_type]
    return [parse_period(identifier) for identifier in identifiers]


def period_containing(period_type: str, day: date) -> Period:
    """The period whose cut-off window contains `day` (what a unit is collecting data for now)."""
    for year in (day.year, day.year + 1):
        for period in periods_of_year(period_type, year):
            start, end = cutoff_window(period)
            if start <= day <= end:
                return period
    raise AssertionError(f"no {period_type} period contains {day}")  # windows tile the calendar


def period_label(period: Period) -> str:
    """The period as a reader says it, in the active language: Quý 2/2026 · Q2 2026."""
    year = period.start.year
    if period.period_type == "monthly":
        # tiendo/formats: "Tháng 03/2026" in Vietnamese, "March 2026" in English
        return date_format(period.start, "YEAR_MONTH_FORMAT")
    if period.period_type == "quarterly":
        return gettext("Quý %(number)s/%(year)s") % {
            "number": (period.start.month - 1) // 3 + 1,
            "year": year,
        }
    if period.period_type == "sixmonthly":
        if period.start.month == 1:
            return gettext("6 tháng đầu năm %(year)s") % {"year": year}
        return gettext("6 tháng cuối năm %(year)s") % {"year": year}
    if period.period_type == "yearly":
        return gettext("Năm %(year)s") % {"year": year}
    return period.identifier
