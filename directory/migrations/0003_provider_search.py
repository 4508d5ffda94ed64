"""Full-text search on PostgreSQL: a stored weighted vector with a GIN index, and trigram indexes on names.

The unaccent extension lets names be found without their accents.

SQLite keeps the (unused) column and gets no index: directory.search falls back to plain matching there.
"""

import django.contrib.postgres.search
from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension
from django.db import migrations

POSTGRES_INDEXES = [
    "CREATE INDEX IF NOT EXISTS provider_search_vector ON directory_provider USING gin (search_vector)",
    "CREATE INDEX IF NOT EXISTS provider_name_trigram ON directory_provider USING gin (name gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS provider_practice_trigram ON directory_provider "
    "USING gin (practice_name gin_trgm_ops)",
]
DROP_POSTGRES_INDEXES = [
    "DROP INDEX IF EXISTS provider_search_vector",
    "DROP INDEX IF EXISTS provider_name_trigram",
    "DROP INDEX IF EXISTS provider_practice_trigram",
]


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in POSTGRES_INDEXES:
        schema_editor.execute(statement)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in DROP_POSTGRES_INDEXES:
        schema_editor.execute(statement)


def fill_vectors(apps, schema_editor):
    from directory.search.text import refresh_search_vectors

    if schema_editor.connection.vendor == "postgresql":
        refresh_search_vectors()


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_nextsteprule"),
    ]

    operations = [
        TrigramExtension(),
        UnaccentExtension(),
        migrations.AddField(
            model_name="provider",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True, serialize=False),
        ),
        migrations.RunPython(create_indexes, drop_indexes),
        migrations.RunPython(fill_vectors, migrations.RunPython.noop),
    ]
