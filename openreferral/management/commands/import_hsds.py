from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory.writing import for_terminal
from openreferral.importer import ImportFailed, import_services, read_files


class Command(BaseCommand):
    help = (
        "Read Open Referral HSDS 3.0 services (DIR with services.json, or one JSON file) into providers. "
        "All or nothing; re-importing updates the same providers; lists every field it could not record."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path, metavar="DIR_OR_FILE")
        parser.add_argument("--dry-run", action="store_true", help="Check and report; write nothing.")
        parser.add_argument(
            "--unpublished", action="store_true",
            help="Create new providers unpublished, for staff to review before they appear publicly.",
        )

    def handle(self, *args, path: Path, dry_run: bool, unpublished: bool, **options) -> None:
        try:
            services, organizations = read_files(path)
            report = import_services(services, organizations, publish=not unpublished, dry_run=dry_run)
        except ImportFailed as exc:
            errors = "\n".join(f"  {for_terminal(error)}" for error in exc.errors)
            raise CommandError(f"Nothing was imported:\n{errors}") from exc
        lines = report.lines()
        if dry_run:
            lines[0] = "Dry run, nothing written: would be " + lines[0]
        self.stdout.write("\n".join(for_terminal(line) for line in lines))
