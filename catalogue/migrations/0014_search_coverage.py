"""The search index covers what people cite too: the names of a case's service areas and
co-producers and its sources' citations (`related_text`, kept by catalogue/services.py), and its
lessons, as part of the body (below the title and the summary).

PostgreSQL: the generated `search_vector` column is made again with the wider body (the word list
of 0013 depends on it, so it is made again too). SQLite: adding the column rebuilds
catalogue_case, which drops the full-text triggers; they are made again with the wider body and
the index is filled anew.
"""

from django.db import migrations, models

BODY = (
    "coalesce({p}description, '') || ' ' || coalesce({p}locality, '') || ' ' || "
    "coalesce({p}lead_organisations, '') || ' ' || coalesce({p}outcome_text, '') || ' ' || "
    "coalesce({p}lessons, '') || ' ' || coalesce({p}related_text, '')"
)


def _related(aggregate):
    """SQL filling related_text from the terms and sources, with the vendor's string aggregate."""
    part = "coalesce((SELECT {agg} FROM {source} WHERE {where}), '')"
    parts = [
        part.format(
            agg=aggregate.format("t.name"),
            source=f"catalogue_case_{link} l JOIN catalogue_{term} t ON t.id = l.{term}_id",
            where="l.case_id = catalogue_case.id",
        )
        for link, term in (("service_areas", "servicearea"), ("co_producers", "coproducer"))
    ]
    parts.append(
        part.format(
            agg=aggregate.format("s.citation"),
            source="catalogue_source s",
            where="s.case_id = catalogue_case.id",
        )
    )
    return "UPDATE catalogue_case SET related_text = " + " || ' ' || ".join(parts)


POSTGRESQL = [
    _related("string_agg({}, ' ')"),
    "DROP MATERIALIZED VIEW IF EXISTS catalogue_search_words",
    "ALTER TABLE catalogue_case DROP COLUMN IF EXISTS search_vector",
    f"""
    ALTER TABLE catalogue_case ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('english', {BODY.format(p="")}), 'C')
    ) STORED
    """,
    "CREATE INDEX IF NOT EXISTS catalogue_case_search_gin ON catalogue_case USING gin (search_vector)",
    """CREATE MATERIALIZED VIEW catalogue_search_words AS
    SELECT word, ndoc FROM ts_stat(
        'SELECT search_vector FROM catalogue_case WHERE status = ''published'''
    )""",
    "CREATE UNIQUE INDEX catalogue_search_words_word ON catalogue_search_words (word)",
    "CREATE INDEX catalogue_search_words_trgm ON catalogue_search_words USING gin (word gin_trgm_ops)",
]
SQLITE = [
    _related("group_concat({}, ' ')"),
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


def widen(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    for sql in statements or []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0013_search_words")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="related_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="related_text",
            field=models.TextField(blank=True, editable=False),
        ),
        migrations.RunPython(widen, migrations.RunPython.noop, elidable=False),
    ]
