from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from directory import nppes_file


class Command(BaseCommand):
    help = (
        "Write a made-up NPI registry data file in the real format (330 quoted columns), for measuring "
        "import_nppes: --rows rows of which --kept-share are behavioral-health individuals. A .zip output is "
        "packed as CMS publishes it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--kept-share", type=float, default=0.12,
                            help="share of behavioral-health individuals (default 0.12)")
        parser.add_argument("--deactivated-share", type=float, default=0.02)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--first-serial", type=int, default=0,
                            help="NPIs start from this serial: files made with the same one describe the same NPIs")
        parser.add_argument("--output", required=True, help="FILE.csv or FILE.zip")

    def handle(self, *args, rows: int, kept_share: float, deactivated_share: float, seed: int, first_serial: int,
               output: str, **options) -> None:
        if rows < 0 or not 0 <= kept_share <= 1 or not 0 <= deactivated_share <= 1 - kept_share:
            raise CommandError("--rows is at least 0; the shares are between 0 and 1 and add up to at most 1.")
        started = time.monotonic()
        nppes_file.write(output, nppes_file.mix(rows, kept_share, seed, deactivated_share, first_serial))
        self.stdout.write(f"Wrote {rows:,} rows to {output} in {time.monotonic() - started:.0f} s.")
