from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "tiendo.plans"
    label = "plans"
