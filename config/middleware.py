"""Site-wide middleware: the referrer policy per page, the API's JSON answer for a refused method, and the admin's
refusal of query values the database cannot compare."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import Resolver404

from . import errors

# Pages whose forms POST back to this site. Chromium sends "Origin: null" with a form post from a
# no-referrer page, which Django's CSRF check must refuse; "same-origin" still sends nothing to
# other sites. None of these URLs carries what a person searched for (a confirmation link's token
# goes to this site only).
FORM_PAGES = {"provider_detail", "provider_report", "confirm_availability"}
ADMIN_PREFIX = "/admin/"
FORM_PATH_PREFIXES = (ADMIN_PREFIX, "/provider/")


class ReferrerPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        if request.path.startswith(FORM_PATH_PREFIXES) or (match and match.url_name in FORM_PAGES):
            response["Referrer-Policy"] = "same-origin"
        return response


class ApiMethodMiddleware:
    """Under /api/ a refused method (require_GET's 405) answers in the API's JSON, as every other API error does."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (response.status_code == 405 and errors.is_api(request)
                and not response.get("Content-Type", "").startswith("application/json")):
            return errors.method_not_allowed(request, response)
        return response


class AdminQueryMiddleware:
    """The admin's list filters and lookups hand query values to the database as they are, and PostgreSQL refuses
    text holding NUL: such a request is answered 400 with a message instead of failing in the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(ADMIN_PREFIX) and any(
            "\x00" in name or any("\x00" in value for value in values) for name, values in request.GET.lists()
        ):
            return errors.refused_query(request)
        return self.get_response(request)


class NotFoundPageMiddleware:
    """With DEBUG on (the demo, development), a missing page still answers with the site's own 404 page and its
    crisis lines, or the API's JSON, rather than Django's technical page. With DEBUG off, handler404 does this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (settings.DEBUG and response.status_code == 404
                and response.get("Content-Type", "").startswith("text/html")):
            missing = Resolver404() if request.resolver_match is None else Http404()
            return errors.not_found(request, missing)
        return response
