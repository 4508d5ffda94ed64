from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from directory import geo


class Command(BaseCommand):
    help = (
        "Make directory/zip_centres.bin, the ZIP code table searches read, from the installed zipcodes package "
        "(run it after upgrading zipcodes); --check only says whether the shipped table is up to date."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--check", action="store_true", help="Compare only; exit non-zero when they differ.")

    def handle(self, *args, check: bool, **options) -> None:
        made = geo.ZipTable.from_package()
        data = made.to_bytes()
        if check:
            if not geo.TABLE_FILE.exists() or geo.TABLE_FILE.read_bytes() != data:
                raise CommandError(f"{geo.TABLE_FILE.name} is out of date: run manage.py build_zip_table.")
            self.stdout.write(f"{geo.TABLE_FILE.name} is up to date ({len(made.codes):,} ZIP codes).")
            return
        geo.TABLE_FILE.write_bytes(data)
        self.stdout.write(f"Wrote {geo.TABLE_FILE} ({len(made.codes):,} ZIP codes, {len(data) / 1024:.0f} KB).")
