from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.registry import InvalidFile, Summary, import_registry
from directory.search import text_index
from directory.writing import for_terminal


def duration(seconds: float | None) -> str:
    return "?" if seconds is None else str(datetime.timedelta(seconds=round(seconds)))


class Command(BaseCommand):
    help = (
        "Import the NPI registry (NPPES) monthly full file or a weekly update, as the ZIP downloaded from "
        "https://download.cms.gov/nppes/NPI_Files.html or the CSV inside it. Behavioral-health individuals become "
        "basic listings (unpublished unless --publish), updated in place on the next run; a deactivated NPI "
        "unpublishes its listing. Bad rows are reported by line and skipped; anything else failing imports nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the NPPES ZIP or its data CSV")
        parser.add_argument("--publish", action="store_true", help="publish the new listings at once")
        parser.add_argument("--dry-run", action="store_true", help="read and check everything, write nothing")

    def handle(self, *args, file: str, publish: bool, dry_run: bool, **options) -> None:
        try:
            summary = import_registry(file, publish=publish, dry_run=dry_run, report=self.problem,
                                      progress=self.progress)
        except InvalidFile as error:
            raise CommandError(for_terminal(str(error))) from error
        self.progress(summary)
        would = "Dry run, nothing written: would have " if dry_run else ""
        self.stdout.write(
            f"{would}created {summary.created:,}, updated {summary.updated:,} and "
            f"unpublished {summary.unpublished:,} listings; skipped {summary.skipped:,} bad rows. Read "
            f"{summary.read:,} rows ({summary.kept:,} for this directory, {summary.organizations:,} "
            f"behavioral-health organizations skipped, {summary.unknown_deactivated:,} deactivated NPIs not listed "
            f"here) in {duration(summary.seconds)}."
        )
        if not dry_run:
            text_index.rebuild_if_dropped(self.stdout.write)

    def problem(self, text: str) -> None:
        self.stderr.write(for_terminal(text))

    def progress(self, summary: Summary) -> None:
        self.stderr.write(
            f"{summary.read:,} rows read, {summary.kept:,} kept, {summary.created:,} created, {summary.updated:,} "
            f"updated, {summary.rows_per_second:,.0f} rows/s, {100 * summary.position / max(summary.size, 1):.0f}% "
            f"of the file, ETA {duration(summary.eta_seconds)}"
        )
