"""A trigram index on case titles, for finding possible duplicates on PostgreSQL.

PostgreSQL only: SQLite finds candidates through its full-text index instead (catalogue/search.py).
pg_trgm is a trusted extension: the database's owner may create it.
"""

from django.db import migrations


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS catalogue_case_title_trgm "
        "ON catalogue_case USING gin (title gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS catalogue_case_title_trgm")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0006_tracking_nonce")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
