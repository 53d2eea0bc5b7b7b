from django.urls import path

from tiendo.ioc import views_registry

urlpatterns = [
    path("registry/", views_registry.registry, name="ioc-registry"),
    path("registry/devices/new", views_registry.registry_device, name="ioc-registry-new"),
    path("registry/devices/<str:code>/", views_registry.registry_device, name="ioc-registry-device"),
]
