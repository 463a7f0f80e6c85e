"""Placeholder: built by the moderator workspace work (issue 14)."""

from django.http import HttpResponse

from moderation.access import moderator_required


@moderator_required
def dashboard(request):
    return HttpResponse("Dashboard")
