from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "tiendo.core"
    label = "core"
    verbose_name = "tiendo core"

    def ready(self) -> None:
        from tiendo.core import auth_events, system_checks  # noqa: F401  (registers the checks)

        auth_events.connect()  # sign-in events in the audit log
