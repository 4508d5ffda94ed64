from __future__ import annotations

import datetime
import time

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from directory.generator import Taxonomy, fixture_text, generate
from directory.writing import write_providers

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
        records = generate(count, seed, day, taxonomy)
        if output:
            try:
                with open(output, "w", encoding="utf-8") as handle:
                    handle.write(fixture_text(records, day))
            except OSError as error:
                raise CommandError(f"Cannot write {output}: {error.strerror or error}.") from error
            self.stdout.write(f"Wrote {count} providers to {output}.")
            return
        result = write_providers(records)
        self.stdout.write(f"Created {result.created} and updated {result.updated} providers "
                          f"in {time.monotonic() - started:.1f} s.")
