"""Error answers: pages that render without the database, so they can always show the crisis line, and under
/api/ the API's own JSON shape, {"errors": {"<what>": ["<message>"]}}."""

from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.urls import Resolver404
from django.views import csrf, defaults

API_PREFIX = "/api/"
# What an unreachable or failing database raises. Other database errors (a value the database refuses, a
# missing table) are faults to fix, not outages: they answer 500, never "try again shortly".
OUTAGES = (OperationalError, InterfaceError)
RETRY_AFTER_OUTAGE = "30"
NO_FILES = "This site does not accept files. Please describe the problem in words instead."
TOO_LARGE = "What was sent is too large. Please send less, as plain text."


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(name: str, message: str, status: int) -> JsonResponse:
    return JsonResponse({"errors": {name: [message]}}, status=status)


def _page(template: str, status: int, context: dict | None = None) -> HttpResponse:
    # request=None: no context processor runs, so nothing here touches the database.
    return HttpResponse(render_to_string(template, context, request=None), status=status)


def server_error(request: HttpRequest) -> HttpResponse:
    """A database outage is a 503 ("try again soon"); anything else a 500. Both show 988."""
    if isinstance(sys.exc_info()[1], OUTAGES):
        if is_api(request):
            response = api_error("database", "The directory is unavailable; try again shortly.", 503)
        else:
            response = _page("503.html", 503)
        response["Retry-After"] = RETRY_AFTER_OUTAGE
        return response
    if is_api(request):
        return api_error("server", "Something went wrong on our side; try again shortly.", 500)
    return _page("500.html", 500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """A request Django refused outright (a file, too large a body, too many parameters, a bad host)."""
    status, message = 400, None
    if isinstance(exception, TooManyFilesSent):
        message = NO_FILES
    elif isinstance(exception, RequestDataTooBig):
        status, message = 413, TOO_LARGE
    if is_api(request):
        return api_error("request", message or "The request could not be understood: too many or malformed "
                                               "parameters.", status)
    return _page("400.html", status, {"message": message})


def refused_query(request: HttpRequest) -> HttpResponse:
    message = ("A search or filter value held a NUL character (%00), which cannot be searched for. Remove it from "
               "the address and try again.")
    return _page("400.html", 400, {"message": message})


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if is_api(request):
        message = "No API endpoint here." if isinstance(exception, Resolver404) else "Nothing was found here."
        return api_error("path", message, 404)
    return defaults.page_not_found(request, exception)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Django's page for a form sent without its security token; JSON under /api/, which only answers GET."""
    if is_api(request):
        return api_error("csrf", "The request was refused: it did not carry this site's CSRF token. The API "
                                 "answers GET requests.", 403)
    return csrf.csrf_failure(request, reason)


def method_not_allowed(request: HttpRequest, response: HttpResponse) -> JsonResponse:
    """The API's answer for a refused method, with the Allow header of the view's own 405."""
    allowed = [method.strip() for method in response.get("Allow", "").split(",") if method.strip()]
    message = f"Use {' or '.join(allowed)}." if allowed else "This method is not allowed here."
    json = api_error("method", message, 405)
    json["Allow"] = response.get("Allow", "")
    return json
