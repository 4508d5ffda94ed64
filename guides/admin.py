from __future__ import annotations

from dataclasses import dataclass

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from .models import EditorNote, Guide
from .rendering import claim_block, render_body

NOTES_PREFIX = "notes"


class EditorNoteFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        """Each note's claim is quoted from the body as it is being saved, so every note has its place."""
        super().clean()
        for form in self.forms:
            claim = form.cleaned_data.get("claim")
            if not claim or form.cleaned_data.get("DELETE"):
                continue
            if claim_block(self.instance.body, claim) is None:
                form.add_error("claim", "Quote words exactly as they appear in the body.")


class EditorNoteForm(forms.ModelForm):
    class Meta:
        model = EditorNote
        fields = ["claim", "note"]
        widgets = {
            "claim": forms.Textarea(attrs={"rows": 2, "cols": 80}),
            "note": forms.Textarea(attrs={"rows": 3, "cols": 80}),
        }


class EditorNoteInline(admin.StackedInline):
    model = EditorNote
    form = EditorNoteForm
    formset = EditorNoteFormSet
    extra = 0
    verbose_name = "editor's note"
    verbose_name_plural = "editor's notes"


@dataclass
class TypedNote:
    claim: str
    note: str


def typed_notes(data: QueryDict) -> list[TypedNote]:
    """The editor's notes as typed in the change form's inline, without those marked for deletion."""
    total = data.get(f"{NOTES_PREFIX}-TOTAL_FORMS", "0")
    notes = []
    for row in range(min(int(total) if total.isdigit() else 0, 100)):
        claim = data.get(f"{NOTES_PREFIX}-{row}-claim", "").strip()
        note = data.get(f"{NOTES_PREFIX}-{row}-note", "").strip()
        if claim and note and not data.get(f"{NOTES_PREFIX}-{row}-DELETE"):
            notes.append(TypedNote(claim, note))
    return notes


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "published", "reviewed_on", "reading_minutes", "updated"]
    list_filter = ["published", "topic", "reviewed_on", "modalities", "conditions"]
    search_fields = ["title", "summary", "in_short", "body", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["modalities", "conditions"]
    readonly_fields = ["preview", "reading_minutes", "updated"]
    inlines = [EditorNoteInline]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "in_short", "topic", "published"]}),
        ("Body", {
            "fields": ["body", "preview"],
            "description": "The preview shows the page as readers will see it, editor's notes included, "
            "and follows your typing.",
        }),
        ("Review", {"fields": ["reviewed_on", "reviewed_by"]}),
        ("Tags", {"fields": ["modalities", "conditions"]}),
        ("Source", {
            "fields": ["source", "reading_minutes", "updated"],
            "description": "The source is kept for the import only; the public page never shows it.",
        }),
    ]

    class Media:
        css = {"all": ["css/guides.css"]}
        js = ["js/guide-preview.js"]

    @admin.display(description="Preview")
    def preview(self, guide: Guide) -> str:
        # The HTML comes from render_body, which sanitises it with nh3.
        html = guide.rendered.html if guide.pk else ""
        return format_html(
            '<div class="guide-preview guide-body" id="guide-preview" data-preview-url="{}" aria-live="polite">'
            "{}</div>",
            reverse("admin:guides_guide_preview"),
            mark_safe(html),
        )

    def get_urls(self) -> list:
        preview = self.admin_site.admin_view(require_POST(self.preview_view))
        return [path("preview/", preview, name="guides_guide_preview"), *super().get_urls()]

    def preview_view(self, request: HttpRequest) -> HttpResponse:
        """The body and notes typed so far, rendered exactly as the public page renders them."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        rendered = render_body(request.POST.get("body", ""), notes=typed_notes(request.POST))
        return HttpResponse(rendered.html, content_type="text/html; charset=utf-8")
