from django.urls import URLPattern, path

from tiendo.ioc import views_live

urlpatterns: list[URLPattern] = [
    path("", views_live.live_page, name="ioc-live"),
    path("stream", views_live.stream, name="ioc-stream"),
    path("state.json", views_live.state, name="ioc-state"),
    path("devices/", views_live.device_list, name="ioc-devices"),
    path("devices/<str:code>/", views_live.device_detail, name="ioc-device"),
]
