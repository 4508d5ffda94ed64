from django.apps import AppConfig


class FinderConfig(AppConfig):
    name = "finder"
    verbose_name = "Fit finder"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import recommendations

        recommendations.connect_signals()
