from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "pagecache"
    verbose_name = "Page cache"

    def ready(self) -> None:
        from django.middleware.csrf import get_token

        from pagecache import placeholders, registry

        registry.connect()
        # The CSRF token is each visitor's own: the one hole every app's forms need. One
        # masked token serves every form of a response (Django masks it per response
        # against BREACH; the forms of one response gain nothing from differing).
        placeholders.register("csrf", lambda request, _: get_token(request), once_per_response=True)
