"""The guide pages and the pages on each approach and concern, for sitemap.xml."""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from directory.models import Condition, Modality

from .models import Guide


class GuideSitemap(Sitemap):
    changefreq = "monthly"

    def items(self) -> list[object]:
        return ["guide_list", "modality_list", *Guide.objects.published().order_by("slug"),
                *Modality.objects.order_by("slug"), *Condition.objects.order_by("slug")]

    def location(self, item: object) -> str:
        if isinstance(item, str):
            return reverse(item)
        name = {Guide: "guide_detail", Modality: "modality_detail", Condition: "condition_detail"}[type(item)]
        return reverse(name, args=[item.slug])
