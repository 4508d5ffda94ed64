from __future__ import annotations

from django.core.management.base import BaseCommand

from directory.roles import setup_roles


class Command(BaseCommand):
    help = "Create (or update) the staff groups: editors, and verifiers who may also mark licenses verified."

    def handle(self, *args, **options) -> None:
        for group, count in setup_roles().items():
            self.stdout.write(f"{group}: {count} permissions")
