"""Error pages that render without the database, so they can always show the crisis line."""

from __future__ import annotations

import sys

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


def _page(template: str, status: int) -> HttpResponse:
    # request=None: no context processor runs, so nothing here touches the database.
    return HttpResponse(render_to_string(template, request=None), status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """A database outage is a 503 ("try again soon"); anything else a 500. Both show 988."""
    if isinstance(sys.exc_info()[1], DatabaseError):
        response = _page("503.html", 503)
        response["Retry-After"] = "30"
        return response
    return _page("500.html", 500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused outright (too many parameters, a bad host): JSON for the API."""
    if request.path.startswith("/api/"):
        return JsonResponse({"errors": {"request": ["The request could not be understood: too many or malformed "
                                                    "parameters."]}}, status=400)
    return _page("400.html", 400)
