"""PostgreSQL: `catalogue_similar_words(word, stem, n)`, the n indexed words most like a word or
its stem by trigram similarity (a search's typo, search.py), found through the trigram index
whatever the planner's estimate.

The planner estimates that `%` keeps about one word in 150 and prices the trigram index's
bitmap above reading the whole list of words, so it reads them all: at 100,000 synthetic cases
(100,115 words) that took 67-77 ms per unknown word, and through the index 9 ms. The function's
own `enable_seqscan` setting applies only while it runs, as in `catalogue_search_holds` (0021).
SQLite looks candidates up by their first letter in FTS5's vocabulary: nothing changes there.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION catalogue_similar_words(word text, stem text, n integer)
RETURNS TABLE (similar_word text, cases integer)
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
AS $$
    SELECT w.word, w.ndoc FROM catalogue_search_words w
    WHERE w.word % $1 OR w.word % $2
    ORDER BY greatest(similarity(w.word, $1), similarity(w.word, $2)) DESC, w.ndoc DESC
    LIMIT $3
$$
"""
DROP = "DROP FUNCTION IF EXISTS catalogue_similar_words(text, text, integer)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)  # its % is an operator, not a placeholder


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0021_search_holds")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
