"""PostgreSQL: the search index leaves the case table for a narrow table of its own.

A search for a common word reads every matching case's `search_vector` to rank it. Stored in the
case row (a generated column, 0008, 0014, 0018), that meant reading the whole case table, every
text of every case, for a word in 90 % of 100,000 cases. `catalogue_case_search` holds only the
case's id and its vector, with the GIN index, kept by triggers on the case table (insert, an
update of any indexed text, delete, truncate); the vector is computed as 0018 computed it. The
word list of 0013 is made again over it, for published cases. The case table keeps the space of
the dropped column until it is rewritten: run `VACUUM FULL catalogue_case` after migrating a large
catalogue (docs/deployment.md). SQLite's FTS5 table was always separate: nothing changes there.
"""

from django.db import migrations

TEXTS = (
    "title",
    "title_cy",
    "summary",
    "summary_cy",
    "description",
    "description_cy",
    "locality",
    "lead_organisations",
    "outcome_text",
    "lessons",
    "related_text",
)
BODY = (
    "coalesce({p}description, '') || ' ' || coalesce({p}locality, '') || ' ' || "
    "coalesce({p}lead_organisations, '') || ' ' || coalesce({p}outcome_text, '') || ' ' || "
    "coalesce({p}lessons, '') || ' ' || coalesce({p}related_text, '')"
)
VECTOR = """
    setweight(to_tsvector('english', coalesce({p}title, '')), 'A') ||
    setweight(to_tsvector('simple', coalesce({p}title_cy, '')), 'A') ||
    setweight(to_tsvector('english', coalesce({p}summary, '')), 'B') ||
    setweight(to_tsvector('simple', coalesce({p}summary_cy, '')), 'B') ||
    setweight(to_tsvector('english', {body}), 'C') ||
    setweight(to_tsvector('simple', coalesce({p}description_cy, '')), 'C')
"""


def vector(prefix):
    return VECTOR.format(p=prefix, body=BODY.format(p=prefix))


WORDS = [
    "DROP MATERIALIZED VIEW IF EXISTS catalogue_search_words",
    """CREATE MATERIALIZED VIEW catalogue_search_words AS
    SELECT word, ndoc FROM ts_stat(
        'SELECT s.search_vector FROM catalogue_case_search s
         JOIN catalogue_case c ON c.id = s.id WHERE c.status = ''published'''
    )""",
    "CREATE UNIQUE INDEX catalogue_search_words_word ON catalogue_search_words (word)",
    "CREATE INDEX catalogue_search_words_trgm ON catalogue_search_words USING gin (word gin_trgm_ops)",
]
FORWARD = [
    "DROP MATERIALIZED VIEW IF EXISTS catalogue_search_words",
    """CREATE TABLE catalogue_case_search (
        id bigint PRIMARY KEY,
        search_vector tsvector NOT NULL
    )""",
    f"""CREATE FUNCTION catalogue_case_search_write() RETURNS trigger AS $$
    BEGIN
        INSERT INTO catalogue_case_search (id, search_vector) VALUES (NEW.id, {vector("NEW.")})
        ON CONFLICT (id) DO UPDATE SET search_vector = EXCLUDED.search_vector;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION catalogue_case_search_delete() RETURNS trigger AS $$
    BEGIN
        DELETE FROM catalogue_case_search WHERE id = OLD.id;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    """CREATE FUNCTION catalogue_case_search_empty() RETURNS trigger AS $$
    BEGIN
        TRUNCATE catalogue_case_search;
        RETURN NULL;
    END $$ LANGUAGE plpgsql""",
    "CREATE TRIGGER catalogue_case_search_insert AFTER INSERT ON catalogue_case "
    "FOR EACH ROW EXECUTE FUNCTION catalogue_case_search_write()",
    f"CREATE TRIGGER catalogue_case_search_update AFTER UPDATE OF {', '.join(TEXTS)} "
    "ON catalogue_case FOR EACH ROW EXECUTE FUNCTION catalogue_case_search_write()",
    "CREATE TRIGGER catalogue_case_search_delete AFTER DELETE ON catalogue_case "
    "FOR EACH ROW EXECUTE FUNCTION catalogue_case_search_delete()",
    "CREATE TRIGGER catalogue_case_search_truncate AFTER TRUNCATE ON catalogue_case "
    "FOR EACH STATEMENT EXECUTE FUNCTION catalogue_case_search_empty()",
    f"INSERT INTO catalogue_case_search (id, search_vector) "
    f"SELECT id, {vector('')} FROM catalogue_case",
    "CREATE INDEX catalogue_case_search_gin_new ON catalogue_case_search USING gin (search_vector)",
    "ALTER TABLE catalogue_case DROP COLUMN search_vector",  # drops its index too
    "ALTER INDEX catalogue_case_search_gin_new RENAME TO catalogue_case_search_gin",
    *WORDS[1:],
    "ANALYZE catalogue_case_search",
]


def narrow(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in FORWARD:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0019_welsh_terms")]

    operations = [migrations.RunPython(narrow, migrations.RunPython.noop, elidable=False)]
