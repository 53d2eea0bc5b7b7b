from django.urls import path

from tiendo.ioc import views_alerts

urlpatterns = [
    path("alerts/", views_alerts.alert_list, name="ioc-alerts"),
    path("alerts/export.<str:fmt>", views_alerts.alert_export, name="ioc-alerts-export"),
    path("alerts/<int:alert_id>/", views_alerts.alert_detail, name="ioc-alert"),
    path(
        "alerts/<int:alert_id>/acknowledge", views_alerts.alert_acknowledge_view, name="ioc-alert-acknowledge"
    ),
    path("alerts/<int:alert_id>/clear", views_alerts.alert_clear_view, name="ioc-alert-clear"),
    path("rules/", views_alerts.rule_list, name="ioc-rules"),
    path("rules/new", views_alerts.rule_edit, name="ioc-rule-new"),
    path("rules/<int:rule_id>/", views_alerts.rule_edit, name="ioc-rule-edit"),
    path("rules/<int:rule_id>/deactivate", views_alerts.rule_deactivate_view, name="ioc-rule-deactivate"),
]
