"""The CKAN Action API (views_ckan): /opendata/api/3/action/<name>, and /opendata/api/action/<name>
where CKAN clients without a version (ckanapi) call it."""

from django.urls import path

from tiendo.opendata import views_ckan

urlpatterns = [
    path("api/3/action/<str:name>", views_ckan.action, name="opendata-ckan-action"),
    path("api/action/<str:name>", views_ckan.action, name="opendata-ckan-action-default"),
]
