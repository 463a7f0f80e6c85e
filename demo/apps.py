from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo and scale data: it sits on top of `articles` and `comments` and fills both,
    so neither of them carries data generators of its own."""

    name = "demo"
    verbose_name = "Demo data"
