"""The directory's public pages for search engines (sitemap.xml): its fixed pages and every published profile.

Django's sitemap framework splits a section into files of 50,000 addresses under one index, as the protocol asks,
so a national directory's million profiles need no more than a query per file.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from .models import Provider


class PageSitemap(Sitemap):
    """The pages that are the same for everyone: home, search, the fit finder's questions, crisis lines."""

    changefreq = "weekly"

    def items(self) -> list[str]:
        return ["home", "provider_list", "match", "resource_list", "accuracy_report"]

    def location(self, item: str) -> str:
        return reverse(item)


class ProviderSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Provider.objects.published().order_by("pk").only("slug", "updated")

    def location(self, provider: Provider) -> str:
        return reverse("provider_detail", args=[provider.slug])

    def lastmod(self, provider: Provider):
        return provider.updated
