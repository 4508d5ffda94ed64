"""The JSON API: /api/providers/ (contract section 4)."""

from __future__ import annotations

from django.core.paginator import InvalidPage
from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .models import Provider
from .search.filters import ProviderFilter
from .search.results import SearchResults
from .serializers import provider_json


@require_GET
def api_provider_list(request: HttpRequest) -> JsonResponse:
    """The search of /providers/ as JSON: 400 with the messages for invalid values, 404 past the last page."""
    filterset = ProviderFilter(request.GET, queryset=Provider.objects.published())
    if not filterset.is_valid():
        return JsonResponse({"errors": filterset.errors}, status=400)
    results = SearchResults(filterset)
    try:
        page = results.page()
    except InvalidPage:
        return JsonResponse({"errors": {"page": ["There is no such page of results."]}}, status=404)
    return JsonResponse({
        "count": page.paginator.count,
        "page": page.number,
        "pages": page.paginator.num_pages,
        "next": page_url(request, results, page.next_page_number()) if page.has_next() else None,
        "previous": page_url(request, results, page.previous_page_number()) if page.has_previous() else None,
        "results": [provider_json(provider) for provider in page],
    })


def page_url(request: HttpRequest, results: SearchResults, number: int) -> str:
    return f"{request.path}?{results.query_for_page(number)}"
