from django.apps import AppConfig


class ModerationConfig(AppConfig):
    """The moderators' workspace: their queues, cards and decisions, a person's history,
    search and the dashboard. Staff pages over the comments app's models and services;
    readers never reach it."""

    name = "moderation"
    verbose_name = "Moderation"
