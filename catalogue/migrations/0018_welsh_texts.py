"""Case texts in Welsh (title, summary, description, outcome statements), and the language a
submission was made in.

The search index takes the Welsh texts too. PostgreSQL: the generated `search_vector` is made
again with the Welsh title (weight A), summary (B) and description (C) under the `simple`
configuration (no English stemming or stop words for Welsh words); the English texts keep the
`english` configuration, and search looks a query up under both (search.py). The word list of
0013 depends on the column, so it is made again too. Welsh outcome statements reach the index
through `outcome_text` (services.py). SQLite: the FTS5 table's title, summary and body take the
Welsh texts beside the English ones; adding the columns rebuilt catalogue_case and so dropped the
triggers, which are made again, and the index is filled anew.
"""

from django.db import migrations, models

BODY = (
    "coalesce({p}description, '') || ' ' || coalesce({p}locality, '') || ' ' || "
    "coalesce({p}lead_organisations, '') || ' ' || coalesce({p}outcome_text, '') || ' ' || "
    "coalesce({p}lessons, '') || ' ' || coalesce({p}related_text, '')"
)
POSTGRESQL = [
    "DROP MATERIALIZED VIEW IF EXISTS catalogue_search_words",
    "ALTER TABLE catalogue_case DROP COLUMN IF EXISTS search_vector",
    f"""
    ALTER TABLE catalogue_case ADD COLUMN search_vector tsvector
    GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(title, '')), 'A') ||
        setweight(to_tsvector('simple', coalesce(title_cy, '')), 'A') ||
        setweight(to_tsvector('english', coalesce(summary, '')), 'B') ||
        setweight(to_tsvector('simple', coalesce(summary_cy, '')), 'B') ||
        setweight(to_tsvector('english', {BODY.format(p="")}), 'C') ||
        setweight(to_tsvector('simple', coalesce(description_cy, '')), 'C')
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
# SQLite: the index's three columns, from the row `p` (new. in a trigger).
SQLITE_ROW = (
    "{p}title || ' ' || {p}title_cy, {p}summary || ' ' || {p}summary_cy, "
    + BODY
    + " || ' ' || {p}description_cy"
)
SQLITE = [
    "DROP TRIGGER IF EXISTS catalogue_case_fts_ai",
    "DROP TRIGGER IF EXISTS catalogue_case_fts_au",
    "DROP TRIGGER IF EXISTS catalogue_case_fts_ad",
    f"""CREATE TRIGGER catalogue_case_fts_ai AFTER INSERT ON catalogue_case BEGIN
        INSERT INTO catalogue_case_fts(rowid, title, summary, body)
        VALUES (new.id, {SQLITE_ROW.format(p="new.")});
    END""",
    f"""CREATE TRIGGER catalogue_case_fts_au AFTER UPDATE ON catalogue_case BEGIN
        DELETE FROM catalogue_case_fts WHERE rowid = old.id;
        INSERT INTO catalogue_case_fts(rowid, title, summary, body)
        VALUES (new.id, {SQLITE_ROW.format(p="new.")});
    END""",
    """CREATE TRIGGER catalogue_case_fts_ad AFTER DELETE ON catalogue_case BEGIN
        DELETE FROM catalogue_case_fts WHERE rowid = old.id;
    END""",
    "DELETE FROM catalogue_case_fts",
    f"INSERT INTO catalogue_case_fts(rowid, title, summary, body) "
    f"SELECT id, {SQLITE_ROW.format(p='')} FROM catalogue_case",
]


def index_welsh(apps, schema_editor):
    statements = {"postgresql": POSTGRESQL, "sqlite": SQLITE}.get(schema_editor.connection.vendor)
    for sql in statements or []:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("catalogue", "0017_search_alerts"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="description_cy",
            field=models.TextField(blank=True, verbose_name="description in Welsh"),
        ),
        migrations.AddField(
            model_name="case",
            name="language",
            field=models.CharField(
                choices=[("en-gb", "English"), ("cy", "Cymraeg")],
                default="en-gb",
                editable=False,
                max_length=10,
                verbose_name="language of the submission",
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="summary_cy",
            field=models.CharField(blank=True, max_length=400, verbose_name="summary in Welsh"),
        ),
        migrations.AddField(
            model_name="case",
            name="title_cy",
            field=models.CharField(blank=True, max_length=200, verbose_name="title in Welsh"),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="description_cy",
            field=models.TextField(blank=True, verbose_name="description in Welsh"),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="language",
            field=models.CharField(
                choices=[("en-gb", "English"), ("cy", "Cymraeg")],
                default="en-gb",
                editable=False,
                max_length=10,
                verbose_name="language of the submission",
            ),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="summary_cy",
            field=models.CharField(blank=True, max_length=400, verbose_name="summary in Welsh"),
        ),
        migrations.AddField(
            model_name="historicalcase",
            name="title_cy",
            field=models.CharField(blank=True, max_length=200, verbose_name="title in Welsh"),
        ),
        migrations.AddField(
            model_name="historicaloutcome",
            name="statement_cy",
            field=models.TextField(blank=True, verbose_name="statement in Welsh"),
        ),
        migrations.AddField(
            model_name="outcome",
            name="statement_cy",
            field=models.TextField(blank=True, verbose_name="statement in Welsh"),
        ),
        migrations.AddField(
            model_name="searchalert",
            name="language",
            field=models.CharField(
                choices=[("en-gb", "English"), ("cy", "Cymraeg")], default="en-gb", max_length=10
            ),
        ),
        migrations.RunPython(index_welsh, migrations.RunPython.noop, elidable=False),
    ]
