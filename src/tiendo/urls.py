from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from tiendo.api.api import api
from tiendo.api.dhis2 import data_value_sets
from tiendo.documents import views as document_views
from tiendo.orgunits import views as unit_views
from tiendo.plans import views as plan_views
from tiendo.reporting import views as reporting_views
from tiendo.web import views as web_views

urlpatterns = [
    path("", web_views.home, name="home"),
    path("healthz", web_views.healthz, name="healthz"),
    path("plans/", plan_views.plan_index, name="plan-list"),
    path("plans/<slug:code>/", web_views.plan_detail, name="plan-detail"),
    re_path(
        r"^plans/(?P<code>[-a-zA-Z0-9_]+)/report\.(?P<fmt>docx|pdf|xlsx)$",
        document_views.plan_report,
        name="plan-report",
    ),
    path("documents/templates/<slug:kind>/", document_views.report_template, name="report-template"),
    path("documents/verify/", document_views.verify, name="verify"),
    path("documents/certificates/", document_views.certificates, name="certificates"),
    path("indicators/<int:indicator_id>/", web_views.indicator_detail, name="indicator-detail"),
    path("indicators/<int:indicator_id>/units/", web_views.indicator_units, name="indicator-units"),
    path("units/", unit_views.unit_index, name="unit-list"),
    path("units/<str:code>/boundaries.geojson", unit_views.boundaries, name="boundaries"),
    re_path(
        r"^units/(?P<code>[^/]+)/report\.(?P<fmt>docx|pdf)$",
        document_views.unit_report_download,
        name="unit-report",
    ),
    path("units/<str:code>/", web_views.unit_detail, name="unit-detail"),
    path("reports/", reporting_views.my_reports, name="my-reports"),
    path("reports/overdue/", reporting_views.overdue, name="overdue"),
    path("notifications/read", reporting_views.notifications_read, name="notifications-read"),
    path(
        "reports/<str:dataset_code>/<str:unit_code>/<str:period>/",
        reporting_views.submission_page,
        name="submission",
    ),
    path(
        "reports/<str:dataset_code>/<str:unit_code>/<str:period>/action",
        reporting_views.submission_action,
        name="submission-action",
    ),
    path(
        "reports/<str:dataset_code>/<str:unit_code>/<str:period>/check",
        reporting_views.submission_check,
        name="submission-check",
    ),
    path(
        "reports/<str:dataset_code>/<str:unit_code>/<str:period>/pdf",
        document_views.submission_pdf,
        name="submission-pdf",
    ),
    path(
        "reports/<str:dataset_code>/<str:unit_code>/<str:period>/xlsx",
        reporting_views.submission_xlsx,
        name="submission-xlsx",
    ),
    path("forms/", reporting_views.form_index, name="form-list"),
    path("forms/<str:code>/", reporting_views.form_detail, name="form-detail"),
    path("tokens/", web_views.api_tokens, name="api-tokens"),
    re_path(
        r"^tokens/(?P<token_id>[0-9]+)/(?P<action>revoke|rotate)/$",
        web_views.api_token_action,
        name="api-token-action",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # DHIS2 clients call /api/dataValueSets, /api/dataValueSets.json or /api/<version>/dataValueSets
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?dataValueSets(?:\.json)?$", data_value_sets, name="dhis2-datavaluesets"
    ),
    path("admin/", admin.site.urls),
]

handler404 = "tiendo.web.views.not_found"
