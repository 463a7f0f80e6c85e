"""Placeholder: built by the moderator workspace work (issue 14)."""

from django.http import HttpResponse
from django.shortcuts import render

from moderation.access import moderator_required, workspace_context


@moderator_required
def workspace(request):
    return render(request, "moderation/base.html", workspace_context(request, "Moderation"))


@moderator_required
def queue(request, queue):
    return HttpResponse(queue)


@moderator_required
def decide(request, comment_id):
    return HttpResponse(status=405)
