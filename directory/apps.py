from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import taxonomy
        from .search import facet_index, text

        taxonomy.connect_signals()
        text.connect_signals()
        facet_index.connect_signals()
