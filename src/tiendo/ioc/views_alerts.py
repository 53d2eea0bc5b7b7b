"""Pages of the alerts: the history, one alert with its events, the rules (stub while building)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse


def _todo(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse(status=501)


alert_list = alert_export = alert_detail = alert_acknowledge_view = alert_clear_view = _todo
rule_list = rule_edit = rule_deactivate_view = _todo
