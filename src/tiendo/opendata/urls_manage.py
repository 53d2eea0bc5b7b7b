from django.urls import path

from tiendo.opendata import views_manage

urlpatterns = [
    path("manage/", views_manage.manage_list, name="opendata-manage"),
    path("manage/new", views_manage.manage_new, name="opendata-manage-new"),
    path("manage/<slug:name>/", views_manage.manage_dataset, name="opendata-manage-dataset"),
]
