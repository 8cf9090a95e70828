from django.apps import AppConfig
from django.core import checks


class PageCacheConfig(AppConfig):
    name = "page_cache"
    verbose_name = "Page cache"

    def ready(self):
        # Connected in every process (web, shell, management commands), since
        # all of them share the tokens (in Redis, or in CACHE_DIR's files).
        from . import generation, member_version, shared_tokens

        generation.connect()
        member_version.connect()
        checks.register(shared_tokens.check_token_folder, checks.Tags.caches)
