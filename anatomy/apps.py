from django.apps import AppConfig


class AnatomyConfig(AppConfig):
    name = "anatomy"

    def ready(self):
        from . import signals  # noqa: F401 (connects the receivers)
