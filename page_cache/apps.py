from django.apps import AppConfig


class PageCacheConfig(AppConfig):
    name = "page_cache"
    verbose_name = "Page cache"

    def ready(self):
        # Connected in every process (web, shell, management commands), since
        # all of them share the cache once REDIS_URL is set.
        from . import generation, member_version

        generation.connect()
        member_version.connect()
