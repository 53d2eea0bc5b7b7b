"""The forms file schema (docs/forms-file-format.md): data elements and forms, validated with line
numbers like plan files. Its `indicator_sources` section belongs to plans (tiendo.plans.indicator_sources)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal, TypeVar

from pydantic import Field, ValidationError, field_validator

from tiendo.core.yamlfile import StrictModel, YamlDocument, as_text

Number = Annotated[Decimal, Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]
ElementCode = Annotated[str, Field(pattern=r"^[A-Z][A-Z0-9_]*$", max_length=80)]


class ElementEntry(StrictModel):
    code: ElementCode
    name: str = Field(min_length=1, max_length=500)
    name_en: str = Field(default="", max_length=500)
    value_type: Literal["number", "integer", "percentage", "boolean", "text"]
    measure: str = Field(default="", max_length=40)
    aggregation: Literal["sum", "average", "last", "none"] = "sum"


class FormElementEntry(StrictModel):
    element: ElementCode
    required: bool = False
    min: Number | None = None
    max: Number | None = None


class SectionEntry(StrictModel):
    title: str = Field(min_length=1, max_length=300)
    title_en: str = Field(default="", max_length=300)
    elements: list[FormElementEntry] = Field(min_length=1)


class RuleEntry(StrictModel):
    code: str = Field(pattern=r"^[A-Za-z0-9_.-]+$", max_length=40)
    expression: str = Field(min_length=3, max_length=500)
    severity: Literal["error", "warning"] = "error"
    message: str = Field(min_length=1, max_length=500)
    message_en: str = Field(default="", max_length=500)


class FormEntry(StrictModel):
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

    _text = field_validator("assigned_to", "reviewer", mode="before")(as_text)


class FormsFile(StrictModel):
    data_elements: list[ElementEntry] = []
    forms: list[FormEntry] = []


AnyFormsFile = TypeVar("AnyFormsFile", bound=FormsFile)


def parse_forms_file(path: Path, schema: type[AnyFormsFile]) -> tuple[YamlDocument, AnyFormsFile]:
    """Parse a forms file against `schema`: FormsFile, or an upper app's extension of it (the plans
    app adds `indicator_sources`, tiendo.plans.indicator_sources)."""
    document = YamlDocument.load(path)
    try:
        return document, schema.model_validate(document.data)
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise AssertionError("unreachable") from None
