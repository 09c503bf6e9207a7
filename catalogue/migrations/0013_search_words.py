"""The words the search index holds, for forgiving typos (catalogue/search.py, `corrected`).

SQLite: an fts5vocab table over the full-text index (its terms as the index stores them, stemmed),
always current. PostgreSQL: a materialised view of the published cases' lexemes (ts_stat) with a
trigram index (pg_trgm, from 0007), refreshed after imports and by the scheduled
`refresh_search_words` (docs/deployment.md). A later migration that rebuilds the search_vector
column must drop the view first and create it again after.
"""

from django.db import migrations

POSTGRESQL = [
    """CREATE MATERIALIZED VIEW IF NOT EXISTS catalogue_search_words AS
    SELECT word, ndoc FROM ts_stat(
        'SELECT search_vector FROM catalogue_case WHERE status = ''published'''
    )""",
    "CREATE UNIQUE INDEX IF NOT EXISTS catalogue_search_words_word ON catalogue_search_words (word)",
    "CREATE INDEX IF NOT EXISTS catalogue_search_words_trgm "
    "ON catalogue_search_words USING gin (word gin_trgm_ops)",
]
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalogue_case_fts_vocab "
    "USING fts5vocab(catalogue_case_fts, 'row')",
]


def create(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    for sql in statements or []:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP MATERIALIZED VIEW IF EXISTS catalogue_search_words")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TABLE IF EXISTS catalogue_case_fts_vocab")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0012_thesaurus")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
