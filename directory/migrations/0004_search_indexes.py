"""Indexes for searching 100,000 providers: the published name order, and term -> providers links."""

from __future__ import annotations

from django.db import migrations, models

# (link table, term column): "which providers offer this approach?" reads (term, provider) from the
# index alone, for the facet counts and the filters. The unique (provider, term) index serves the other way.
LINKS = [
    ("directory_provider_modalities", "modality_id"),
    ("directory_provider_conditions", "condition_id"),
    ("directory_provider_formats", "sessionformat_id"),
    ("directory_provider_age_groups", "agegroup_id"),
    ("directory_provider_languages", "language_id"),
    ("directory_provider_insurance", "insuranceplan_id"),
]


def _index(table: str) -> str:
    return f"{table.removeprefix('directory_')}_term_first"


class Migration(migrations.Migration):
    dependencies = [("directory", "0003_provider_search")]

    operations = [
        migrations.AddIndex(
            model_name="provider",
            index=models.Index(
                condition=models.Q(published=True), fields=["name", "id"], name="provider_published_by_name"
            ),
        ),
        *[
            migrations.RunSQL(
                f'CREATE INDEX IF NOT EXISTS "{_index(table)}" ON "{table}" ("{column}", "provider_id")',
                f'DROP INDEX IF EXISTS "{_index(table)}"',
            )
            for table, column in LINKS
        ],
    ]
