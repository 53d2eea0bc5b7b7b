from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path

from tiendo.api import dhis2_resources, ngsi_ld
from tiendo.api.api import api
from tiendo.api.dhis2 import data_value_sets
from tiendo.documents import views as document_views
from tiendo.orgunits import views as unit_views
from tiendo.plans import views as plan_views
from tiendo.reporting import views as reporting_views
from tiendo.web import views as web_views
from tiendo.web.accounts import views as account_views

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
    path("forms/<str:code>/four-eyes/", reporting_views.form_four_eyes, name="form-four-eyes"),
    path("tokens/", web_views.api_tokens, name="api-tokens"),
    re_path(
        r"^tokens/(?P<token_id>[0-9]+)/(?P<action>revoke|rotate)/$",
        web_views.api_token_action,
        name="api-token-action",
    ),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/security/", account_views.account_security, name="account-security"),
    path("accounts/2fa/enrol/", account_views.otp_enrol, name="otp-enrol"),
    path("accounts/2fa/verify/", account_views.otp_verify, name="otp-verify"),
    path("accounts/2fa/backup-codes/", account_views.otp_backup_codes, name="otp-backup-codes"),
    path("accounts/password/change/", account_views.PasswordChangeView.as_view(), name="password_change"),
    path(
        "accounts/password/change/done/",
        account_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("accounts/password/reset/", account_views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "accounts/password/reset/sent/",
        account_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "accounts/password/reset/<uidb64>/<token>/",
        account_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/password/reset/done/",
        account_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/v1/", api.urls),
    # DHIS2 clients call /api/dataValueSets, /api/dataValueSets.json or /api/<version>/dataValueSets
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?dataValueSets(?:\.(?P<fmt>json|xml|csv))?$",
        data_value_sets,
        name="dhis2-datavaluesets",
    ),
    # the other DHIS2 resources clients call (docs/dhis2-compatibility.md)
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?system/info(?:\.json)?$",
        dhis2_resources.system_info,
        name="dhis2-system-info",
    ),
    re_path(r"^api/(?:(?P<version>\d{2})/)?me(?:\.json)?$", dhis2_resources.me, name="dhis2-me"),
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?dataValues(?:\.json)?$",
        dhis2_resources.data_values,
        name="dhis2-datavalues",
    ),
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?dataSets(?:\.json)?$", dhis2_resources.data_sets, name="dhis2-datasets"
    ),
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?dataSets/(?P<uid>[^/]+?)(?:\.json)?$",
        dhis2_resources.data_sets,
        name="dhis2-dataset",
    ),
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?system/tasks/DATAVALUE_IMPORT/(?P<job_id>[^/]+?)(?:\.json)?$",
        dhis2_resources.job_notifications,
        name="dhis2-job",
    ),
    re_path(
        r"^api/(?:(?P<version>\d{2})/)?system/taskSummaries/DATAVALUE_IMPORT/(?P<job_id>[^/]+?)(?:\.json)?$",
        dhis2_resources.job_summary,
        name="dhis2-job-summary",
    ),
    path("ioc/", include("tiendo.ioc.urls")),
    path("opendata/", include("tiendo.opendata.urls")),
    # NGSI-LD (read-only) for FIWARE clients: docs/ioc.md
    path("ngsi-ld/v1/entities", ngsi_ld.entities, name="ngsi-entities"),
    path("ngsi-ld/v1/entities/<str:entity_id>", ngsi_ld.entity, name="ngsi-entity"),
    path("ngsi-ld/v1/temporal/entities/<str:entity_id>", ngsi_ld.temporal_entity, name="ngsi-temporal"),
    path("admin/", admin.site.urls),
]

handler404 = "tiendo.web.views.not_found"
