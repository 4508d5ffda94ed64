"""Staff edit what the fit finder suggests next, and the notes it shows for a concern or age."""

from __future__ import annotations

from django.contrib import admin

from .models import GuidanceNote, NextStepRule


@admin.register(NextStepRule)
class NextStepRuleAdmin(admin.ModelAdmin):
    list_display = ("__str__", "suggest", "condition", "evidence", "position")
    list_filter = ("condition", "evidence", "age_groups", "after_any_therapy", "after_medication")
    list_editable = ("evidence", "position")
    autocomplete_fields = ("condition", "after", "suggest")
    filter_horizontal = ("age_groups",)
    search_fields = ("why", "suggest__name", "after__name", "condition__name")


@admin.register(GuidanceNote)
class GuidanceNoteAdmin(admin.ModelAdmin):
    list_display = ("__str__", "crisis_first", "position")
    list_filter = ("condition", "age_group", "crisis_first")
    list_editable = ("position",)
    autocomplete_fields = ("condition",)
    search_fields = ("text", "condition__name")
