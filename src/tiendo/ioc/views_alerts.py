"""Pages of the alerts: the history (filters, sorting, paging, CSV and XLSX of the filtered rows),
one alert with its events and the acknowledge and clear forms, and the office's rules."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from openpyxl import Workbook

from tiendo.core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from tiendo.core.http import not_found_on_error
from tiendo.core.spreadsheet import FORMULA_TRIGGERS, put_at
from tiendo.ioc.alerting import OPERATORS
from tiendo.ioc.alerts_selectors import (
    SORTS,
    AlertFilters,
    alert_events,
    alerts_open_count,
    alerts_search,
    indicators_for_rules,
    rule_get,
    rules_visible,
)
from tiendo.ioc.alerts_services import RuleInput, rule_create, rule_deactivate, rule_update
from tiendo.ioc.models import Alert, AlertRule, Device, Severity
from tiendo.ioc.selectors import alert_get, devices_visible, subsystems_visible, user_may_act_on_alert
from tiendo.ioc.services import alert_acknowledge, alert_clear
from tiendo.orgunits.selectors import user_is_office_admin

PAGE_SIZE = 50


def _filters(request: HttpRequest) -> AlertFilters:
    return AlertFilters.from_query({k: request.GET.get(k, "") for k in request.GET})


def _query_without(request: HttpRequest, *names: str) -> str:
    query = request.GET.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


@login_required
def alert_list(request: HttpRequest) -> HttpResponse:
    filters = _filters(request)
    alerts = alerts_search(user=request.user, filters=filters)
    page = Paginator(alerts, PAGE_SIZE).get_page(request.GET.get("page"))
    sort_key = filters.sort.lstrip("-")
    return render(
        request,
        "ioc/alerts_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": Alert.Status.choices,
            "severities": Severity.choices,
            "open_count": alerts_open_count(user=request.user),
            "sorts": [(key, "-" + key if filters.sort == key else key) for key in SORTS],
            "sort_key": sort_key,
            "sort_descending": filters.sort.startswith("-"),
            "query_no_page": _query_without(request, "page"),
            "query_no_sort": _query_without(request, "page", "sort"),
            "query": _query_without(request),
            "is_office": user_is_office_admin(request.user),
        },
    )


def _columns() -> list[str]:
    return [
        _("Mã"),
        _("Bắt đầu"),
        _("Mức độ"),
        _("Trạng thái"),
        _("Mã đơn vị"),
        _("Đơn vị"),
        _("Thiết bị"),
        _("Quy tắc"),
        _("Nội dung"),
        _("Giá trị"),
        _("Lần cuối"),
        _("Xác nhận lúc"),
        _("Người xác nhận"),
        _("Ghi chú xác nhận"),
        _("Kết thúc lúc"),
        _("Người kết thúc"),
        _("Ghi chú kết thúc"),
    ]


def _when(moment: datetime | None) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def _row(alert: Alert) -> list[object]:
    return [
        alert.pk,
        _when(alert.started_at),
        alert.get_severity_display(),
        alert.get_status_display(),
        alert.unit.code,
        alert.unit.name,
        alert.device.code if alert.device else "",
        alert.rule.code,
        alert.message,
        alert.value,
        _when(alert.last_at),
        _when(alert.acknowledged_at),
        alert.acknowledged_by.get_username() if alert.acknowledged_by else "",
        alert.acknowledge_comment,
        _when(alert.cleared_at),
        (alert.cleared_by.get_username() if alert.cleared_by else (_("tự động") if alert.cleared_at else "")),
        alert.clear_comment,
    ]


def _csv_cell(value: object) -> object:
    """Text a spreadsheet would run as a formula gets a leading apostrophe; numbers stay numbers."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return "" if value is None else value


def _sheet_rows(alerts: QuerySet[Alert]) -> Iterator[list[object]]:
    yield list(_columns())
    for alert in alerts.iterator(chunk_size=2000):
        yield _row(alert)


class _Echo:
    def write(self, value: str) -> str:
        return value


@login_required
def alert_export(request: HttpRequest, fmt: str) -> HttpResponse | StreamingHttpResponse:
    alerts = alerts_search(user=request.user, filters=_filters(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    if fmt == "csv":
        writer = csv.writer(_Echo())

        def rows() -> Iterator[str]:
            yield "\ufeff"  # so Excel reads the Vietnamese as UTF-8
            yield writer.writerow(_columns())
            for alert in alerts.iterator(chunk_size=2000):
                yield writer.writerow([_csv_cell(v) for v in _row(alert)])

        streamed = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
        streamed["Content-Disposition"] = f'attachment; filename="canh-bao-{stamp}.csv"'
        return streamed
    if fmt != "xlsx":
        raise NotFoundError()
    book = Workbook()
    sheet = book.active
    sheet.title = _("Lịch sử cảnh báo")[:31]
    # cell by cell through `put` (never a formula); `append_row` asks max_row, which is linear
    for number, values in enumerate(_sheet_rows(alerts), start=1):
        for column, value in enumerate(values, start=1):
            put_at(sheet, row=number, column=column, value=value)
    content = BytesIO()
    book.save(content)
    response = HttpResponse(
        content.getvalue(), content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="canh-bao-{stamp}.xlsx"'
    return response


alert_export = not_found_on_error(alert_export)


@login_required
@not_found_on_error
def alert_detail(request: HttpRequest, alert_id: int) -> HttpResponse:
    alert = alert_get(user=request.user, alert_id=alert_id)
    return render(
        request,
        "ioc/alerts_detail.html",
        {
            "alert": alert,
            "events": alert_events(user=request.user, alert=alert),
            "may_act": user_may_act_on_alert(user=request.user, alert=alert),
        },
    )


def _act(request: HttpRequest, alert_id: int, *, clear: bool) -> HttpResponse:
    alert = alert_get(user=request.user, alert_id=alert_id)
    comment = request.POST.get("comment", "")
    try:
        if clear:
            alert_clear(actor=request.user, alert=alert, comment=comment)
            messages.success(request, _("Đã kết thúc cảnh báo"))
        else:
            alert_acknowledge(actor=request.user, alert=alert, comment=comment)
            messages.success(request, _("Đã xác nhận cảnh báo"))
    except NotFoundError:
        raise
    except ApplicationError as exc:  # no longer active, already over, a comment too long
        messages.error(request, str(exc.message))
    return redirect("ioc-alert", alert.pk)


@login_required
@require_POST
@not_found_on_error
def alert_acknowledge_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, clear=False)


@login_required
@require_POST
@not_found_on_error
def alert_clear_view(request: HttpRequest, alert_id: int) -> HttpResponse:
    return _act(request, alert_id, clear=True)


# --- the rules (the office's) -------------------------------------------------------------------


def _office(request: HttpRequest) -> None:
    if not user_is_office_admin(request.user):
        raise PermissionDenied(_("Chỉ Văn phòng CĐS được quản lý quy tắc cảnh báo"))


@login_required
def rule_list(request: HttpRequest) -> HttpResponse:
    _office(request)
    rules = rules_visible(user=request.user).order_by("-active", "code")
    return render(request, "ioc/alerts_rules.html", {"rules": rules})


def _input(request: HttpRequest) -> RuleInput:
    post = request.POST
    emails = [e for part in post.get("notify_emails", "").replace(";", ",").split(",") for e in part.split()]
    return RuleInput(
        code=post.get("code", ""),
        name=post.get("name", ""),
        severity=post.get("severity", ""),
        condition=post.get("condition", ""),
        metric=post.get("metric", ""),
        device=post.get("device", ""),
        device_kind=post.get("device_kind", ""),
        subsystem=post.get("subsystem", ""),
        indicator=post.get("indicator", ""),
        operator=post.get("operator", ""),
        threshold=post.get("threshold", ""),
        per_minutes=post.get("per_minutes", ""),
        minutes=post.get("minutes", ""),
        duration_seconds=post.get("duration_seconds", "") or 0,
        repeat_count=post.get("repeat_count", "") or 1,
        notify_emails=emails,
        notify_webhook=post.get("notify_webhook", ""),
        active=post.get("active") == "on",
    )


def _form_values(rule: AlertRule | None) -> dict[str, object]:
    if rule is None:
        return {
            "severity": Severity.WARNING,
            "condition": AlertRule.Condition.THRESHOLD,
            "repeat_count": 1,
            "duration_seconds": 0,
            "active": True,
        }
    return {
        "code": rule.code,
        "name": rule.name,
        "severity": rule.severity,
        "condition": rule.condition,
        "metric": rule.metric,
        "device": rule.device.code if rule.device else "",
        "device_kind": rule.device_kind,
        "subsystem": rule.subsystem.code if rule.subsystem else "",
        "indicator": rule.indicator_id or "",
        "operator": rule.operator,
        "threshold": "" if rule.threshold is None else f"{rule.threshold:g}",
        "per_minutes": rule.params.get("per_minutes", ""),
        "minutes": rule.params.get("minutes", ""),
        "duration_seconds": rule.duration_seconds,
        "repeat_count": rule.repeat_count,
        "notify_emails": ", ".join(rule.notify_emails),
        "notify_webhook": rule.notify_webhook,
        "active": rule.active,
    }


@login_required
@not_found_on_error
def rule_edit(request: HttpRequest, rule_id: int | None = None) -> HttpResponse:
    _office(request)
    rule = rule_get(user=request.user, rule_id=rule_id) if rule_id is not None else None
    values = _form_values(rule)
    error: ApplicationError | None = None
    if request.method == "POST":
        data = _input(request)
        try:
            if rule is None:
                saved = rule_create(actor=request.user, data=data)
            else:
                saved = rule_update(actor=request.user, rule=rule, data=data)
        except PermissionDeniedError as exc:
            raise PermissionDenied(str(exc.message)) from None
        except ApplicationError as exc:
            error = exc
            values = {k: request.POST.get(k, "") for k in request.POST} | {
                "active": request.POST.get("active") == "on"
            }
        else:
            messages.success(request, _("Đã lưu quy tắc cảnh báo %(code)s") % {"code": saved.code})
            return redirect("ioc-rules")
    return render(
        request,
        "ioc/alerts_rule_form.html",
        {
            "rule": rule,
            "values": values,
            "error": error,
            "severities": Severity.choices,
            "conditions": AlertRule.Condition.choices,
            "operators": list(OPERATORS),
            "kinds": Device.Kind.choices,
            "devices": devices_visible(user=request.user).order_by("code").values_list("code", "name"),
            "indicators": indicators_for_rules(user=request.user),
            "subsystems": subsystems_visible(user=request.user).order_by("code").values_list("code", "name"),
        },
        status=400 if error else 200,
    )


@login_required
@require_POST
@not_found_on_error
def rule_deactivate_view(request: HttpRequest, rule_id: int) -> HttpResponse:
    _office(request)
    rule = rule_get(user=request.user, rule_id=rule_id)
    rule_deactivate(actor=request.user, rule=rule)
    messages.success(request, _("Đã ngừng quy tắc %(code)s") % {"code": rule.code})
    return redirect("ioc-rules")
