"""Thin function views: guides, and the pages that explain each approach (modality) and concern (condition)."""

from __future__ import annotations

from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import urlencode

from directory.models import Condition, Modality, Office, Provider, ProviderQuerySet

from .filters import GuideFilter
from .models import Guide, Topic

PROVIDERS_PER_PAGE = 6
RELATED_GUIDES = 3


def provider_search_url(**params: list[str]) -> str:
    """/providers/ with the given filters, e.g. modality=["cbt", "tms"]."""
    query = urlencode({key: values for key, values in params.items() if values}, doseq=True)
    return reverse("provider_list") + (f"?{query}" if query else "")


def _providers_for_cards(providers: ProviderQuerySet) -> ProviderQuerySet:
    return providers.order_by("name", "id").prefetch_related(
        Prefetch("offices", queryset=Office.objects.only("provider_id", "city", "jurisdiction"))
    )[:PROVIDERS_PER_PAGE]


def guide_list(request: HttpRequest) -> HttpResponse:
    filterset = GuideFilter(request.GET, queryset=Guide.objects.published().for_cards())
    template = "guides/_guide_results.html" if request.htmx else "guides/guide_list.html"
    response = render(request, template, {"filterset": filterset, "guides": filterset.qs, "topics": Topic.choices})
    patch_vary_headers(response, ["HX-Request"])
    return response


def guide_detail(request: HttpRequest, slug: str) -> HttpResponse:
    guide = get_object_or_404(Guide.objects.published().for_cards().prefetch_related("notes"), slug=slug)
    modalities = list(guide.modalities.all())
    conditions = list(guide.conditions.all())
    providers_url = provider_search_url(
        modality=[m.slug for m in modalities], condition=[] if modalities else [c.slug for c in conditions]
    )
    return render(request, "guides/guide_detail.html", {
        "guide": guide,
        "rendered": guide.rendered,
        "show_summary": not guide.opens_with_summary(),
        "modalities": modalities,
        "conditions": conditions,
        "providers_url": providers_url,
        "related": Guide.objects.published().related_to(guide)[:RELATED_GUIDES],
    })


def modality_list(request: HttpRequest) -> HttpResponse:
    modalities = list(Modality.objects.all())
    groups = [
        (label, [m for m in modalities if m.category == value]) for value, label in Modality.Category.choices
    ]
    return render(request, "guides/modality_list.html", {"groups": [(label, ms) for label, ms in groups if ms]})


def modality_detail(request: HttpRequest, slug: str) -> HttpResponse:
    modality = get_object_or_404(Modality, slug=slug)
    return render(request, "guides/modality_detail.html", {
        "term": modality,
        "kind": "approach",
        "guides": Guide.objects.published().for_cards().using_modality([slug]),
        "providers": _providers_for_cards(Provider.objects.published().offering([slug])),
        "providers_url": provider_search_url(modality=[slug]),
    })


def condition_detail(request: HttpRequest, slug: str) -> HttpResponse:
    condition = get_object_or_404(Condition.objects.select_related("broader"), slug=slug)
    return render(request, "guides/condition_detail.html", {
        "term": condition,
        "kind": "concern",
        "guides": Guide.objects.published().for_cards().about_condition([slug]),
        "providers": _providers_for_cards(Provider.objects.published().specializing_in([slug])),
        "providers_url": provider_search_url(condition=[slug]),
    })
