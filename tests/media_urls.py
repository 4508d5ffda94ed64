"""The site's URLs, and uploaded photos served from MEDIA_ROOT: for browser tests, which run with DEBUG off (where
config.urls leaves media to the proxy or the bucket)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.urls import re_path
from django.views.static import serve

from config.urls import handler400, handler404, handler500
from config.urls import urlpatterns as site_urlpatterns


def media(request: HttpRequest, path: str) -> HttpResponse:
    # MEDIA_ROOT read per request: each test uploads to a folder of its own.
    return serve(request, path, document_root=settings.MEDIA_ROOT)


urlpatterns = [*site_urlpatterns, re_path(r"^media/(?P<path>.+)$", media)]

__all__ = ["handler400", "handler404", "handler500", "urlpatterns"]
