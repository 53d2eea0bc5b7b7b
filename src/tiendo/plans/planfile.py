"""The plan file schema (docs/plan-file-format.md) and its validation with line numbers."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tiendo.core.yamlfile import YamlDocument

UNIT_REF = re.compile(r"^(group:[a-z0-9-]+|[A-Za-z0-9]+)$")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanHeader(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=300)
    title_en: str = ""
    symbol: str = ""
    issuer: str = ""
    issued_on: date | None = None
    starts_on: date
    ends_on: date
    province: int
    source: str = ""


class BaselineRef(_Strict):
    plan: str
    number: str


class Result(_Strict):
    text: str = Field(min_length=1)
    value: Decimal | None = None
    verdict: Literal["dat", "chua_dat"]
    period: str


class IndicatorEntry(_Strict):
    number: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1)
    name_en: str = ""
    measure: str = ""
    target: str = Field(min_length=1, max_length=300)
    target_value: Decimal | None
    direction: Literal["higher", "lower", "milestone"]
    lead_text: str = ""
    lead: list[str] = Field(min_length=1)
    co_lead: list[str] = []
    baseline: BaselineRef | None = None
    result: Result | None = None
    note: str | None = None

    @field_validator("number", mode="before")
    @classmethod
    def number_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class GroupEntry(_Strict):
    code: str = Field(pattern=r"^[IVX]+$")
    name: str = Field(min_length=1)
    name_en: str = ""
    indicators: list[IndicatorEntry] = Field(min_length=1)


class TaskEntry(_Strict):
    number: str = Field(min_length=1, max_length=10)
    title: str = Field(min_length=1, max_length=500)
    owners: list[str] = Field(min_length=1)
    owners_basis: str = ""
    due_on: date
    items: list[str] = []

    @field_validator("number", mode="before")
    @classmethod
    def number_as_text(cls, value: object) -> object:
        return str(value) if isinstance(value, int) else value


class PlanFile(_Strict):
    plan: PlanHeader
    groups: list[GroupEntry] = Field(min_length=1)
    tasks: list[TaskEntry] = []


_PYDANTIC_MESSAGES = {
    "missing": "bắt buộc / required",
    "extra_forbidden": "trường không được phép / unknown field",
    "string_type": "phải là chuỗi / must be text",
    "decimal_parsing": "phải là số / must be a number",
    "decimal_type": "phải là số / must be a number",
    "int_parsing": "phải là số nguyên / must be an integer",
    "date_from_datetime_parsing": "ngày không hợp lệ (YYYY-MM-DD) / invalid date (YYYY-MM-DD)",
    "date_parsing": "ngày không hợp lệ (YYYY-MM-DD) / invalid date (YYYY-MM-DD)",
    "date_type": "ngày không hợp lệ (YYYY-MM-DD) / invalid date (YYYY-MM-DD)",
    "literal_error": "giá trị không hợp lệ / invalid value",
    "too_short": "không được để trống / must not be empty",
    "string_too_short": "không được để trống / must not be empty",
    "string_pattern_mismatch": "sai định dạng / wrong format",
    "list_type": "phải là danh sách / must be a list",
    "model_type": "phải là một bảng (mapping) / must be a mapping",
}


def parse_plan_file(path: Path) -> tuple[YamlDocument, PlanFile]:
    """Parse and validate the structure of a plan file; raise FileValidationError listing every problem."""
    document = YamlDocument.load(path)
    try:
        return document, PlanFile.model_validate(document.data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            message = _PYDANTIC_MESSAGES.get(error["type"], error["msg"])
            if error["type"] == "literal_error" and "expected" in (error.get("ctx") or {}):
                message += f" ({error['ctx']['expected']})"
            if error["type"] == "string_pattern_mismatch":
                message += f" ({error['ctx']['pattern']})"
            errors.append(document.error(error["loc"], _(message)))
        document.fail(errors)
        raise AssertionError("unreachable") from None
