from django.apps import AppConfig


class ImportsConfig(AppConfig):
    """Moving in and out: WordPress (WXR) and Disqus imports, the WXR export, and the old
    addresses of imported stories. Its own app because it sits on top of `articles` and
    `comments`, fills both, keeps its own records of where each row came from, and
    neither of them knows it exists."""

    name = "imports"
    verbose_name = "Imports"
