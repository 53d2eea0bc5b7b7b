from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "tiendo.documents"
    label = "documents"

    def ready(self) -> None:
        from tiendo.documents import checks  # noqa: F401  (registers the checks)
