"""Whole pages for anonymous readers, served from the cache.

A view opts in with `@cache_for_anonymous`. For a visitor with no session and
no pending messages, `middleware.AnonymousPageCacheMiddleware` answers a GET or
HEAD from the cache without touching the database or a template; otherwise it
lets the view render and keeps the result when nothing in it belongs to this
visitor. What still differs between anonymous visitors is either in the key
(the address, the dismissed site notice) or swapped in on every serve (the
CSRF token). `generation` forgets every page when staff change public content
and when the next scheduled article or post goes live.
"""

from functools import wraps


def cache_for_anonymous(view):
    """Lets anonymous visitors get this view's pages from the page cache."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    wrapper.cache_for_anonymous = True
    return wrapper
