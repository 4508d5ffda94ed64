"""Thin function views for the directory's HTML pages."""

from __future__ import annotations

from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from .models import Resource


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "directory/home.html", {"crisis_resources": Resource.objects.crisis()})


def resource_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "directory/resource_list.html",
        {"crisis_resources": Resource.objects.crisis(), "support_resources": Resource.objects.support()},
    )


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """200 "ok" when the app and its database answer, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return HttpResponse("database unavailable", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
