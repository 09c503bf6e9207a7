"""PostgreSQL: `catalogue_search_holds(query)`, whether any case of the search table matches a
text-search query, asked of the GIN index whatever the planner's estimate.

A search looks for its words under two configurations and for their spelling variants and
synonyms (search.py); most of those match nothing ("co mmunity", a Welsh form of an English
word), yet each is checked against every vector a common word matches, which at 100,000 cases
more than doubled the time of a search. Before the search, each such operand is asked here, and
those no case holds are left out. Asked directly, `EXISTS` of a word the planner does not know
reads the table from the start until a match that never comes (30 ms at 100,000 cases); through
the index it is under a millisecond. The function's own `enable_seqscan` setting applies only
while it runs. SQLite's FTS5 looks a missing word up in its index already: nothing changes there.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION catalogue_search_holds(query tsquery) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
SET enable_seqscan = off
AS $$ SELECT EXISTS (SELECT 1 FROM catalogue_case_search WHERE search_vector @@ query) $$
"""
DROP = "DROP FUNCTION IF EXISTS catalogue_search_holds(tsquery)"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("catalogue", "0020_search_table")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
