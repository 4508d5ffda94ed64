from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import facet_index, search, taxonomy  # noqa: F401  (taxonomy connects the signals that refresh its cache)

        search.connect_signals()
        facet_index.connect_signals()
