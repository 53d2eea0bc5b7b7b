"""DHIS2 period identifiers and their date ranges (calendar ranges; the Nghị định 09/2019 cut-off
dates that shift a reporting period to the 15th→14th arrive with the Reporting issue)."""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

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
        f"Mã kỳ không hợp lệ / invalid period identifier: {identifier!r} (2026, 2026S1, 2026Q1, 202601, 2026W05, 20260115)",
        field="period",
    )


def validate_period(identifier: str) -> None:
    """A model-field validator: the admin and forms refuse a period DHIS2 would not understand."""
    from django.core.exceptions import ValidationError

    try:
        parse_period(identifier)
    except ApplicationError as exc:
        raise ValidationError(str(exc.message)) from None
