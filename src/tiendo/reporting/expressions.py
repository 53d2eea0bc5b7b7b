"""Validation-rule expressions: element codes, numbers, + - * /, parentheses and one comparison.

Parsed with Python's `ast` and evaluated by walking only the node types listed here, so a rule
can never run code. A missing operand makes the rule "not applicable" (DHIS2's skip behaviour).
"""

from __future__ import annotations

import ast
import operator
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext

_BINARY = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}
_COMPARE = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class ExpressionError(ValueError):
    pass


class Missing(Exception):
    """An operand has no value: the rule does not apply."""


def parse(expression: str) -> ast.Expression:
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as exc:
        raise ExpressionError(gettext("cú pháp sai: %(error)s") % {"error": exc.msg}) from None
    body = tree.body
    if not isinstance(body, ast.Compare) or len(body.ops) != 1:
        raise ExpressionError(gettext("cần đúng một phép so sánh (<, <=, >, >=, ==, !=)"))
    for node in ast.walk(tree):
        allowed = (
            ast.Expression,
            ast.Compare,
            ast.BinOp,
            ast.UnaryOp,
            ast.USub,
            ast.UAdd,
            ast.Name,
            ast.Load,
            ast.Constant,
        )
        if not isinstance(node, allowed + tuple(_BINARY) + tuple(_COMPARE)):
            raise ExpressionError(gettext("không được dùng: %(node)s") % {"node": type(node).__name__})
        if isinstance(node, ast.Constant) and (
            isinstance(node.value, bool) or not isinstance(node.value, int | float)
        ):
            raise ExpressionError(gettext("hằng số phải là số: %(value)r") % {"value": node.value})
    return tree


def names(expression: str) -> set[str]:
    return {node.id for node in ast.walk(parse(expression)) if isinstance(node, ast.Name)}


def evaluate(expression: str, values: dict[str, Decimal | None]) -> bool | None:
    """True/False, or None when an operand is missing (or a division by zero makes it undefined)."""
    tree = parse(expression)
    try:
        return bool(_eval(tree.body, values))
    except (Missing, ZeroDivisionError, InvalidOperation):
        return None


def _eval(node: ast.AST, values: dict[str, Decimal | None]):
    if isinstance(node, ast.Compare):
        return _COMPARE[type(node.ops[0])](_eval(node.left, values), _eval(node.comparators[0], values))
    if isinstance(node, ast.BinOp):
        return _BINARY[type(node.op)](_eval(node.left, values), _eval(node.right, values))
    if isinstance(node, ast.UnaryOp):
        operand = _eval(node.operand, values)
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Name):
        value = values.get(node.id)
        if value is None:
            raise Missing(node.id)
        return Decimal(value)
    if isinstance(node, ast.Constant):
        return Decimal(str(node.value))
    raise ExpressionError(type(node).__name__)  # parse() already refused it
