from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser

from openreferral.export import export_directory


class Command(BaseCommand):
    help = (
        "Write the published directory as Open Referral HSDS 3.0 JSON: services.json, organizations.json, "
        "taxonomies.json and taxonomy_terms.json in DIR."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory", type=Path, metavar="DIR")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000",
            help="Where the site is served; service URLs point at the profiles there (default %(default)s).",
        )

    def handle(self, *args, directory: Path, base_url: str, **options) -> None:
        counts = export_directory(directory, base_url)
        for name, count in counts.items():
            self.stdout.write(f"{directory / name}: {count}")
