"""The report's narrative: a text the CĐS office edits, with placeholders tiendo fills in.

Syntax (Jinja2, sandboxed: a template can read the figures below and nothing else):
  {{ year }}, {{ plan.title }}, {{ next_plan.year }}, {{ next_plan.target_count }} …
  {{ indicators.total }}, {{ indicators.dat_count }}, {{ indicators.chua_dat_count }},
  {{ indicators.not_assessed_count }}; {% for row in indicators.missed %}…{% endfor %}
  {{ indicator("I.1").result }}, .name, .target, .verdict, .lead  (group.number, or the number alone
  when the plan has one group)
  {% if next_plan %}…{% endif %}
A line is a paragraph; a line written **like this** is a bold heading; "- " starts a list item.
An unknown placeholder is an error that names it — never a blank in the output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from jinja2 import StrictUndefined, Template, TemplateSyntaxError, UndefinedError
from jinja2.sandbox import SandboxedEnvironment

from tiendo.core.bounded import run_bounded
from tiendo.core.exceptions import ApplicationError
from tiendo.core.formatting import vnum
from tiendo.documents.report import ISSUER, EvaluationReport, ResultRow

DEFAULT_EVALUATION_REPORT = """Thực hiện {{ plan.title }}, {{ issuer }} báo cáo kết quả thực hiện năm {{ year }} như sau:
**I. KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU NĂM {{ year }}**
Năm {{ year }}, trong {{ indicators.total }} chỉ tiêu của Kế hoạch có {{ indicators.dat_count }} chỉ tiêu đạt, {{ indicators.chua_dat_count }} chỉ tiêu chưa đạt{% if indicators.not_assessed_count %} và {{ indicators.not_assessed_count }} chỉ tiêu chưa đủ điều kiện đánh giá{% endif %} (chi tiết tại Phụ lục I kèm theo).
{% if indicators.missed %}Các chỉ tiêu chưa đạt:
{% for row in indicators.missed %}- Chỉ tiêu {{ row.number }}: {{ row.name|trim('.') }} ({% if row.result %}kết quả {{ row.result }}{% else %}chưa có kết quả{% endif %}; mục tiêu {{ row.target }}).
{% endfor %}{% endif %}{% if next_plan %}**II. MỤC TIÊU NĂM {{ next_plan.year }}**
{{ next_plan.title }} đặt {{ next_plan.target_count }} chỉ tiêu thuộc {{ next_plan.group_count }} nhóm (chi tiết tại Phụ lục II kèm theo).
{% endif %}Số liệu tổng hợp từ hệ thống tiendo lúc {{ generated_at }}.
"""


class TemplateInvalidError(ApplicationError):
    code = "invalid_template"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="body")


@dataclass
class Paragraph:
    text: str
    bold: bool = False
    item: bool = False


MAX_OUTPUT = 100_000  # characters: a report's narrative is a few pages
MAX_OPERAND = 10_000  # for ** and *: no 9**9**9, no "x" * 10**10, even folded at compile time


RENDER_SECONDS = 3.0  # a real narrative renders in milliseconds
RENDER_MEMORY = 256 * 1024 * 1024  # bytes the render may add to the process


def _render_text(template: Template, context: dict) -> str:
    """The render, streamed: stops as soon as the text passes MAX_OUTPUT."""
    chunks: list[str] = []
    size = 0
    try:
        for chunk in template.generate(context):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateInvalidError(
                    _("Kết quả quá dài (tối đa %(max)s ký tự)") % {"max": vnum(MAX_OUTPUT)}
                )
            chunks.append(chunk)
    except UndefinedError as exc:
        raise TemplateInvalidError(
            _("Chỗ điền không xác định: %(detail)s") % {"detail": exc.message}
        ) from None
    except TemplateInvalidError:
        raise
    except MemoryError:
        raise TemplateInvalidError(_("Mẫu cần quá nhiều bộ nhớ khi điền")) from None
    except Exception as exc:  # a sandbox refusal or a type error in an expression
        raise TemplateInvalidError(_("Không điền được: %(detail)s") % {"detail": exc}) from None
    return "".join(chunks)


def _isolated(work: Callable[[], str]) -> str:
    """`work()` in a forked child bounded by RENDER_SECONDS and RENDER_MEMORY (tiendo.core.bounded)."""
    text = run_bounded(
        work,
        seconds=RENDER_SECONDS,
        memory=RENDER_MEMORY,
        too_long=_("Điền mẫu quá lâu (quá %(seconds)s giây): kiểm tra các vòng lặp")
        % {"seconds": vnum(RENDER_SECONDS)},
        too_big=_("Mẫu cần quá nhiều bộ nhớ khi điền"),
        refuse=TemplateInvalidError,
    )
    return str(text)


class _Env(SandboxedEnvironment):
    """Jinja2's sandbox (no attribute starting with _, no unsafe callables), plus bounds on ** and *
    so that a template cannot take the server's CPU or memory."""

    intercepted_binops = frozenset({"**", "*"})

    def call_binop(self, context, operator, left, right):
        if operator == "**" and (_size(left) > MAX_OPERAND or _size(right) > 100):
            raise TemplateInvalidError(_("Phép lũy thừa quá lớn"))
        if operator == "*" and _size(left) * _size(right) > MAX_OUTPUT:
            raise TemplateInvalidError(_("Phép nhân quá lớn"))
        return super().call_binop(context, operator, left, right)


def _size(value) -> float:
    if isinstance(value, int | float):
        return abs(value)
    try:
        return len(value)
    except TypeError:
        return 1


ENVIRONMENT = _Env(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)


def _context(report: EvaluationReport) -> dict:
    rows = report.result_rows
    single_group = len(report.results) == 1
    by_code: dict[str, ResultRow] = {}
    for group in report.results:
        for row in group.rows:
            by_code[f"{group.code}.{row.number}"] = row
            if single_group:
                by_code[row.number] = row

    def indicator(code: str) -> ResultRow:
        found = by_code.get(str(code))
        if found is None:
            raise UndefinedError(_('indicator("%(code)s"): không có chỉ tiêu này') % {"code": code})
        return found

    missed = [row for row in rows if row.verdict_code == "chua_dat"]
    next_plan = None
    if report.next_plan is not None:
        next_plan = {
            "title": report.next_plan.title,
            "year": report.next_plan.year,
            "target_count": len(report.target_rows),
            "group_count": len(report.targets),
        }
    return {
        "year": report.year,
        "issuer": ISSUER,
        "province": report.province,
        "plan": {"title": report.plan.title, "year": report.plan.year, "code": report.plan.code},
        "next_plan": next_plan,
        "indicators": {
            "total": len(rows),
            "dat_count": report.dat,
            "chua_dat_count": report.chua_dat,
            "not_assessed_count": len(rows) - report.dat - report.chua_dat,
            "missed": missed,
        },
        "indicator": indicator,
        "generated_at": report.generated_at.astimezone().strftime("%H:%M ngày %d/%m/%Y"),
    }


def _compile(body: str) -> Template:
    """The template, or TemplateInvalidError (syntax with its line, too long, nested too deeply).
    Jinja folds constant expressions while compiling (`"x"|center(10**9)`), so this runs in the child."""
    if len(body) > MAX_OUTPUT:
        raise TemplateInvalidError(_("Nội dung quá dài (tối đa %(max)s ký tự)") % {"max": vnum(MAX_OUTPUT)})
    try:
        return ENVIRONMENT.from_string(body)
    except TemplateInvalidError:
        raise
    except RecursionError:
        raise TemplateInvalidError(_("Biểu thức lồng nhau quá sâu")) from None
    except TemplateSyntaxError as exc:
        raise TemplateInvalidError(
            _("Dòng %(line)s: cú pháp không hợp lệ — %(detail)s")
            % {"line": exc.lineno, "detail": exc.message}
        ) from None


def compile_narrative(body: str) -> None:
    """Check that the text compiles (in a bounded child); TemplateInvalidError says why not."""

    def check() -> str:
        _compile(body)
        return ""

    _isolated(check)


def render_narrative(body: str, report: EvaluationReport) -> list[Paragraph]:
    """Fill the placeholders; raise TemplateInvalidError naming the first unknown one (with its line).

    The render runs in a child process (fork) with RENDER_SECONDS and RENDER_MEMORY: a template that
    loops for minutes or builds a huge string is stopped there and refused, whatever construct it uses
    (the sandbox's own bounds above catch the common ones with a precise message)."""
    context = _context(report)
    text = _isolated(lambda: _render_text(_compile(body), context))
    paragraphs = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        if line.startswith("**") and line.endswith("**") and len(line) > 4:
            paragraphs.append(Paragraph(line[2:-2].strip(), bold=True))
        else:
            paragraphs.append(Paragraph(line, item=line.startswith("- ")))
    return paragraphs
