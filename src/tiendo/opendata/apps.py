from django.apps import AppConfig


class OpendataConfig(AppConfig):
    name = "tiendo.opendata"
    label = "opendata"
    verbose_name = "Open data"
