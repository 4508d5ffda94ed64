from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from directory.generator import Generator, Taxonomy, fixture_text, generate
from directory.search import text_index
from directory.writing import read_ahead, write_providers

# Providers drawn and written together: a batch's rows, links and search vectors in a few statements.
WRITE_BATCH = 10_000
# From this many, the load sets the costliest checks and indexes aside until its end (write_providers(large=True)).
LARGE_LOAD = 100_000

MAX_COUNT = 1_000_000


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"--today {value!r} is not a date written YYYY-MM-DD.") from error


class Command(BaseCommand):
    help = (
        "Generate realistic, clearly fictional providers (555-01xx phone numbers, example.org addresses). "
        "The same --seed and --today give the same providers. Writes them to the database, or with --output "
        "to a fixture file for loaddata."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--count", type=int, required=True, help=f"how many providers, 1 to {MAX_COUNT:,}")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same providers")
        parser.add_argument("--output", help="write a JSON fixture to this file instead of the database")
        parser.add_argument("--today", help="YYYY-MM-DD the generated dates count back from (default: today)")

    def handle(self, *args, count: int, seed: int, output: str | None, today: str | None, **options) -> None:
        if not 1 <= count <= MAX_COUNT:
            raise CommandError(f"--count must be 1 to {MAX_COUNT:,}.")
        day = _day(today) if today else timezone.localdate()
        taxonomy = Taxonomy.load()
        if taxonomy.is_empty():
            raise CommandError("The taxonomy is empty: run `manage.py loaddata taxonomy` first.")
        started = time.monotonic()
        if output:
            records = generate(count, seed, day, taxonomy)
            try:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(fixture_text(records, day))
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror or error}.") from error
            self.stdout.write(f"Wrote {count} providers to {output}.")
            return
        generator = Generator(taxonomy, seed, day)
        # Drawn and written a batch at a time, in one transaction: a million records never sit in memory.
        batch = min(count, WRITE_BATCH)

        def progress(written: int) -> None:
            if written < count:  # the revised records that may follow are not counted as progress
                rate = written / max(time.monotonic() - started, 1e-9)
                self.stdout.write(f"  {written:,} of {count:,} providers written, {rate:,.0f} a second, "
                                  f"about {(count - written) / rate:,.0f} s to go")

        result = write_providers(read_ahead(generator.stream(count, batch), batch), batch_size=batch,
                                 progress=progress if count > batch else None, large=count >= LARGE_LOAD)
        took = time.monotonic() - started
        created, updated = result.created, result.updated - generator.revised
        self.stdout.write(f"Created {created} and updated {updated} providers in {took:.1f} s "
                          f"({count / max(took, 1e-9):,.0f} providers a second; {time.process_time():.0f} s of "
                          f"processor time in this process).")
        text_index.rebuild_if_dropped(self.stdout.write)
