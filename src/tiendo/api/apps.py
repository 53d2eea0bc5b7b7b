from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "tiendo.api"
    label = "api"
