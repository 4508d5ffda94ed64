"""The fit finder's page and API. Answers arrive as GET parameters and are never stored or logged."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_safe
from django.views.decorators.vary import vary_on_headers

from directory.serializers import provider_json

from .forms import MatchForm
from .matching import MatchResult, find_matches

# Answers are health information: no shared cache may keep the page, and the browser need not either.
private = cache_control(private=True, no_store=True, max_age=0)


@require_safe
@private
@vary_on_headers("HX-Request")
def match(request: HttpRequest) -> HttpResponse:
    form = MatchForm(request.GET if request.GET else None)
    result = find_matches(form.answers()) if form.is_bound and form.is_valid() else None
    if request.htmx and form.is_bound and result is None:
        # Errors belong beside the questions: load the whole page rather than swap in the results.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = request.get_full_path()
        return response
    template = "finder/_match_results.html" if request.htmx and result is not None else "finder/match.html"
    return render(request, template, {"form": form, "result": result})


@require_GET
@private
def api_match(request: HttpRequest) -> JsonResponse:
    form = MatchForm(request.GET)
    if not form.is_valid():
        errors = {field: [e["message"] for e in messages] for field, messages in form.errors.get_json_data().items()}
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse(match_json(find_matches(form.answers())))


def match_json(result: MatchResult) -> dict[str, Any]:
    """The contract's /api/match/ shape; with crisis=true (or a concern that calls for it) the crisis lines come
    first."""
    crisis = [{"name": r.name, "phone": r.phone or None, "url": r.url or None} for r in result.crisis_resources]
    body: dict[str, Any] = {"crisis_resources": crisis} if result.crisis_first else {}
    body["results"] = [
        {**provider_json(m.provider, m.distance_miles), "score": m.score, "reasons": m.reasons, "cautions": m.cautions}
        for m in result.matches
    ]
    body["guides"] = result.guides
    body["suggested_modalities"] = [s.modality.slug for s in result.suggestions]
    body["notes"] = [note.text for note in result.notes]
    body["crisis_resources"] = crisis
    body["relaxations"] = [
        {"param": r.param, "label": r.label, "count": r.count, "url": "/match/?" + r.query}
        for r in result.relaxations
    ]
    return body
