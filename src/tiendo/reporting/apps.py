from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "tiendo.reporting"
    label = "reporting"
