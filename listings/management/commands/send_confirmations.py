from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from listings.confirmations import send_round


class Command(BaseCommand):
    help = (
        "Email each claimed, published provider whose availability was not confirmed in AVAILABILITY_CONFIRM_DAYS "
        "\"Still accepting new clients?\" with three one-click answers. Run it daily: a listing is asked at most "
        "once in that time, and an email the mail server refuses is tried again on the next run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count who would be asked; send and record nothing.")

    def handle(self, *args, dry_run: bool, verbosity: int, **options) -> None:
        result = send_round(dry_run=dry_run)
        if verbosity >= 2:
            for slug in result.sent:
                self.stdout.write(f"{'would ask' if dry_run else 'asked'}: {slug}")
            for slug in result.skipped:
                self.stdout.write(f"skipped: {slug}")
        if dry_run:
            self.stdout.write(f"Dry run: would send {len(result.sent)}, skip {len(result.skipped)}. "
                              "Nothing was sent or recorded.")
            return
        days = settings.AVAILABILITY_CONFIRM_DAYS
        self.stdout.write(f"Sent {len(result.sent)}, skipped {len(result.skipped)} (asked in the last {days} days, "
                          f"or no email address), failed {len(result.failed)}.")
        for slug, error in result.failed.items():
            self.stderr.write(f"Not sent to {slug}: {error}.")
        if result.failed:
            raise CommandError(f"{len(result.failed)} could not be sent; the next run tries them again.")
