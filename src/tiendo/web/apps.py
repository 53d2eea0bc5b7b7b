from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tiendo.web"
    label = "web"
