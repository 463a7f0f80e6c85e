from datetime import timedelta

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class StaffConfig(AppConfig):
    """The staff roles span both content apps (editors write stories, moderators run
    comment threads), so they live together here rather than inside either of them; so
    does the staff sign-in's second factor."""

    name = "staff"
    verbose_name = "Staff roles"

    def ready(self) -> None:
        from jobs import schedule
        from staff import tasks

        schedule.every(timedelta(days=1), tasks.erase_old_sign_in_records)


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, with `admin.site` the staff site (a second factor where one
    applies). Listed in INSTALLED_APPS in place of django.contrib.admin."""

    default = False  # the staff app itself is StaffConfig
    default_site = "staff.sites.StaffAdminSite"
