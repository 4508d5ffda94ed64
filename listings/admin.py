"""Staff see which listings their providers have claimed."""

from __future__ import annotations

from django.contrib import admin

from .models import ProviderAccount


@admin.register(ProviderAccount)
class ProviderAccountAdmin(admin.ModelAdmin):
    list_display = ("provider", "user", "claimed_at", "availability_confirmed_on")
    search_fields = ("provider__name", "user__email")
    autocomplete_fields = ("provider", "user")
    readonly_fields = ("claimed_at",)
