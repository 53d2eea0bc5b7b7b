from django.urls import path, re_path

from tiendo.opendata import views_progress, views_withheld

urlpatterns = [
    path("progress/", views_progress.plan_page, name="opendata-progress"),
    path("progress/<slug:code>/", views_progress.plan_page, name="opendata-progress-plan"),
    re_path(
        r"^progress/(?P<code>[-a-zA-Z0-9_]+)/targets\.(?P<fmt>csv|xlsx|json)$",
        views_progress.plan_figures,
        name="opendata-progress-targets",
    ),
    path(
        "progress/<slug:code>/<str:label>/", views_progress.indicator_page, name="opendata-progress-indicator"
    ),
    re_path(
        r"^progress/(?P<code>[-a-zA-Z0-9_]+)/(?P<label>[^/]+)/figures\.(?P<fmt>csv|xlsx|json)$",
        views_progress.indicator_figures_file,
        name="opendata-progress-figures",
    ),
    re_path(r"^language/(?P<code>[a-z]{2})/$", views_progress.language, name="opendata-language"),
    path("manage/withheld/", views_withheld.withheld_page, name="opendata-withheld"),
    path(
        "manage/withheld/<int:mark_id>/remove",
        views_withheld.withheld_remove,
        name="opendata-withheld-remove",
    ),
]
