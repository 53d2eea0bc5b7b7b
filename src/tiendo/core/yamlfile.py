"""YAML files with line numbers, so every validation error can say where it is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.utils.translation import gettext as _
from pydantic import ValidationError

from tiendo.core.exceptions import ApplicationError

PYDANTIC_MESSAGES = {
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


class FileValidationError(ApplicationError):
    """A file that cannot be loaded; `errors` lists every problem as "file:line field: rule"."""

    code = "invalid_file"

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__("\n".join(errors))


def format_loc(loc: Sequence[str | int]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@dataclass
class YamlDocument:
    path: Path
    data: Any
    root: yaml.Node | None

    @classmethod
    def load(cls, path: Path) -> YamlDocument:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileValidationError([f"{path}: " + _("không tìm thấy tệp / file not found")]) from None
        except UnicodeDecodeError as exc:
            raise FileValidationError(
                [f"{path}: " + _("tệp không phải UTF-8 / not UTF-8 text") + f" ({exc})"]
            ) from None
        try:
            root = yaml.compose(text, Loader=yaml.SafeLoader)
            data = yaml.safe_load(text)
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f":{mark.line + 1}" if mark else ""
            problem = f"{exc.context or ''} {exc.problem or ''}".strip()
            raise FileValidationError(
                [f"{path.name}{line}: " + _("YAML không hợp lệ / broken YAML") + f": {problem}"]
            ) from None
        except yaml.YAMLError as exc:
            raise FileValidationError(
                [f"{path.name}: " + _("YAML không hợp lệ / broken YAML") + f": {exc}"]
            ) from None
        return cls(path=path, data=data, root=root)

    def line_of(self, loc: Sequence[str | int]) -> int | None:
        """The line of the deepest node along `loc` (the parent's line when a key is missing)."""
        node = self.root
        if node is None:
            return None
        line = node.start_mark.line + 1
        for part in loc:
            child = None
            if isinstance(node, yaml.MappingNode):
                for key_node, value_node in node.value:
                    if key_node.value == part:
                        child = value_node
                        line = key_node.start_mark.line + 1
                        break
            elif (
                isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value)
            ):
                child = node.value[part]
                line = child.start_mark.line + 1
            if child is None:
                break
            node = child
        return line

    def error(self, loc: Sequence[str | int], message: str) -> str:
        line = self.line_of(loc)
        where = f"{self.path.name}:{line}" if line else self.path.name
        field = format_loc(loc)
        return f"{where} {field}: {message}" if field else f"{where}: {message}"

    def pydantic_errors(self, exc: ValidationError) -> list[str]:
        """Every schema problem as "file:line field: rule", in Vietnamese and English."""
        errors = []
        for error in exc.errors():
            template = PYDANTIC_MESSAGES.get(error["type"])
            context = error.get("ctx") or {}
            message = template.format(**context) if template else f"không hợp lệ / invalid: {error['msg']}"
            if error["type"] == "literal_error" and "expected" in context:
                message += f" ({context['expected']})"
            if error["type"] == "string_pattern_mismatch":
                message += f" ({context['pattern']})"
            errors.append(self.error(error["loc"], message))
        return errors

    def fail(self, errors: list[str]) -> None:
        raise FileValidationError(errors)
