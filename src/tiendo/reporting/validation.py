"""Checking a submission's values: element rules (required, type, range) and the form's rules.

Each violation names the element (or rule) and says what is wrong in Vietnamese and English.
Errors block submission; warnings (a rule of severity warning, or a value more than three times
the previous period's) need a comment on the value before the report can be sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting import expressions
from tiendo.reporting.models import DataElement, DataSetElement, ValidationRule

ERROR = "error"
WARNING = "warning"
JUMP_FACTOR = Decimal(3)

_TRUE = {"1", "true", "yes", "có", "co", "x", "đạt", "dat", "có/yes"}
_FALSE = {"0", "false", "no", "không", "khong", ""}
# A thousands group never starts with 0: "0.125" is not "125".
_VI_GROUPED = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")  # 1.293.000 · 1.293,5
_EN_GROUPED = re.compile(r"^-?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")  # 1,293,000 · 1,293.5
MACHINE, VIETNAMESE, ENGLISH = "machine", "vi", "en"


@dataclass(frozen=True)
class Violation:
    severity: str
    message: str  # "Vietnamese / English", naming the element or rule
    element: str | None = None  # element code, for marking the cell
    rule: str | None = None
    kind: str = ""  # "required" for a missing required value

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def parse_value(raw: object, element: DataElement, *, style: str = MACHINE) -> tuple[Decimal | None, str]:
    """Turn a typed value into (number, text). Raises ApplicationError naming the element.

    `style` says how numbers are written: "machine" (APIs: a plain decimal with a dot, as DHIS2
    clients send), "vi" (people in the Vietnamese interface: 1.293.000 and 44,91) or "en"
    (1,293,000 and 44.91). A person's "2.500" is 2500 in Vietnamese and 2.5 in English; an API's
    "2.500" is always 2.5.
    """
    if raw is None:
        return None, ""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):  # a number cell of a workbook
        if element.value_type == DataElement.ValueType.TEXT:
            return None, str(raw)
        if element.value_type != DataElement.ValueType.BOOLEAN:
            number = Decimal(str(raw))
            if not number.is_finite():
                raise ApplicationError(
                    f"{element.code}: “{raw}” không phải là số / is not a number", field=element.code
                )
            return number, ""
    text = str(raw).strip()
    if text == "":
        return None, ""
    if element.value_type == DataElement.ValueType.TEXT:
        return None, text
    if element.value_type == DataElement.ValueType.BOOLEAN:
        folded = text.lower()
        if folded in _TRUE:
            return Decimal(1), ""
        if folded in _FALSE:
            return Decimal(0), ""
        raise ApplicationError(
            f"{element.code} “{element.name}”: “{text}” không phải có/không / is not yes/no (1/0)",
            field=element.code,
        )
    cleaned = text.replace(" ", "").replace("\u00a0", "").rstrip("%")
    if style == VIETNAMESE:
        if _VI_GROUPED.match(cleaned):
            cleaned = cleaned.replace(".", "").replace(",", ".")
        elif "," in cleaned and "." not in cleaned:  # 44,91
            cleaned = cleaned.replace(",", ".")
    elif style == ENGLISH and _EN_GROUPED.match(cleaned):
        cleaned = cleaned.replace(",", "")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise ApplicationError(
            f"{element.code} “{element.name}”: “{text}” không phải là số / is not a number",
            field=element.code,
        ) from None
    if not number.is_finite():
        raise ApplicationError(
            f"{element.code}: “{text}” không phải là số / is not a number", field=element.code
        )
    return number, ""


def check_values(
    *,
    form_elements: list[DataSetElement],
    rules: list[ValidationRule],
    values: dict[str, Decimal | None],
    texts: dict[str, str] | None = None,
    previous: dict[str, Decimal | None] | None = None,
) -> list[Violation]:
    texts = texts or {}
    previous = previous or {}
    violations: list[Violation] = []
    for form_element in form_elements:
        element = form_element.element
        code = element.code
        value = values.get(code)
        label = f"{code} “{element.name}”"
        if value is None and not texts.get(code):
            if form_element.required:
                violations.append(
                    Violation(ERROR, f"{label}: bắt buộc nhập / required", code, kind="required")
                )
            continue
        if value is None:
            continue
        if element.value_type == DataElement.ValueType.INTEGER and value != value.to_integral_value():
            violations.append(Violation(ERROR, f"{label}: phải là số nguyên / must be a whole number", code))
        if element.value_type == DataElement.ValueType.PERCENTAGE and not (0 <= value <= 100):
            violations.append(
                Violation(
                    ERROR, f"{label}: tỷ lệ phải từ 0 đến 100 / a percentage must be between 0 and 100", code
                )
            )
        if form_element.min_value is not None and value < form_element.min_value:
            violations.append(
                Violation(
                    ERROR,
                    f"{label}: không được nhỏ hơn {_fmt(form_element.min_value)} / must be at least {_fmt(form_element.min_value)}",
                    code,
                )
            )
        if form_element.max_value is not None and value > form_element.max_value:
            violations.append(
                Violation(
                    ERROR,
                    f"{label}: không được lớn hơn {_fmt(form_element.max_value)} / must be at most {_fmt(form_element.max_value)}",
                    code,
                )
            )
        before = previous.get(code)
        if (
            before
            and before > 0
            and value > before * JUMP_FACTOR
            and element.value_type != DataElement.ValueType.BOOLEAN
        ):
            violations.append(
                Violation(
                    WARNING,
                    f"{label}: gấp hơn 3 lần kỳ trước ({_fmt(before)} → {_fmt(value)}), cần giải trình / "
                    f"more than 3 times the previous period's value, please explain in a comment",
                    code,
                )
            )
    for rule in rules:
        outcome = expressions.evaluate(rule.expression, values)
        if outcome is False:
            english = rule.message_en or rule.message
            violations.append(
                Violation(
                    rule.severity,
                    f"{rule.code}: {rule.message} / {english} ({rule.expression})",
                    None,
                    rule.code,
                )
            )
    return violations


def _fmt(number: Decimal) -> str:
    return format(number.normalize(), "f")
