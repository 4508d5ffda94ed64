"""Build and publish the facet index (at deploy and nightly), or print its figures at this database's size."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from directory.models import Provider
from directory.search import facet_index, index_bench


class Command(BaseCommand):
    help = (
        "publish: build the facet index and publish it for every process (Redis and/or FACET_INDEX_PATH), and prune "
        "the change log; run it when deploying and nightly. bench: print the index's figures (build, a new "
        "worker's first search, a search right after an edit, memory), with the machine's load."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["publish", "bench"])
        parser.add_argument("--runs", type=int, default=10, help="bench: timed runs of each repeated figure")
        parser.add_argument("--compare-with", metavar="DIR",
                            help="bench: a checkout of the code before, whose new worker is timed beside")

    def handle(self, *args, action: str, runs: int, compare_with: str | None, **options) -> None:
        if action == "publish":
            start = time.perf_counter()
            _, index = facet_index.publish()
            self.stdout.write(f"Published the facet index of {len(index.published):,} published providers in "
                              f"{time.perf_counter() - start:.1f} s.")
            return
        if runs < 1:
            raise CommandError("--runs must be at least 1.")
        if not Provider.objects.published().exists():
            raise CommandError("No published providers: run generate_providers first.")
        for line in index_bench.report(compare_with, runs):
            self.stdout.write(line)
            self.stdout.flush()
