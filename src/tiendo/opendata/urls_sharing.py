"""Sharing between agencies (views_sharing): systems, their keys and requests, the requests to decide,
the office's usage report."""

from django.urls import path

from tiendo.opendata import views_sharing

urlpatterns = [
    path("systems/", views_sharing.systems, name="opendata-systems"),
    path("systems/<int:system_id>/", views_sharing.system_page, name="opendata-system"),
    path("requests/", views_sharing.requests_page, name="opendata-requests"),
    path("usage/", views_sharing.usage, name="opendata-usage"),
    path("usage.csv", views_sharing.usage_csv, name="opendata-usage-csv"),
]
