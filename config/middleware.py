"""Referrer policy per page: nothing leaves with search and fit-finder URLs, forms still post."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

# Pages whose forms POST back to this site. Chromium sends "Origin: null" with a form post from a
# no-referrer page, which Django's CSRF check must refuse; "same-origin" still sends nothing to
# other sites. None of these URLs carries what a person searched for.
FORM_PAGES = {"provider_detail", "provider_report"}
FORM_PATH_PREFIXES = ("/admin/",)


class ReferrerPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if request.path.startswith(FORM_PATH_PREFIXES) or (match and match.url_name in FORM_PAGES):
            response["Referrer-Policy"] = "same-origin"
        return response
