from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.csv_io import export_file, providers_without_external_id


class Command(BaseCommand):
    help = "Export every provider, published or not, to a CSV file that import_providers reads back unchanged."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV file to write (UTF-8)")

    def handle(self, *args, file: str, **options) -> None:
        try:
            count = export_file(file)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror or error}.") from error
        self.stdout.write(f"Exported {count} providers to {file}.")
        missing = providers_without_external_id()
        if missing:
            self.stderr.write(f"{missing} of them have no external ID; give them one in the admin before "
                              "importing this file, which needs an external_id in every row.")
