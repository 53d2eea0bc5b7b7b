from django.apps import AppConfig


class IocConfig(AppConfig):
    name = "tiendo.ioc"
    label = "ioc"
    verbose_name = "IOC"
