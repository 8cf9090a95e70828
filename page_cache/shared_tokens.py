"""The page cache of a site without Redis: what it keeps (pages, fragments,
what is kept for members) in each process's own memory, and the tokens that
say which of that is current (generation.py, member_version.py) in files
every process on the machine shares.

Nothing in the page cache is served unless the tokens it was stored with
are the current ones, so a copy one process keeps is never served after a
save in another process has dropped a token. With the tokens in each
process's memory too, a worker went on serving pages and members' copies
that a save handled by another worker had made stale, until they expired.
"""

import logging
import tempfile
from pathlib import Path

from django.conf import settings
from django.core import checks
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.filebased import FileBasedCache
from django.core.cache.backends.locmem import LocMemCache

from . import generation, member_version

log = logging.getLogger(__name__)

TOKENS = (generation.KEY, member_version.key(""), member_version.activity_key(""))


def is_token(key):
    return key.startswith(TOKENS)


def folder():
    """The tokens' folder, or None when the page cache is another (Redis)."""
    pages = settings.CACHES["pages"]
    return pages["LOCATION"] if pages["BACKEND"] == f"{__name__}.{SharedTokensCache.__name__}" else None


class SharedTokensCache(BaseCache):
    """LOCATION: the folder of the tokens' files. OPTIONS: MAX_ENTRIES of the
    values each process keeps, TOKEN_MAX_ENTRIES of the tokens' files (one
    for the site, two for each member seen lately)."""

    def __init__(self, location, params):
        super().__init__(params)
        options = params.get("OPTIONS", {})
        keys = {name: params[name] for name in ("TIMEOUT", "KEY_PREFIX", "VERSION", "KEY_FUNCTION") if name in params}
        values_options = {"MAX_ENTRIES": options.get("MAX_ENTRIES", 300)}
        tokens_options = {"MAX_ENTRIES": options.get("TOKEN_MAX_ENTRIES", 10_000)}
        self.folder = location
        self.values = LocMemCache(f"page-cache:{location}", {**keys, "OPTIONS": values_options})
        self.tokens = FileBasedCache(location, {**keys, "OPTIONS": tokens_options})

    def _holding(self, key):
        return self.tokens if is_token(key) else self.values

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        if not is_token(key):
            return self.values.add(key, value, timeout, version)
        # Not atomic across processes: two may each think they made the token,
        # and the copies stored with the one overwritten are never served.
        try:
            return self.tokens.add(key, value, timeout, version)
        except OSError:
            # A full disk or a folder gone: with no token, pages are rendered and not kept, as with Redis down.
            log.exception("Could not write a page cache token in %s", self.folder)
            return False

    def get(self, key, default=None, version=None):
        return self._holding(key).get(key, default, version)

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._holding(key).set(key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._holding(key).touch(key, timeout, version)

    def delete(self, key, version=None):
        return self._holding(key).delete(key, version)

    def has_key(self, key, version=None):
        return self._holding(key).has_key(key, version)

    def incr(self, key, delta=1, version=None):
        return self._holding(key).incr(key, delta, version)

    def get_many(self, keys, version=None):
        tokens = [key for key in keys if is_token(key)]
        found = self.tokens.get_many(tokens, version) if tokens else {}
        return found | self.values.get_many([key for key in keys if not is_token(key)], version)

    def clear(self):
        self.tokens.clear()
        self.values.clear()


def check_token_folder(app_configs, **kwargs):
    """A folder the tokens cannot be written to would fail every page that
    starts one: said at `check` and `migrate` time instead."""
    if (location := folder()) is None:
        return []
    try:
        Path(location).mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=location).close()
    except OSError as error:
        return [
            checks.Error(
                f"The page cache cannot write its tokens in {location}: {error}",
                hint="Set CACHE_DIR to a folder every app process on this machine can write, or set REDIS_URL.",
                id="page_cache.E001",
            )
        ]
    return []
