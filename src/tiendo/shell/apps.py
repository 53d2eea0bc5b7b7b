from django.apps import AppConfig


class ShellConfig(AppConfig):
    """The top of the house: the commands that set up, serve and run the whole system."""

    name = "tiendo.shell"
    label = "shell"
    verbose_name = "tiendo shell"
