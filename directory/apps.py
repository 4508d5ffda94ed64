from django.apps import AppConfig


class DirectoryConfig(AppConfig):
    name = "directory"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import photos, taxonomy
        from .search import facet_index, text

        photos.connect_signals()
        taxonomy.connect_signals()
        text.connect_signals()
        facet_index.connect_signals()
