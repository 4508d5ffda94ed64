"""Staff edit what the fit finder suggests next."""

from __future__ import annotations

from django.contrib import admin

from .models import NextStepRule


@admin.register(NextStepRule)
class NextStepRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "suggest", "condition", "position")
    list_filter = ("condition", "after_any_therapy", "after_medication")
    list_editable = ("position",)
    autocomplete_fields = ("condition", "after", "suggest")
    search_fields = ("why", "suggest__name", "after__name", "condition__name")
