"""The full-text search index of cases, for the database in use (catalogue/search.py reads it).

PostgreSQL: a stored, weighted `search_vector` column (title A, summary B, the rest C) with a GIN
index. SQLite: an FTS5 table kept in step with catalogue_case by triggers, filled from the
existing rows. Neither is part of the other database's schema, so each is created only there.

On SQLite, a later migration that rebuilds catalogue_case (some column changes do) drops its
triggers: such a migration must end by making them again, with the body as it is then (0014
widened it: its SQL is the current one).
"""

from django.db import migrations

BODY = (
    "coalesce({p}description, '') || ' ' || coalesce({p}locality, '') || ' ' || "
    "coalesce({p}lead_organisations, '') || ' ' || coalesce({p}outcome_text, '')"
)
POSTGRESQL = [
    f"""
    ALTER TABLE catalogue_case ADD COLUMN IF NOT EXISTS search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english', {BODY.format(p="")}), 'C')
    ) STORED
    """,
    "CREATE INDEX IF NOT EXISTS catalogue_case_search_gin ON catalogue_case USING gin (search_vector)",
]
SQLITE = [
    "CREATE VIRTUAL TABLE IF NOT EXISTS catalogue_case_fts USING fts5("
    "title, summary, body, tokenize='porter unicode61 remove_diacritics 2')",
    "DROP TRIGGER IF EXISTS catalogue_case_fts_ai",
    "DROP TRIGGER IF EXISTS catalogue_case_fts_au",
    "DROP TRIGGER IF EXISTS catalogue_case_fts_ad",
    f"""CREATE TRIGGER catalogue_case_fts_ai AFTER INSERT ON catalogue_case BEGIN
        INSERT INTO catalogue_case_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, {BODY.format(p="new.")});
    END""",
    f"""CREATE TRIGGER catalogue_case_fts_au AFTER UPDATE ON catalogue_case BEGIN
        DELETE FROM catalogue_case_fts WHERE rowid = old.id;
        INSERT INTO catalogue_case_fts(rowid, title, summary, body)
        VALUES (new.id, new.title, new.summary, {BODY.format(p="new.")});
    END""",
    """CREATE TRIGGER catalogue_case_fts_ad AFTER DELETE ON catalogue_case BEGIN
        DELETE FROM catalogue_case_fts WHERE rowid = old.id;
    END""",
    "DELETE FROM catalogue_case_fts",
    f"INSERT INTO catalogue_case_fts(rowid, title, summary, body) "
    f"SELECT id, title, summary, {BODY.format(p='')} FROM catalogue_case",
]


def create(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    for sql in statements or []:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE catalogue_case DROP COLUMN IF EXISTS search_vector")
    elif schema_editor.connection.vendor == "sqlite":
        for trigger in ("ai", "au", "ad"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS catalogue_case_fts_{trigger}")
        schema_editor.execute("DROP TABLE IF EXISTS catalogue_case_fts")


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0007_title_trigram_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
