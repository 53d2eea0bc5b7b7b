"""The public progress pages (issue 12, item 1), no login needed, Open SDG their model: the plan's
every target with its status, and one page per indicator with its chart, target, status,
methodology, lead agency, source, last update, the units' map and table, and its figures as CSV,
XLSX and JSON — made from the very object the page shows (`progress.figures_table`).

Cached: each answer carries an ETag made from when the public figures last changed
(`progress.progress_stamp`), the language, the address and who reads; a reader who has the page
gets 304, and a page rendered once for the public is kept (per process, by
`web.middleware.PublicPageCacheMiddleware`) until the figures change. Signed-in readers get the
same figures, rendered for them (their navigation bar), never from that store. The pages hold no CSRF token (nothing on them posts), so one rendering serves everyone: the
language switch is a link (`language`), not the site's POST form.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date, url_has_allowed_host_and_scheme
from django.utils.translation import check_for_language, get_language
from django.utils.translation import gettext as _

from tiendo.analytics.evaluation import VERDICT_LABELS, VERDICT_ORDER
from tiendo.analytics.progress import LABELS as PROGRESS_LABELS
from tiendo.analytics.selectors import history_chart
from tiendo.opendata import tables
from tiendo.opendata.progress import (
    FIGURE_FIELDS,
    PUBLIC_READER,
    Figures,
    figures_table,
    indicator_figures,
    page_etag,
    progress_stamp,
    public_indicator,
    public_overview,
    public_plan,
    public_plans,
)
from tiendo.opendata.views_public import CONTENT_TYPES, public_view
from tiendo.orgunits.boundaries import boundaries_for
from tiendo.plans.models import Indicator

# ECharts' SVG renderer writes `style` attributes (as on the signed-in indicator pages)
CHART_PAGE_POLICY = {"style-src-attr": ["'unsafe-inline'"]}
OVERVIEW_FIELDS = [
    "indicator",
    "group",
    "name",
    "target",
    "target_value",
    "direction",
    "value",
    "value_text",
    "period",
    "verdict",
    "progress",
    "simulated",
]


def _reader(request: HttpRequest) -> str:
    return f"user-{request.user.pk}" if request.user.is_authenticated else PUBLIC_READER


def cached_public(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ETag / Last-Modified from the figures' stamp, 304 when the reader has the page. The public's
    rendering is kept by `tiendo.web.middleware.PublicPageCacheMiddleware` (it recognises it by
    this ETag) and answered from there, before the rest of the middleware runs."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        stamp = progress_stamp()
        reader = _reader(request)
        etag = page_etag(
            stamp=stamp, language=get_language() or "", path=request.get_full_path(), reader=reader
        )
        modified = int(stamp.last_modified.timestamp()) if stamp.last_modified else None
        response: HttpResponseBase | None = get_conditional_response(
            request, etag=etag, last_modified=modified
        )
        if response is None:
            response = view(request, *args, **kwargs)
        if response.status_code in (200, 304):
            response["ETag"] = etag
            if modified is not None:
                response["Last-Modified"] = http_date(modified)
            response["Cache-Control"] = "public, no-cache" if reader == PUBLIC_READER else "private, no-cache"
        patch_vary_headers(response, ("Cookie", "Accept-Language"))
        return response

    return wrapper


def language(request: HttpRequest, code: str) -> HttpResponseBase:
    """Switch the language by a link (the public pages post nothing): the same cookie as the
    site's form, then back to the page (an address of this site only)."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("opendata-progress")
    response = HttpResponseRedirect(target)
    if check_for_language(code):
        from django.conf import settings

        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            code,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            path=settings.LANGUAGE_COOKIE_PATH,
            samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            secure=settings.LANGUAGE_COOKIE_SECURE or request.is_secure(),
            httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        )
    return response


# ------------------------------------------------------------------------------------ the plan


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status", "")
    return status if status in PROGRESS_LABELS or status in VERDICT_LABELS else ""


def _overview_context(request: HttpRequest, code: str | None) -> dict[str, Any]:
    plan = public_plan(code=code)
    overview = public_overview(plan=plan)
    status = _status_filter(request)
    rows = overview.rows
    progress_counts = {key: 0 for key in PROGRESS_LABELS}
    for row in rows:
        progress_counts[row.progress.status] += 1
    groups = []
    for group in overview.groups:
        shown = [r for r in group.rows if not status or status in (r.progress.status, r.evaluation.verdict)]
        if shown:
            groups.append((group, shown))
    return {
        "plan": plan,
        "plans": public_plans(),
        "overview": overview,
        "groups": groups,
        "status": status,
        "shown": sum(len(rows) for _group, rows in groups),
        "verdicts": [(v, VERDICT_LABELS[v], overview.counts.get(v, 0)) for v in VERDICT_ORDER],
        "statuses": [(s, label, progress_counts[s]) for s, label in PROGRESS_LABELS.items()],
        "simulated": sum(1 for r in rows if r.evaluation.data_value and r.evaluation.data_value.is_simulated),
        "public_page": True,
    }


@cached_public
@public_view
def plan_page(request: HttpRequest, code: str | None = None) -> HttpResponse:
    """Every target of the plan's year and its status (the latest plan without a code)."""
    return render(request, "opendata/progress_plan.html", _overview_context(request, code))


@cached_public
@public_view
def plan_figures(request: HttpRequest, code: str, fmt: str) -> HttpResponseBase:
    """The plan page's table as a file: one row per target, as the page shows it."""
    context = _overview_context(request, code)
    rows = []
    for group, shown in context["groups"]:
        for row in shown:
            evaluation = row.evaluation
            rows.append(
                {
                    "indicator": row.indicator.label,
                    "group": group.group.code,
                    "name": row.indicator.name,
                    "target": row.indicator.target_text,
                    "target_value": tables.plain_number(row.indicator.target_value),
                    "direction": row.indicator.direction,
                    "value": tables.plain_number(evaluation.value),
                    "value_text": evaluation.value_text,
                    "period": evaluation.period or "",
                    "verdict": evaluation.verdict,
                    "progress": row.progress.status,
                    "simulated": int(bool(evaluation.data_value and evaluation.data_value.is_simulated)),
                }
            )
    return _file(OVERVIEW_FIELDS, rows, fmt=fmt, name=f"{context['plan'].code}-targets")


# ------------------------------------------------------------------------------- the indicator


def _methodology(indicator: Indicator) -> list[str]:
    """How the figure is made, in words a citizen reads."""
    lines: list[str] = []
    if indicator.numerator is not None:
        numerator = indicator.numerator.display_name
        if indicator.denominator is not None:
            formula = _("Σ “%(numerator)s” ÷ Σ “%(denominator)s”") % {
                "numerator": numerator,
                "denominator": indicator.denominator.display_name,
            }
        elif indicator.denominator_units:
            formula = _("Σ “%(numerator)s” ÷ số đơn vị thực hiện") % {"numerator": numerator}
        else:
            formula = _("Σ “%(numerator)s”") % {"numerator": numerator}
        if indicator.factor != 1:
            formula += f" × {tables.plain_number(indicator.factor)}"
        lines.append(
            _("Công thức: %(formula)s, cộng trên số liệu đã duyệt của các đơn vị trong tỉnh.")
            % {"formula": formula}
        )
    if indicator.own_element_id:
        lines.append(
            _("Giá trị của tỉnh do văn bản công bố hoặc Văn phòng Chuyển đổi số ghi nhận, có nguồn kèm theo.")
        )
    lines.append(
        _(
            "Đánh giá: Đạt khi kết quả đáp ứng mục tiêu theo chiều “%(direction)s”; trước khi hết kỳ là “chưa đến hạn”."
        )
        % {"direction": indicator.get_direction_display()}
    )
    lines.append(
        _(
            "Tiến độ (phương pháp Open SDG / Liên Hợp Quốc): so tốc độ tăng trưởng bình quân từ số liệu gốc "
            "(năm trước) đến kết quả mới nhất với tốc độ cần có để đạt mục tiêu vào cuối năm."
        )
    )
    return lines


def _figures_context(request: HttpRequest, code: str, label: str) -> tuple[Figures, dict[str, Any]]:
    plan = public_plan(code=code)
    indicator = public_indicator(plan=plan, label=label)
    period = request.GET.get("period") or None
    figures = indicator_figures(indicator=indicator, period=period)
    return figures, {"plan": plan, "indicator": indicator, "period": period}


@csp_update(CHART_PAGE_POLICY)
@cached_public
@public_view
def indicator_page(request: HttpRequest, code: str, label: str) -> HttpResponse:
    figures, context = _figures_context(request, code, label)
    indicator = figures.indicator
    history = figures.history
    chart = history_chart(indicator, history)
    drill = figures.drill
    province = indicator.plan.province
    has_map = bool(drill and drill.rows and boundaries_for(province))
    unit_chart = None
    if drill is not None:
        unit_chart = {
            "values": {r.unit.code: float(r.value) for r in drill.rows if r.value is not None},
            "names": {r.unit.code: r.unit.name for r in drill.rows},
            "target": chart["target"],
            "measure": indicator.measure,
            "higher": indicator.direction != Indicator.Direction.LOWER,
            "mapUrl": reverse("boundaries", args=[province.code]) if has_map else None,
            "unitUrl": None,
        }
    query = f"?period={drill.period}" if drill is not None and context["period"] and drill.period else ""
    context.update(
        {
            "figures": figures,
            "row": figures.row,
            "history": list(reversed(history)),
            "chart": chart,
            "unit_chart": unit_chart,
            "has_map": has_map,
            "drill": drill,
            # best first (the rank), then the units without an approved figure, by name
            "unit_rows": sorted(drill.rows, key=lambda r: (r.rank is None, r.rank or 0, r.unit.name))
            if drill
            else [],
            "methodology": _methodology(indicator),
            "downloads": [
                (
                    fmt.upper(),
                    reverse("opendata-progress-figures", args=[context["plan"].code, indicator.label, fmt])
                    + query,
                )
                for fmt in ("csv", "xlsx", "json")
            ],
            "public_page": True,
        }
    )
    return render(request, "opendata/progress_indicator.html", context)


def _file(names: list[str], rows: list[dict[str, Any]], *, fmt: str, name: str) -> HttpResponseBase:
    if fmt == "csv":
        response: HttpResponseBase = HttpResponse(
            "".join(tables.csv_lines(names, rows)).encode(), content_type=CONTENT_TYPES["csv"]
        )
    elif fmt == "xlsx":
        response = HttpResponse(
            tables.xlsx_bytes(names, rows, title=name), content_type=CONTENT_TYPES["xlsx"]
        )
    else:
        response = HttpResponse(tables.json_bytes(names, rows), content_type=CONTENT_TYPES["json"])
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response


@cached_public
@public_view
def indicator_figures_file(request: HttpRequest, code: str, label: str, fmt: str) -> HttpResponseBase:
    """Exactly the figures the indicator's page shows (same period), as CSV, XLSX or JSON."""
    figures, context = _figures_context(request, code, label)
    name = f"{context['plan'].code}-{figures.indicator.label}"
    if figures.drill is not None and figures.drill.period:
        name += f"-{figures.drill.period}"
    return _file(FIGURE_FIELDS, figures_table(figures), fmt=fmt, name=name)
