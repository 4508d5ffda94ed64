"""The shortlist page: the providers a person saved, side by side, with a first message for each."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from directory.models import Provider
from directory.search.text import clean_query
from finder.views import private

from .outreach import BLANKS, MAX_PROVIDERS, REPLY_DAYS, chosen_slugs, next_three, outreach, query_with, shortlisted

FOUND_BY_NAME = 10


@require_safe
@private
def shortlist(request: HttpRequest) -> HttpResponse:
    asked = request.GET.getlist("p")
    slugs, left_over = chosen_slugs(asked)
    providers = shortlisted(slugs)
    listed = [p.slug for p in providers]
    find = clean_query(request.GET.get("find"))
    found = []
    if find:
        found = [(p, query_with(listed, add=p.slug)) for p in
                 Provider.objects.published().filter(name__icontains=find).exclude(slug__in=listed)
                 .order_by("name", "pk").for_cards()[:FOUND_BY_NAME]]
    return render(request, "shortlist/shortlist.html", {
        "entries": [(outreach(p), query_with(listed, remove=p.slug)) for p in providers],
        "listed": listed,
        "gone": len(set(slugs) - set(listed)),
        "left_over": left_over,
        "max_providers": MAX_PROVIDERS,
        "next_three": [(p, query_with(listed, add=p.slug)) for p in next_three(providers)],
        "reply_days": REPLY_DAYS,
        "blanks": BLANKS,
        "find": find,
        "found": found,
        "full": len(listed) >= MAX_PROVIDERS,
    })
