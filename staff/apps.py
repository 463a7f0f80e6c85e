from django.apps import AppConfig


class StaffConfig(AppConfig):
    """The staff roles span both content apps (editors write stories, moderators run
    comment threads), so they live together here rather than inside either of them."""

    name = "staff"
    verbose_name = "Staff roles"
