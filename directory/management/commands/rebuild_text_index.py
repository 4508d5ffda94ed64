from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from directory.search import text, text_index


class Command(BaseCommand):
    help = (
        "Build the free-text index again from every provider's stored search text (PostgreSQL): after a bulk "
        "import, or when the log says the index is missing, out of date or unreadable. Searches go on meanwhile."
    )

    def handle(self, *args, **options) -> None:
        if not text.uses_postgres():
            self.stdout.write("Nothing to build: the free-text index is for PostgreSQL (SQLite searches in SQL).")
            return
        started = time.monotonic()
        count = text_index.rebuild()
        self.stdout.write(f"Indexed the search text of {count:,} providers in {time.monotonic() - started:.1f} s.")
