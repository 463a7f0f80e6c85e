from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.urls import path, reverse
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache

from staff import twofactor


class StaffAdminSite(admin.AdminSite):
    """Django's admin site (it is `admin.site`, see staff.apps), where every page asks for
    a session that has given the second factor its user needs, and the sign-in asks for
    the code after the password."""

    def has_permission(self, request) -> bool:
        return super().has_permission(request) and not twofactor.lacks_second_factor(request.user)

    def get_urls(self):
        from staff import views

        return [
            path("login/code/", views.sign_in_code, {"site": self}, name="login_code"),
            path(
                "second-factor/",
                self.admin_view(views.second_factor_settings),
                {"site": self},
                name="second_factor",
            ),
            *super().get_urls(),
        ]

    @method_decorator(never_cache)
    def login(self, request, extra_context=None):
        """Django's admin sign-in (AdminSite.login), with the staff sign-in view: the
        right password of an account that needs a code leads to the code page."""
        from django.contrib.admin.forms import AdminAuthenticationForm
        from django.http import HttpResponseRedirect

        from staff.views import SignInView

        if request.method == "GET" and self.has_permission(request):
            return HttpResponseRedirect(reverse("admin:index", current_app=self.name))
        context = {
            **self.each_context(request),
            "title": "Log in",
            "subtitle": None,
            "app_path": request.get_full_path(),
            "username": request.user.get_username(),
        }
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            context[REDIRECT_FIELD_NAME] = reverse("admin:index", current_app=self.name)
        context.update(extra_context or {})
        request.current_app = self.name
        return SignInView.as_view(
            extra_context=context,
            authentication_form=self.login_form or AdminAuthenticationForm,
            template_name=self.login_template or "admin/login.html",
        )(request)
