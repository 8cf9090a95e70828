"""Whole pages served from the cache: one copy for every anonymous reader,
and one per signed-in member.

A view opts in with `@cache_for_anonymous`, `@cache_for_members`, or both.
`middleware.PageCacheMiddleware` answers a GET or HEAD from the cache without
touching the database or a template: for a visitor with no session and no
pending messages, from the page every anonymous reader shares; for a signed-in
member with no pending messages, from the copy rendered for them, as long as
their session's password hash is the one it was rendered under. Otherwise it
lets the view render and keeps the result when nothing in it belongs to this
one request.

What still differs between readers of one copy is either in the key (the
address, the dismissed site notice, the member) or swapped in on every serve
(the CSRF token). `generation` forgets every page when staff change public
content and when the next scheduled article or post goes live;
`member_version` forgets a member's pages when any of their rows change, and
a member's copy also expires when their access would lapse by the clock
(members.access.Standing.holds_until). Staff get no cached pages. The
member's row and standing are kept under the same tokens, so a page rendered
for them reads neither from the database.
"""

from functools import wraps


def cache_for_anonymous(view):
    """Lets anonymous visitors get this view's pages from the page cache."""
    return _opted_in(view, "cache_for_anonymous")


def cache_for_members(view):
    """Lets each signed-in member get this view's pages from their own copy in
    the page cache. Only for pages that depend on nothing but the address, the
    public content and rows pointing at the member (see member_version)."""
    return _opted_in(view, "cache_for_members")


def _opted_in(view, audience):
    @wraps(view)
    def wrapper(*args, **kwargs):
        return view(*args, **kwargs)

    setattr(wrapper, audience, True)
    return wrapper
