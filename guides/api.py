"""The JSON API: /api/guides/ (contract section 4)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .filters import GuideFilter
from .models import Guide


def guide_json(guide: Guide) -> dict:
    return {
        "slug": guide.slug,
        "title": guide.title,
        "summary": guide.summary,
        "in_short": guide.in_short,
        "url": guide.get_absolute_url(),
        "topic": guide.topic,
        "reading_minutes": guide.reading_minutes,
        "reviewed_on": guide.reviewed_on.isoformat() if guide.reviewed_on else None,
        "reviewed_by": guide.reviewed_by,
        "conditions": sorted(c.slug for c in guide.conditions.all()),
        "modalities": sorted(m.slug for m in guide.modalities.all()),
    }


@require_GET
def guide_list_api(request: HttpRequest) -> JsonResponse:
    """Published guides matching the filters of /guides/; 400 with the messages for invalid values."""
    filterset = GuideFilter(request.GET, queryset=Guide.objects.published().for_cards())
    if not filterset.is_valid():
        return JsonResponse({"errors": filterset.errors}, status=400)
    guides = list(filterset.qs)
    return JsonResponse({"count": len(guides), "results": [guide_json(g) for g in guides]})
