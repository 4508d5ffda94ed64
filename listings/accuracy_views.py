"""The public accuracy page: what the monthly phone checks found, and how fresh the listings are now."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from .accuracy import freshness, published_rounds


def accuracy_report(request: HttpRequest) -> HttpResponse:
    return render(request, "listings/accuracy.html", {"rounds": published_rounds(), "freshness": freshness()})
