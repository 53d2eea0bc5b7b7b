"""No user-facing text is written as a "Tiếng Việt / English" pair (issue 9, item 6).

Each such string becomes one Vietnamese msgid through gettext, with the English half as its
translation in src/tiendo/locale/en. The check reads every non-test, non-migration module with
``ast`` (string constants and f-strings, placeholders shown as ``{}``; docstrings are not shown to
users and are skipped) and every template (text, and the msgids of ``{% translate %}`` and
``{% blocktranslate %}``: a msgid that is itself a pair still shows the English half to a
Vietnamese reader). Data files (YAML) are out of scope: plan and form texts are data.

A pair is Vietnamese on the left of " / " and English on the right: the left part (back to the
previous " / ") has a Vietnamese letter, and the right part starts with an ASCII word or two of its
first three words are ASCII. "Tỉnh / thành phố" (Vietnamese both sides), "Σ A / Σ B", "12/BC-SKHCN",
dates, paths and URLs (no spaces around the slash) are not pairs.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1]  # src/tiendo
ROOT = PACKAGE.parents[1]  # the repository, so hits read src/tiendo/…:line

_VI_LOWER = "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
VIETNAMESE_LETTER = re.compile(f"[{_VI_LOWER}{_VI_LOWER.upper()}]")
SEPARATOR = " / "
WORD = re.compile(r"[\w'’-]+")
LETTERS_ONLY = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _words(text: str) -> list[str]:
    """The words of ``text``; identifiers and numbers (TIENDO_SECRET_KEY, p12, 2026) are not words."""
    return [w for w in WORD.findall(text) if LETTERS_ONLY.fullmatch(w)]


def is_bilingual_pair(text: str) -> bool:
    parts = text.split(SEPARATOR)
    for left, right in zip(parts, parts[1:], strict=False):
        if not VIETNAMESE_LETTER.search(left):
            continue
        words = _words(right[:120])[:3]
        if words and (words[0].isascii() or sum(w.isascii() for w in words) >= 2):
            return True
    return False


# ------------------------------------------------------------------ Python


def _python_files() -> Iterator[Path]:
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).parts
        if "migrations" in relative or "tests" in relative:
            continue
        if path.name.startswith("test_") or path.name == "conftest.py":
            continue
        yield path


def _docstrings(tree: ast.Module) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            first = node.body[0] if node.body else None
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                found.add(id(first.value))
    return found


def _strings(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """(line, text) of every string constant; an f-string as one text with ``{}`` for each value."""
    skip = _docstrings(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            for inner in ast.walk(node):
                if inner is not node:
                    skip.add(id(inner))
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value
        elif isinstance(node, ast.JoinedStr):
            text = "".join(str(v.value) if isinstance(v, ast.Constant) else "{}" for v in node.values)
            yield node.lineno, text


def python_pairs() -> list[str]:
    found = []
    for path in _python_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for line, text in sorted(_strings(tree)):
            if is_bilingual_pair(text):
                found.append(f"{path.relative_to(ROOT)}:{line}: {text[:90]!r}")
    return found


# ------------------------------------------------------------------ templates

_COMMENTS = re.compile(r"\{#.*?#\}|\{%\s*comment\s*%\}.*?\{%\s*endcomment\s*%\}", re.S)
_TRANSLATE = re.compile(r"""\{%\s*(?:translate|trans)\s+(?P<q>["'])(?P<msgid>.*?)(?P=q).*?%\}""", re.S)
_BLOCK = re.compile(
    r"\{%\s*(?:blocktranslate|blocktrans)\b.*?%\}(?P<body>.*?)\{%\s*end(?:blocktranslate|blocktrans)\s*%\}",
    re.S,
)
_OTHER = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_HTML_TAG = re.compile(r"<[^>]*>")


def _keeping_lines(pattern: re.Pattern[str], text: str, replacement: str = "") -> str:
    def replace(match: re.Match[str]) -> str:
        kept = match.groupdict().get("msgid") or match.groupdict().get("body")
        shown = kept if kept is not None else replacement
        return shown + "\n" * (match.group().count("\n") - shown.count("\n"))

    return pattern.sub(replace, text)


def template_text(source: str) -> str:
    """What a reader can see: text and msgids; other tags and values as ``{}``; line numbers kept."""
    text = _keeping_lines(_COMMENTS, source)
    text = _keeping_lines(_TRANSLATE, text)
    text = _keeping_lines(_BLOCK, text)
    text = _keeping_lines(_OTHER, text, "{}")
    return _keeping_lines(_HTML_TAG, text)


def template_pairs() -> list[str]:
    found = []
    for path in sorted(PACKAGE.glob("*/templates/**/*")):
        if not path.is_file() or path.suffix not in (".html", ".txt", ".xml"):
            continue
        for number, line in enumerate(template_text(path.read_text(encoding="utf-8")).splitlines(), 1):
            if is_bilingual_pair(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:90]!r}")
    return found


# ------------------------------------------------------------------ the tests


@pytest.mark.parametrize(
    "text",
    [
        "Đã lưu nháp / draft saved",
        "{}: không tìm thấy tệp / file not found",
        "%(c)d tạo mới, %(u)d xóa / %(c)d created, %(u)d deleted",
        "rating: từ 1 đến 5 hoặc để trống / 1 to 5 or empty, not {}",
        "{}: quản trị Văn phòng CĐS / CĐS-office admin at {}",
        "CHƯA XÁC NHẬN NGƯỜI KÝ / SIGNER NOT CONFIRMED",
    ],
)
def test_a_vietnamese_text_followed_by_its_english_half_is_a_pair(text):
    assert is_bilingual_pair(text)


@pytest.mark.parametrize(
    "text",
    [
        "Báo cáo số 12/BC-SKHCN ngày 15/01/2026",
        "Σ A / Σ B",
        "Tỉnh / thành phố",
        "Xã / phường / đặc khu",
        "Phương pháp Open SDG / Liên Hợp Quốc",
        "Hài lòng / đánh giá",
        "khóa TIENDO_SIGNING_KEY / TIENDO_SECRET_KEY đã đổi?",
        "Xem https://tiendo.example/plans/2026/ để biết thêm",
        "{} / {}",
        "src/tiendo/plans/data/quang-ngai-2026.yaml",
    ],
)
def test_slashes_that_are_not_a_pair_are_left_alone(text):
    assert not is_bilingual_pair(text)


def test_a_template_is_read_as_its_reader_sees_it():
    source = (
        '{# Tên / Name #}<th>{% translate "Tên" %}</th>\n<td>{{ a }} / {{ b }}</td>\n<b>Đã lưu</b> / saved'
    )
    assert template_text(source).splitlines() == ["Tên", "{} / {}", "Đã lưu / saved"]


def test_no_module_writes_a_vietnamese_english_pair():
    found = python_pairs()
    assert not found, (
        f"{len(found)} bilingual literals; one Vietnamese msgid through gettext each:\n" + "\n".join(found)
    )


def test_no_template_writes_a_vietnamese_english_pair():
    found = template_pairs()
    assert not found, f"{len(found)} bilingual texts in templates; use {{% translate %}}:\n" + "\n".join(
        found
    )
