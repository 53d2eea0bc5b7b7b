"""The DCAT catalogue. Before the public pages (urls.py): `dataset/<name>.ttl` has no slash after the
name, so it never meets the dataset page `dataset/<name>/` (a name is a slug: no dots)."""

from django.urls import re_path

from tiendo.opendata import views_dcat

FORMATS = r"(?P<fmt>jsonld|ttl|rdf)"

urlpatterns = [
    re_path(rf"^catalog\.{FORMATS}$", views_dcat.catalog, name="opendata-catalog"),
    re_path(
        rf"^dataset/(?P<name>[-a-zA-Z0-9_]+)\.{FORMATS}$", views_dcat.dataset_rdf, name="opendata-dataset-rdf"
    ),
]
