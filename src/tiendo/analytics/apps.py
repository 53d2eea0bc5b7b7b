from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "tiendo.analytics"
    label = "analytics"
