from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tiendo.core"
    label = "core"
    verbose_name = "tiendo core"

    def ready(self) -> None:
        from tiendo.core import system_checks  # noqa: F401  (registers the checks)
