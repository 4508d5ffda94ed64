from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from guides.edits import EDITS_FILE, EditError, load_edits
from guides.glossary import Glossary
from guides.importer import fixture_json, read_documents, save_guides


class Command(BaseCommand):
    help = (
        "Import plain-text documents as guides (re-importing a document updates its guide), applying the "
        "editors' edits (guides/edits.toml). Nothing is imported if any document is refused or any edit no "
        "longer applies. --output also writes the guides as a fixture."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="Plain-text documents (UTF-8).")
        parser.add_argument("--output", type=Path, help="Write the imported guides here as a loaddata fixture.")
        parser.add_argument(
            "--edits", type=Path, default=EDITS_FILE, help=f"The edit file to apply (default: {EDITS_FILE.name})."
        )

    def handle(self, *args, paths: list[Path], output: Path | None, edits: Path, **options) -> None:
        try:
            edit_file = load_edits(edits)
        except EditError as error:
            raise CommandError(f"Nothing was imported: {error}") from error
        documents, errors = read_documents(paths, Glossary.from_taxonomy(), edit_file)
        if errors:
            raise CommandError("Nothing was imported:\n" + "\n".join(f"  {error}" for error in errors))
        guides = save_guides(documents)
        if output:
            output.write_text(fixture_json(guides), encoding="utf-8")
        if options["verbosity"] >= 1:
            for guide in guides:
                self.stdout.write(f"{guide.slug}: {guide.title} ({guide.source})")
            if output:
                self.stdout.write(f"Wrote {len(guides)} guides to {output}")
            self.stdout.write(self.style.SUCCESS(f"Imported {len(guides)} guides."))
