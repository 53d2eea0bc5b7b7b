from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "tiendo.web"
    label = "web"

    def ready(self) -> None:
        from tiendo.web.middleware import run_django_middleware_synchronously

        run_django_middleware_synchronously()

        from tiendo.web.accounts import second_factor, session

        session.connect()
        second_factor.connect()
