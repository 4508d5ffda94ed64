from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.csv_io import InvalidFile, import_file
from directory.search import text_index
from directory.writing import for_terminal


class Command(BaseCommand):
    help = (
        "Import providers from a CSV file (columns as in the public contract). Rows update the provider with the "
        "same external_id. Any invalid row imports nothing: every problem is listed by line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file, UTF-8, with a header row")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, but write nothing")

    def handle(self, *args, file: str, dry_run: bool, **options) -> None:
        try:
            result = import_file(file, dry_run=dry_run)
        except InvalidFile as error:
            for problem in error.problems:
                self.stderr.write(for_terminal(problem))
            count = len(error.problems)
            raise CommandError(
                f"Nothing was imported: {count} problem{'s' if count != 1 else ''} in {for_terminal(file)}."
            ) from error
        if dry_run:
            self.stdout.write(f"Dry run, nothing written: would create {result.created} and update "
                              f"{result.updated} providers.")
        else:
            self.stdout.write(f"Created {result.created} and updated {result.updated} providers.")
            text_index.rebuild_if_dropped(self.stdout.write)
        for key in result.unverified:
            self.stdout.write(f"License {':'.join(key)} now belongs to another provider, so it is no longer "
                              "verified: a verifier needs to check it again.")
