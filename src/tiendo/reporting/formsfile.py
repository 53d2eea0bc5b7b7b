"""The forms file schema (docs/forms-file-format.md), validated with line numbers like plan files."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tiendo.core.yamlfile import YamlDocument
from tiendo.plans.planfile import _as_text

Number = Annotated[Decimal, Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]
ElementCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=80)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ElementEntry(_Strict):
    code: ElementCode
    name: str = Field(min_length=1, max_length=500)
    name_en: str = Field(default="", max_length=500)
    value_type: Literal["number", "integer", "percentage", "boolean", "text"]
    measure: str = Field(default="", max_length=40)
    aggregation: Literal["sum", "average", "last", "none"] = "sum"


class FormElementEntry(_Strict):
    element: ElementCode
    required: bool = False
    min: Number | None = None
    max: Number | None = None


class SectionEntry(_Strict):
    title: str = Field(min_length=1, max_length=300)
    title_en: str = Field(default="", max_length=300)
    elements: list[FormElementEntry] = Field(min_length=1)


class RuleEntry(_Strict):
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=40)
    expression: str = Field(min_length=3, max_length=500)
    severity: Literal["error", "warning"] = "error"
    message: str = Field(min_length=1, max_length=500)
    message_en: str = Field(default="", max_length=500)


class FormEntry(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9][A-Z0-9-]*$", max_length=40)
    symbol: str = Field(min_length=1, max_length=100)
    title: str = Field(min_length=1, max_length=300)
    title_en: str = Field(default="", max_length=300)
    period_type: Literal["monthly", "quarterly", "sixmonthly", "yearly"]
    deadline_days: int = Field(default=5, ge=0, le=365)
    working_days: bool = True
    legal_basis: str = ""
    assigned_to: list[str] = Field(min_length=1)
    reviewer: str | None = None
    sections: list[SectionEntry] = Field(min_length=1)
    rules: list[RuleEntry] = []

    _text = field_validator("assigned_to", "reviewer", mode="before")(_as_text)


class SourceEntry(_Strict):
    indicator: str = Field(pattern=r"^[IVX]+\.[0-9A-Za-z]+$")
    source: Literal["form", "feed", "manual"]
    form: str | None = None
    feed: str | None = Field(default=None, max_length=40)
    numerator: ElementCode
    denominator: str | None = Field(default=None, max_length=100)
    factor: Number = Decimal(1)
    note: str = ""


class IndicatorSources(_Strict):
    plan: str
    indicators: list[SourceEntry] = []


class FormsFile(_Strict):
    data_elements: list[ElementEntry] = []
    forms: list[FormEntry] = []
    indicator_sources: IndicatorSources | None = None


def parse_forms_file(path: Path) -> tuple[YamlDocument, FormsFile]:
    document = YamlDocument.load(path)
    try:
        return document, FormsFile.model_validate(document.data)
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise AssertionError("unreachable") from None
