"""The plan file schema (docs/plan-file-format.md) and its validation with line numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tiendo.core.yamlfile import YamlDocument

# Limits mirror the model fields, so a value the database cannot hold is reported with its line.
Text = Annotated[str, Field(max_length=300)]
Number = Annotated[Decimal, Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]


def _as_text(value: object) -> object:
    """YAML reads `number: 1` and `lead: [21211]` as integers; they are identifiers, i.e. text."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PlanHeader(_Strict):
    code: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$", max_length=60)
    year: int = Field(ge=2000, le=2100)
    title: str = Field(min_length=1, max_length=300)
    title_en: Text = ""
    symbol: str = Field(default="", max_length=60)
    issuer: str = Field(default="", max_length=200)
    issued_on: date | None = None
    starts_on: date
    ends_on: date
    province: int
    source: str = Field(default="", max_length=500)


class BaselineRef(_Strict):
    plan: str = Field(max_length=60)
    group: str = Field(pattern=r"^[IVX]+$")
    number: str = Field(max_length=10)

    _text = field_validator("number", mode="before")(_as_text)


class Result(_Strict):
    text: str = Field(min_length=1)
    value: Number | None = None
    verdict: Literal["dat", "chua_dat"]
    period: str = Field(max_length=12)


class IndicatorEntry(_Strict):
    number: str = Field(min_length=1, max_length=10)
    name: str = Field(min_length=1, max_length=500)
    name_en: str = Field(default="", max_length=500)
    measure: str = Field(default="", max_length=40)
    target: str = Field(min_length=1, max_length=300)
    target_value: Number | None
    direction: Literal["higher", "lower", "milestone"]
    lead_text: Text = ""
    lead: list[str] = Field(min_length=1)
    co_lead: list[str] = []
    baseline: BaselineRef | None = None
    result: Result | None = None
    note: str | None = None

    _text = field_validator("number", "lead", "co_lead", mode="before")(_as_text)


class GroupEntry(_Strict):
    code: str = Field(pattern=r"^[IVX]+$", max_length=10)
    name: Text = Field(min_length=1)
    name_en: Text = ""
    indicators: list[IndicatorEntry] = Field(min_length=1)


class TaskEntry(_Strict):
    number: str = Field(min_length=1, max_length=10)
    title: str = Field(min_length=1, max_length=500)
    owners: list[str] = Field(min_length=1)
    owners_basis: str = ""
    due_on: date
    items: list[str] = []

    _text = field_validator("number", "owners", mode="before")(_as_text)


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
    "dict_type": "phải là một bảng (mapping) / must be a mapping",
    "string_too_long": "quá dài (tối đa {max_length} ký tự) / too long (at most {max_length} characters)",
    "too_long": "quá nhiều phần tử / too many items",
    "greater_than_equal": "phải ≥ {ge} / must be at least {ge}",
    "less_than_equal": "phải ≤ {le} / must be at most {le}",
    "decimal_max_places": "tối đa {decimal_places} chữ số thập phân / at most {decimal_places} decimal places",
    "decimal_max_digits": "tối đa {max_digits} chữ số / at most {max_digits} digits",
    "decimal_whole_digits": "phần nguyên quá lớn / too many digits before the decimal point",
    "finite_number": "phải là số hữu hạn / must be a finite number",
    "int_type": "phải là số nguyên / must be an integer",
    "int_from_float": "phải là số nguyên / must be an integer",
    "bool_type": "phải là true/false / must be true or false",
}


def parse_plan_file(path: Path) -> tuple[YamlDocument, PlanFile]:
    """Parse and validate the structure of a plan file; raise FileValidationError listing every problem."""
    document = YamlDocument.load(path)
    try:
        return document, PlanFile.model_validate(document.data)
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            template = _PYDANTIC_MESSAGES.get(error["type"])
            context = error.get("ctx") or {}
            message = template.format(**context) if template else f"không hợp lệ / invalid: {error['msg']}"
            if error["type"] == "literal_error" and "expected" in (error.get("ctx") or {}):
                message += f" ({error['ctx']['expected']})"
            if error["type"] == "string_pattern_mismatch":
                message += f" ({error['ctx']['pattern']})"
            errors.append(document.error(error["loc"], message))
        document.fail(errors)
        raise AssertionError("unreachable") from None
