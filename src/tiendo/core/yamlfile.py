"""YAML files with line numbers, so every validation error can say where it is."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from pydantic import BaseModel, ConfigDict, ValidationError

from tiendo.core.exceptions import ApplicationError

# pydantic error type → the rule broken, in the reader's language (placeholders from the error's ctx)
PYDANTIC_MESSAGES = {
    "missing": gettext_lazy("bắt buộc"),
    "extra_forbidden": gettext_lazy("trường không được phép"),
    "string_type": gettext_lazy("phải là chuỗi"),
    "decimal_parsing": gettext_lazy("phải là số"),
    "decimal_type": gettext_lazy("phải là số"),
    "int_parsing": gettext_lazy("phải là số nguyên"),
    "date_from_datetime_parsing": gettext_lazy("ngày không hợp lệ (YYYY-MM-DD)"),
    "date_parsing": gettext_lazy("ngày không hợp lệ (YYYY-MM-DD)"),
    "date_type": gettext_lazy("ngày không hợp lệ (YYYY-MM-DD)"),
    "literal_error": gettext_lazy("giá trị không hợp lệ"),
    "too_short": gettext_lazy("không được để trống"),
    "string_too_short": gettext_lazy("không được để trống"),
    "string_pattern_mismatch": gettext_lazy("sai định dạng"),
    "list_type": gettext_lazy("phải là danh sách"),
    "model_type": gettext_lazy("phải là một bảng (mapping)"),
    "dict_type": gettext_lazy("phải là một bảng (mapping)"),
    "string_too_long": gettext_lazy("quá dài (tối đa %(max_length)s ký tự)"),
    "too_long": gettext_lazy("quá nhiều phần tử"),
    "greater_than_equal": gettext_lazy("phải ≥ %(ge)s"),
    "less_than_equal": gettext_lazy("phải ≤ %(le)s"),
    "decimal_max_places": gettext_lazy("tối đa %(decimal_places)s chữ số thập phân"),
    "decimal_max_digits": gettext_lazy("tối đa %(max_digits)s chữ số"),
    "decimal_whole_digits": gettext_lazy("phần nguyên quá lớn"),
    "finite_number": gettext_lazy("phải là số hữu hạn"),
    "int_type": gettext_lazy("phải là số nguyên"),
    "int_from_float": gettext_lazy("phải là số nguyên"),
    "bool_type": gettext_lazy("phải là true/false"),
    "bool_parsing": gettext_lazy("phải là true/false"),
}


class StrictModel(BaseModel):
    """The base of every file schema (plans, forms): unknown keys are errors, text is stripped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def as_text(value: object) -> object:
    """YAML reads `number: 1` and `lead: [21211]` as integers; they are identifiers, i.e. text.

    For `field_validator(..., mode="before")` in the file schemas."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, list):
        return [str(v) if isinstance(v, int) and not isinstance(v, bool) else v for v in value]
    return value


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


MAX_BYTES = 1024 * 1024  # the largest shipped file (the forms) is 70 KB
MAX_DEPTH = 20  # a plan nests 5 levels, a form 6


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases (so merge keys too) and deep nesting, each
    with the line where it happens."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.depth = 0

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise yaml.composer.ComposerError(
                None, None, _("không được dùng neo và bí danh YAML (&, *)"), event.start_mark
            )
        self.depth += 1
        try:
            if self.depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(
                    None, None, _("lồng quá sâu (tối đa %(max)s cấp)") % {"max": MAX_DEPTH}, event.start_mark
                )
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        """A value YAML cannot build (a date like 2027-02-30) is an error at its line, not a traceback."""
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError, TypeError) as exc:
            raise yaml.constructor.ConstructorError(
                None, None, _("giá trị không hợp lệ (%(detail)s)") % {"detail": exc}, node.start_mark
            ) from None


@dataclass
class YamlDocument:
    path: Path
    data: Any
    root: yaml.Node | None

    @classmethod
    def load(cls, path: Path) -> YamlDocument:
        """The file's data and its node tree (for lines), or FileValidationError with the line.

        Bounded: MAX_BYTES, MAX_DEPTH levels, and no anchors or aliases — a plan or form file never
        needs them, and a few kilobytes of nested aliases expand to millions of nodes."""
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                message = _("tệp quá lớn (%(size)s KB, tối đa %(max)s KB)") % {
                    "size": size // 1024,
                    "max": MAX_BYTES // 1024,
                }
                raise FileValidationError([f"{path.name}: {message}"])
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileValidationError([f"{path}: " + _("không tìm thấy tệp")]) from None
        except UnicodeDecodeError as exc:
            raise FileValidationError([f"{path}: " + _("tệp không phải UTF-8") + f" ({exc})"]) from None
        loader = None
        try:
            loader = BoundedLoader(text)  # refuses unprintable characters already
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            line = f":{mark.line + 1}" if mark else ""
            problem = f"{exc.context or ''} {exc.problem or ''}".strip()
            raise FileValidationError(
                [f"{path.name}{line}: " + _("YAML không hợp lệ") + f": {problem}"]
            ) from None
        except yaml.YAMLError as exc:
            raise FileValidationError([f"{path.name}: " + _("YAML không hợp lệ") + f": {exc}"]) from None
        finally:
            if loader is not None:
                loader.dispose()
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
        """Every schema problem as "file:line field: rule", in the active language."""
        errors = []
        for error in exc.errors():
            template = PYDANTIC_MESSAGES.get(error["type"])
            context = error.get("ctx") or {}
            if template is not None:
                message = str(template) % context
            else:
                message = _("không hợp lệ: %(detail)s") % {"detail": error["msg"]}
            if error["type"] == "literal_error" and "expected" in context:
                message += f" ({context['expected']})"
            if error["type"] == "string_pattern_mismatch":
                message += f" ({context['pattern']})"
            errors.append(self.error(error["loc"], message))
        return errors

    def fail(self, errors: list[str]) -> None:
        raise FileValidationError(errors)


@contextmanager
def file_load_errors(file: Path) -> Iterator[None]:
    """For the load commands: a file's problems (every one, with its line) or a refused load become a
    CommandError, so the operator reads them and the command exits non-zero."""
    try:
        yield
    except FileValidationError as exc:
        count = len(exc.errors)
        summary = ngettext(
            "%(file)s: %(count)d lỗi, không nạp gì", "%(file)s: %(count)d lỗi, không nạp gì", count
        ) % {"file": file, "count": count}
        raise CommandError(summary + "\n" + "\n".join(exc.errors)) from None
    except ApplicationError as exc:
        raise CommandError(str(exc)) from None
