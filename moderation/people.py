"""Placeholder: built by the moderator workspace work (issue 14)."""

from django.http import HttpResponse

from moderation.access import moderator_required


@moderator_required
def person(request, reader_key):
    return HttpResponse(reader_key)


@moderator_required
def add_note(request, reader_key):
    return HttpResponse(status=405)


@moderator_required
def search(request):
    return HttpResponse("Search")
