"""The site's main navigation, in one place. Entries whose page does not exist are left out."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse

# (URL name, label)
MAIN_NAVIGATION: list[tuple[str, str]] = [
    ("provider_list", "Find a provider"),
    ("match", "Fit finder"),
    ("guide_list", "Guides"),
    ("modality_list", "Approaches"),
    ("resource_list", "Crisis & support"),
    ("shortlist", "Shortlist"),
]


def main_navigation() -> list[dict[str, str]]:
    links = []
    for name, label in MAIN_NAVIGATION:
        try:
            links.append({"name": name, "label": label, "url": reverse(name)})
        except NoReverseMatch:
            continue
    return links
