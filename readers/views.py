"""Readers' accounts: sign-in by email link, sign-out, the account page.

Stubs: the sign-in flow is being built (issue 13)."""

from django.http import Http404


def sign_in(request):
    raise Http404


def sign_in_sent(request):
    raise Http404


def sign_in_link(request, token):
    raise Http404


def sign_out(request):
    raise Http404


def account(request):
    raise Http404
