"""Units withheld from the public pages (issue 12, item 1): the marks an admin of a unit (or the
CĐS office) has set, a form to set one, and the button to take one back. The rules live in
`withholding` (services that check rights again and audit). A failed POST renders the form again
with what was typed and the error next to its field; who administers no unit gets a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tiendo.core.exceptions import ApplicationError, PermissionDeniedError
from tiendo.core.http import not_found_on_error
from tiendo.core.text import fold_for_search
from tiendo.opendata.views_sharing import sharing_nav
from tiendo.opendata.withholding import (
    withheld_list,
    withheld_mark,
    withheld_units_markable,
    withheld_unmark,
)
from tiendo.plans.selectors import indicator_list, plan_current

PAGE_SIZE = 25
FIELDS = ("unit", "indicator", "reason")


@login_required
@not_found_on_error
@require_http_methods(["GET", "POST"])
def withheld_page(request: HttpRequest) -> HttpResponse:
    units = list(withheld_units_markable(user=request.user))
    if not units:
        raise Http404
    plan = plan_current(user=request.user)
    indicators = list(indicator_list(user=request.user, plan=plan)) if plan is not None else []
    form = {name: request.POST.get(name, "").strip() for name in FIELDS}
    errors: dict[str, str] = {}
    if request.method == "POST":
        unit = {u.code: u for u in units}.get(form["unit"])
        indicator = {str(i.pk): i for i in indicators}.get(form["indicator"])
        if unit is None:
            errors["unit"] = _("Đơn vị: chọn một đơn vị bạn quản lý.")
        if form["indicator"] and indicator is None:
            errors["indicator"] = _("Chỉ tiêu: chọn một chỉ tiêu của kế hoạch, hoặc “Mọi chỉ tiêu”.")
        if not errors and unit is not None:
            try:
                withheld_mark(actor=request.user, unit=unit, indicator=indicator, reason=form["reason"])
            except PermissionDeniedError:
                raise Http404 from None
            except ApplicationError as exc:
                errors[exc.field if exc.field in FIELDS else "form"] = str(exc.message)
            else:
                messages.success(
                    request,
                    _("Số liệu của %(unit)s và các đơn vị trực thuộc không còn hiện trên trang công khai.")
                    % {"unit": unit.name},
                )
                return redirect("opendata-withheld")
    query = request.GET.get("q", "").strip()[:100]
    marks = withheld_list(user=request.user)
    if query:
        folded = fold_for_search(query)
        marks = marks.filter(unit__search_text__contains=folded)
    page = Paginator(marks, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "query": query,
        "units": units,
        "indicators": indicators,
        "plan": plan,
        "form": form,
        "errors": errors,
        "nav": sharing_nav(request.user),
        "current": "withheld",
    }
    return render(request, "opendata/withheld.html", context, status=422 if errors else 200)


@login_required
@not_found_on_error
@require_POST
def withheld_remove(request: HttpRequest, mark_id: int) -> HttpResponse:
    mark = withheld_list(user=request.user).filter(pk=mark_id).first()
    if mark is None:
        raise Http404
    unit_name = mark.unit.name
    withheld_unmark(actor=request.user, mark_id=mark_id)
    messages.success(
        request,
        _("Số liệu đã duyệt của %(unit)s lại được công khai trên trang tiến độ.") % {"unit": unit_name},
    )
    return redirect("opendata-withheld")
