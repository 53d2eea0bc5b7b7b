"""Checking a submission's values: element rules (required, type, range) and the form's rules.

Each violation names the element (or rule) and says what is wrong, in the interface's language.
Errors block submission; warnings (a rule of severity warning, or a value more than three times
the previous period's) need a comment on the value before the report can be sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.formats import get_format
from django.utils.translation import gettext, pgettext

from tiendo.core.exceptions import ApplicationError
from tiendo.reporting import expressions
from tiendo.reporting.models import DataElement, DataSetElement, ValidationRule

if TYPE_CHECKING:
    from tiendo.reporting.models import DataSet

ERROR = "error"
WARNING = "warning"
JUMP_FACTOR = Decimal(3)

_TRUE = {"1", "true", "yes", "có", "co", "x", "đạt", "dat", "có/yes"}
_FALSE = {"0", "false", "no", "không", "khong", ""}
# A thousands group never starts with 0: "0.125" is not "125".
_VI_GROUPED = re.compile(r"^-?[1-9]\d{0,2}(\.\d{3})+(,\d+)?$")  # 1.293.000 · 1.293,5
_EN_GROUPED = re.compile(r"^-?[1-9]\d{0,2}(,\d{3})+(\.\d+)?$")  # 1,293,000 · 1,293.5
MACHINE, VIETNAMESE, ENGLISH = "machine", "vi", "en"
# What a number may be once its grouping is taken out: ASCII digits, one point, an optional exponent.
# Python's Decimal would also read "1_000", "١٢٣" (any Unicode digit), "Infinity" and "NaN".
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d{1,4})?$", re.ASCII)
# The range a stored number may take: what DataValue.value (DecimalField(max_digits=20,
# decimal_places=6)) holds exactly — below 10^14 in absolute value, at most 6 decimal places.
# Anything else is refused, never rounded (1e-30 is not 0) nor stored as a float (1e30). See
# docs/forms-file-format.md, "Numbers".
MAX_ABS = Decimal(10) ** 14
DECIMAL_PLACES = 6


@dataclass(frozen=True)
class Violation:
    severity: str
    message: str  # in the interface's language, naming the element or rule
    element: str | None = None  # element code, for marking the cell
    rule: str | None = None
    kind: str = ""  # "required" for a missing required value

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def typed_number_style() -> str:
    """People type numbers the way their interface language writes them (its decimal separator)."""
    return VIETNAMESE if get_format("DECIMAL_SEPARATOR") == "," else ENGLISH


def _not_a_number(element: DataElement, shown: object, *, named: bool = True) -> ApplicationError:
    label = f"{element.code} “{element.name}”" if named else element.code
    return ApplicationError(
        gettext("%(element)s: “%(value)s” không phải là số") % {"element": label, "value": shown},
        field=element.code,
    )


def _parse_cell(raw: int | float | Decimal, element: DataElement) -> tuple[Decimal | None, str] | None:
    """A number cell of a workbook (None: a yes/no element reads it as text)."""
    if element.value_type == DataElement.ValueType.TEXT:
        return None, str(raw)
    if element.value_type == DataElement.ValueType.BOOLEAN:
        return None
    number = Decimal(str(raw))
    if not number.is_finite():
        raise _not_a_number(element, raw, named=False)
    return _checked(number, element, raw), ""


def _checked(number: Decimal, element: DataElement, shown: object) -> Decimal:
    """The number if its element's type and the stored range allow it; else ApplicationError naming both."""
    if abs(number) >= MAX_ABS:
        rule = gettext("giá trị tuyệt đối phải nhỏ hơn 100.000.000.000.000 (10^14)")
    elif number != number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
        rule = gettext("tối đa %(places)s chữ số thập phân") % {"places": DECIMAL_PLACES}
    elif element.value_type == DataElement.ValueType.INTEGER and number != number.to_integral_value():
        rule = gettext("phải là số nguyên")
    elif element.value_type == DataElement.ValueType.PERCENTAGE and not (0 <= number <= 100):
        rule = gettext("tỷ lệ phải từ 0 đến 100")
    else:
        return number + 0  # "-0" becomes 0
    raise ApplicationError(
        gettext("%(element)s: “%(value)s” không hợp lệ: %(rule)s")
        % {"element": f"{element.code} “{element.name}”", "value": _shown(shown), "rule": rule},
        field=element.code,
    )


def _shown(raw: object) -> str:
    """A refused value as a message quotes it: short, so a megabyte of digits stays out of the answer."""
    text = str(raw)
    return text if len(text) <= 40 else text[:37] + "…"


def _parse_boolean(text: str, element: DataElement) -> Decimal:
    folded = text.lower()
    if folded in _TRUE:
        return Decimal(1)
    if folded in _FALSE:
        return Decimal(0)
    raise ApplicationError(
        gettext("%(element)s: “%(value)s” không phải có/không (1/0)")
        % {"element": f"{element.code} “{element.name}”", "value": text},
        field=element.code,
    )


def _plain_decimal(text: str, style: str) -> str:
    """The text as Python's Decimal reads it, the grouping of `style` taken out."""
    cleaned = text.replace(" ", "").replace("\u00a0", "").rstrip("%")
    if style == VIETNAMESE:
        if _VI_GROUPED.match(cleaned):
            return cleaned.replace(".", "").replace(",", ".")
        if "," in cleaned and "." not in cleaned:  # 44,91
            return cleaned.replace(",", ".")
    elif style == ENGLISH and _EN_GROUPED.match(cleaned):
        return cleaned.replace(",", "")
    return cleaned


def parse_value(raw: object, element: DataElement, *, style: str = MACHINE) -> tuple[Decimal | None, str]:
    """Turn a typed value into (number, text). Raises ApplicationError naming the element.

    `style` says how numbers are written: "machine" (APIs: a plain decimal with a dot, as DHIS2
    clients send), "vi" (people in the Vietnamese interface: 1.293.000 and 44,91) or "en"
    (1,293,000 and 44.91). A person's "2.500" is 2500 in Vietnamese and 2.5 in English; an API's
    "2.500" is always 2.5.
    """
    if raw is None:
        return None, ""
    if isinstance(raw, int | float | Decimal) and not isinstance(raw, bool):
        cell = _parse_cell(raw, element)
        if cell is not None:
            return cell
    text = str(raw).strip()
    if text == "":
        return None, ""
    if element.value_type == DataElement.ValueType.TEXT:
        return None, text
    if element.value_type == DataElement.ValueType.BOOLEAN:
        return _parse_boolean(text, element), ""
    plain = _plain_decimal(text, style)
    if not _PLAIN_NUMBER.match(plain):  # NaN, Infinity, "1_000", non-ASCII digits, two signs…
        raise _not_a_number(element, _shown(text))
    try:
        number = Decimal(plain)
    except InvalidOperation:  # pragma: no cover - the pattern admits only what Decimal reads
        raise _not_a_number(element, _shown(text)) from None
    return _checked(number, element, text), ""


def parse_inputs(
    dataset: DataSet, raw: dict[str, Any], *, style: str = MACHINE
) -> tuple[dict[str, Decimal | None], dict[str, str]]:
    """Parse every typed value of the form; one ApplicationError lists every value that cannot be read."""
    elements = {fe.element.code: fe.element for fe in dataset.form_elements.select_related("element")}
    values: dict[str, Decimal | None] = {}
    texts: dict[str, str] = {}
    problems = []
    for code, text in raw.items():
        element = elements.get(code)
        if element is None:
            problems.append(
                gettext("%(code)s: không có trong biểu %(form)s") % {"code": code, "form": dataset.code}
            )
            continue
        try:
            values[code], texts[code] = parse_value(text, element, style=style)
        except ApplicationError as exc:
            problems.append(str(exc))
    if problems:
        raise ApplicationError("\n".join(problems), field="values")
    return values, texts


def _range_problems(form_element: DataSetElement, value: Decimal) -> list[str]:
    """What is wrong with a number for its element's type and range (none: an empty list)."""
    element = form_element.element
    problems = []
    if element.value_type == DataElement.ValueType.INTEGER and value != value.to_integral_value():
        problems.append(gettext("phải là số nguyên"))
    if element.value_type == DataElement.ValueType.PERCENTAGE and not (0 <= value <= 100):
        problems.append(gettext("tỷ lệ phải từ 0 đến 100"))
    if form_element.min_value is not None and value < form_element.min_value:
        problems.append(gettext("không được nhỏ hơn %(min)s") % {"min": _fmt(form_element.min_value)})
    if form_element.max_value is not None and value > form_element.max_value:
        problems.append(gettext("không được lớn hơn %(max)s") % {"max": _fmt(form_element.max_value)})
    return problems


def _element_violations(
    form_element: DataSetElement, value: Decimal | None, text: str, before: Decimal | None
) -> list[Violation]:
    element = form_element.element
    code = element.code
    label = f"{code} “{element.name}”"
    if value is None:
        if form_element.required and not text:
            return [
                Violation(
                    ERROR, gettext("%(element)s: bắt buộc nhập") % {"element": label}, code, kind="required"
                )
            ]
        return []
    violations = [
        Violation(ERROR, f"{label}: {problem}", code) for problem in _range_problems(form_element, value)
    ]
    jumped = before and before > 0 and value > before * JUMP_FACTOR
    if jumped and element.value_type != DataElement.ValueType.BOOLEAN:
        message = gettext("%(element)s: gấp hơn 3 lần kỳ trước (%(before)s → %(value)s), cần giải trình")
        values = {"element": label, "before": _fmt(before or Decimal(0)), "value": _fmt(value)}
        violations.append(Violation(WARNING, message % values, code))
    return violations


def rule_message(rule: ValidationRule) -> str:
    """The rule's message in the interface's language (the data holds both; English falls back)."""
    # which of the two columns to read is the catalogue's answer: "en" in the English interface
    column = pgettext("the language of a form rule's message column: vi or en", "vi")
    return (rule.message_en or rule.message) if column == "en" else rule.message


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
        code = form_element.element.code
        violations += _element_violations(
            form_element, values.get(code), texts.get(code, ""), previous.get(code)
        )
    for rule in rules:
        if expressions.evaluate(rule.expression, values) is False:
            violations.append(
                Violation(
                    rule.severity, f"{rule.code}: {rule_message(rule)} ({rule.expression})", None, rule.code
                )
            )
    return violations


def _fmt(number: Decimal) -> str:
    return format(number.normalize(), "f")
