from django.urls import path, re_path

from tiendo.opendata import views_public

urlpatterns = [
    path("", views_public.catalogue, name="opendata-catalogue"),
    path("dataset/<slug:name>/", views_public.dataset_page, name="opendata-dataset"),
    re_path(
        r"^dataset/(?P<name>[-a-zA-Z0-9_]+)/data\.(?P<fmt>csv|xlsx|json)$",
        views_public.download,
        name="opendata-download",
    ),
    path("dataset/<slug:name>/datapackage.json", views_public.datapackage, name="opendata-datapackage"),
]
