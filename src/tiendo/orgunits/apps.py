from django.apps import AppConfig


class OrgunitsConfig(AppConfig):
    name = "tiendo.orgunits"
    label = "orgunits"
