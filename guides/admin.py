from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from .models import Guide
from .rendering import render_body


@admin.register(Guide)
class GuideAdmin(admin.ModelAdmin):
    list_display = ["title", "topic", "published", "reading_minutes", "updated"]
    list_filter = ["published", "topic", "modalities", "conditions"]
    search_fields = ["title", "summary", "body", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    filter_horizontal = ["modalities", "conditions"]
    readonly_fields = ["preview", "reading_minutes", "updated"]
    fieldsets = [
        (None, {"fields": ["title", "slug", "summary", "topic", "published"]}),
        ("Body", {
            "fields": ["body", "preview"],
            "description": "The preview shows the page as readers will see it, and follows your typing.",
        }),
        ("Tags", {"fields": ["modalities", "conditions"]}),
        ("Source", {"fields": ["source", "reading_minutes", "updated"]}),
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
        """The body typed so far, rendered exactly as the public page renders it."""
        if not (self.has_change_permission(request) or self.has_add_permission(request)):
            raise PermissionDenied
        return HttpResponse(render_body(request.POST.get("body", "")).html, content_type="text/html; charset=utf-8")
