from django.apps import AppConfig


class ListingsConfig(AppConfig):
    name = "listings"
    verbose_name = "Provider listings"
    default_auto_field = "django.db.models.BigAutoField"
