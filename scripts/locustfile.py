"""The load test's visitors: the bench command's searches, profiles and fit-finder requests.

Each request has a fixed name, so locust's tables and messages never show a query string (search and
fit-finder URLs carry health information, even made-up ones). Run by scripts/loadtest.
"""

from __future__ import annotations

import random
import sys

from locust import HttpUser, between, events, task

SEARCH = "state=CA&modality=cbt&max_fee=100"
NEAR = "zip=90012&radius=25&sort=distance"
TEXT = "q=anxiety+therapy"
MATCH = "concern=depression&tried=cbt&tried=medication-management&state=CA&budget=120&language=es&format=individual"
# Profile slugs come from the first search pages; until then this list holds the pages to visit.
PAGES = [
    ("search, no filter", "/providers/"),
    ("search, state + modality + max_fee", f"/providers/?{SEARCH}"),
    ("search, zip + radius by distance", f"/providers/?{NEAR}"),
    ("search, full text q", f"/providers/?{TEXT}"),
    ("search, page 50", "/providers/?page=50"),
    ("fit finder", f"/match/?{MATCH}"),
    ("API search, state + modality + max_fee", f"/api/providers/?{SEARCH}"),
    ("API fit finder", f"/api/match/?{MATCH}"),
]


class Visitor(HttpUser):
    wait_time = between(0.5, 1.5)
    profiles: list[str] = []

    @task(8)
    def search(self) -> None:
        name, path = random.choice(PAGES)
        self.client.get(path, name=name)

    @task(2)
    def profile(self) -> None:
        if not Visitor.profiles:
            with self.client.get("/api/providers/?page_size=100", name="API search, 100 per page",
                                 catch_response=True) as response:
                try:
                    Visitor.profiles = [result["url"] for result in response.json()["results"]]
                except (ValueError, KeyError, TypeError):
                    response.failure("the API search did not answer with results")
                    return
        if Visitor.profiles:
            self.client.get(random.choice(Visitor.profiles), name="profile")


@events.quitting.add_listener
def summary(environment, **kwargs) -> None:
    total = environment.stats.total
    seconds = max(total.last_request_timestamp - total.start_time, 1e-9) if total.num_requests else 1.0
    print(
        f"\nload test: {total.num_requests} requests, {total.num_requests / seconds:.1f} requests/s, "
        f"{total.num_failures} errors, p50 {total.get_response_time_percentile(0.5):.0f} ms, "
        f"p95 {total.get_response_time_percentile(0.95):.0f} ms",
        file=sys.stderr,
    )
    environment.process_exit_code = 1 if total.num_failures else 0
