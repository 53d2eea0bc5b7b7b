"""The plan file schema (docs/plan-file-format.md) and its validation with line numbers."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, field_validator

from tiendo.core.yamlfile import StrictModel, YamlDocument, as_text

# Limits mirror the model fields, so a value the database cannot hold is reported with its line.
Text = Annotated[str, Field(max_length=300)]
Number = Annotated[Decimal, Field(max_digits=20, decimal_places=6, allow_inf_nan=False)]


class PlanHeader(StrictModel):
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


class BaselineRef(StrictModel):
    plan: str = Field(max_length=60)
    group: str = Field(pattern=r"^[IVX]+$")
    number: str = Field(max_length=10)

    _text = field_validator("number", mode="before")(as_text)


class Result(StrictModel):
    text: str = Field(min_length=1)
    value: Number | None = None
    verdict: Literal["dat", "chua_dat"]
    period: str = Field(max_length=12)


class IndicatorEntry(StrictModel):
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

    _text = field_validator("number", "lead", "co_lead", mode="before")(as_text)


class GroupEntry(StrictModel):
    code: str = Field(pattern=r"^[IVX]+$", max_length=10)
    name: Text = Field(min_length=1)
    name_en: Text = ""
    indicators: list[IndicatorEntry] = Field(min_length=1)


class TaskEntry(StrictModel):
    number: str = Field(min_length=1, max_length=10)
    title: str = Field(min_length=1, max_length=500)
    owners: list[str] = Field(min_length=1)
    owners_basis: str = ""
    due_on: date
    items: list[str] = []

    _text = field_validator("number", "owners", mode="before")(as_text)


class PlanFile(StrictModel):
    plan: PlanHeader
    groups: list[GroupEntry] = Field(min_length=1)
    tasks: list[TaskEntry] = []


def parse_plan_file(path: Path) -> tuple[YamlDocument, PlanFile]:
    """Parse and validate the structure of a plan file; raise FileValidationError listing every problem."""
    document = YamlDocument.load(path)
    try:
        return document, PlanFile.model_validate(document.data)
    except ValidationError as exc:
        document.fail(document.pydantic_errors(exc))
        raise AssertionError("unreachable") from None
