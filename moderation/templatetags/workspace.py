"""The workspace's wording in its templates."""

from django import template

from moderation.cards import status_for_staff

register = template.Library()

register.filter("status_for_staff", status_for_staff)
