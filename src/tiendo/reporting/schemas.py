from __future__ import annotations

from datetime import date, datetime
from typing import Any

from ninja import Schema


class FormOut(Schema):
    code: str
    symbol: str
    title: str
    title_en: str
    period_type: str
    deadline_days: int
    working_days: bool
    legal_basis: str
    units: int


class FormElementOut(Schema):
    code: str
    name: str
    name_en: str
    value_type: str
    measure: str
    section: str
    required: bool
    min: float | None
    max: float | None


class RuleOut(Schema):
    code: str
    expression: str
    severity: str
    message: str
    message_en: str


class FormDetailOut(FormOut):
    elements: list[FormElementOut]
    rules: list[RuleOut]


class PeriodOut(Schema):
    id: str
    label: str
    start: date
    end: date
    cutoff_start: date
    cutoff_end: date
    deadline: date


class SubmissionOpenIn(Schema):
    form: str
    unit: str
    period: str


class SubmissionOut(Schema):
    id: int
    form: str
    unit: str
    period: str
    status: str
    version: int
    submitted_at: datetime | None
    decided_at: datetime | None
    reason: str


class ValueOut(Schema):
    element: str
    value: str | None
    comment: str
    stored_by: str
    stored_at: datetime


class EventOut(Schema):
    at: datetime
    actor: str
    action: str
    from_status: str
    to_status: str
    reason: str
    changes: list[dict[str, Any]]


class ViolationOut(Schema):
    severity: str
    message: str
    element: str | None
    rule: str | None


class SubmissionDetailOut(SubmissionOut):
    values: list[ValueOut]
    violations: list[ViolationOut]
    events: list[EventOut]


class ValuesIn(Schema):
    version: int
    values: dict[str, str | float | int | None] = {}
    comments: dict[str, str] = {}


class VersionIn(Schema):
    version: int


class ReasonIn(Schema):
    version: int
    reason: str
