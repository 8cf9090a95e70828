"""Refuses, before any view, a URL the database could never match: PostgreSQL
cannot hold a NUL character in text, so a path or query with one would end
in a server error at the first query that uses it."""

from django.http import HttpResponseBadRequest


def refuse_nul_characters(get_response):
    def middleware(request):
        query = request.META.get("QUERY_STRING", "")
        if "\x00" in request.path or "\x00" in query or "%00" in query:
            return HttpResponseBadRequest("A URL cannot contain a NUL character.", content_type="text/plain")
        return get_response(request)

    return middleware
