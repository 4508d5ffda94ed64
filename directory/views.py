"""Thin function views for the directory's HTML pages."""

from __future__ import annotations

from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import InvalidPage
from django.db import DatabaseError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from config.cache import cache_status

from .forms import ReportForm
from .limits import Refusal, report_refusal
from .models import Provider, Resource
from .search.filters import ProviderFilter
from .search.results import SearchResults
from .serializers import json_ld_script, provider_json_ld

REPORT_TAG = "report"  # a message the profile shows beside the report form, not at the top
REPORT_THANKS = "Thank you. Our staff will check this listing."


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home.html", {"crisis_resources": Resource.objects.crisis()})


def resource_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/resource_list.html",
        {"crisis_resources": Resource.objects.crisis(), "support_resources": Resource.objects.support()},
    )


def provider_list(request: HttpRequest) -> HttpResponse:
    """The search page; an htmx request gets the results alone (with the counts and messages it updates)."""
    # Invalid values are shown beside their fields; the results apply the valid ones.
    filterset = ProviderFilter(request.GET, queryset=Provider.objects.published())
    results = SearchResults(filterset)
    try:
        page = results.page()
    except InvalidPage:
        raise Http404("There is no such page of results.") from None
    partial = request.htmx and not request.htmx.history_restore_request
    template = "directory/_results.html" if partial else "directory/provider_list.html"
    context = {"filterset": filterset, "results": results, "page": page, "pagination": results.page_links(page),
               "partial": partial}
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def provider_detail(request: HttpRequest, slug: str) -> HttpResponse:
    provider = get_object_or_404(Provider.objects.published().for_profile(), slug=slug)
    return render_profile(request, provider, ReportForm())


@require_POST
def provider_report(request: HttpRequest, slug: str) -> HttpResponse:
    """Store a report about a listing and flag the provider for re-verification."""
    provider = get_object_or_404(Provider.objects.published().for_profile(), slug=slug)
    form = ReportForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_profile(request, provider, form, status=400)
    refusal = report_refusal(request, provider)
    if refusal is not None:
        return report_refused(request, provider, refusal)
    form.save_for(provider)
    # Tagged so that the profile shows it beside the form, where the person is (and moves focus there).
    messages.success(request, REPORT_THANKS, extra_tags=REPORT_TAG)
    return redirect(provider.get_absolute_url())


def report_refused(request: HttpRequest, provider: Provider, refusal: Refusal) -> HttpResponse:
    """429: what happened and when to try again; an htmx request gets the part that takes the form's place."""
    template = "directory/_report_limited.html" if request.htmx else "directory/report_limited.html"
    response = render(request, template, {"provider": provider, "refusal": refusal, "partial": bool(request.htmx)},
                      status=429)
    response["Retry-After"] = str(refusal.retry_after)
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_profile(
    request: HttpRequest, provider: Provider, report_form: ReportForm, status: int = 200
) -> HttpResponse:
    notices = list(messages.get_messages(request))
    context = {
        "provider": provider,
        "json_ld": json_ld_script(provider_json_ld(provider)),
        "report_form": report_form,
        "report_notices": [notice for notice in notices if REPORT_TAG in notice.tags.split()],
        "other_notices": [notice for notice in notices if REPORT_TAG not in notice.tags.split()],
    }
    return render(request, "directory/provider_detail.html", context, status=status)


# Search engines may read the public pages; never a search, fit-finder or shortlist address (what a person asked
# for or chose), the API, the admin, a provider's own pages or a report form.
ROBOTS_DISALLOW = ("/admin/", "/api/", "/providers/?", "/match/?", "/shortlist/", "/provider/", "/listings/",
                   "/providers/*/report/")


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    lines = ["User-agent: *", *(f"Disallow: {path}" for path in ROBOTS_DISALLOW), "",
             f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}"]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever a page links: the icon is a static file."""
    return redirect(static("favicon.ico"), permanent=True)


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 while the database answers ("degraded" when the cache does not: pages still work), else 503."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        database = "ok"
    except DatabaseError:
        database = "unreachable"
    cache_state = cache_status(cache)
    if database != "ok":
        return JsonResponse({"status": "unavailable", "database": database, "cache": cache_state}, status=503)
    status = "degraded" if cache_state == "unreachable" else "ok"
    return JsonResponse({"status": status, "database": database, "cache": cache_state})
