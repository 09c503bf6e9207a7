"""Full-text search over cases, dispatched on the database vendor.

PostgreSQL: a stored, weighted `search_vector` column (title A, summary B, the
rest C) with a GIN index, `websearch_to_tsquery`, `ts_rank`, and `ts_headline`
for the displayed page only. SQLite: an FTS5 table kept in step by triggers,
ranked by weighted bm25. Both index title, summary, description, locality,
lead organisations and outcomes. The migration 0008_search_index creates the
index for the database in use; neither is part of the other database's schema.
CaseQuerySet.search() and ranked() are the ways in.
"""

import re

import numpy as np
from django.db import connection
from django.db.models import FloatField, Value
from django.db.models.expressions import Expression, RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

MAX_QUERY_LENGTH = 200
FTS_TABLE = "catalogue_case_fts"
# bm25 weights for title, summary and body, as on PostgreSQL: title above summary above the rest.
SQLITE_RANK = f"-bm25({FTS_TABLE}, 10.0, 4.0, 1.0)"
# The rank to 15 significant digits, as SQLite writes a number as text: the database's order and
# the case list's (matches(), which reads ranks as text) compare the same values. Ranks that
# differ only further down are equal here, and ordered by title.
SQLITE_RANKED = f"CAST(CAST({SQLITE_RANK} AS TEXT) AS REAL)"
RANK_TABLE = "catalogue_search_rank"  # temporary, per connection: the matches of this request
HIGHLIGHT_START, HIGHLIGHT_STOP = "\x02", "\x03"
# PostgreSQL's English stop words (Snowball's list), which its search leaves out. SQLite leaves them
# out too when they stand alone, so both find the same cases, and "the" does not rank the
# whole catalogue.
_STOP_WORDS = """i me my myself we our ours ourselves you your yours yourself yourselves he him his himself
    she her hers herself it its itself they them their theirs themselves what which who whom this
    that these those am is are was were be been being have has had having do does did doing a an
    the and but if or because as until while of at by for with about against between into through
    during before after above below to from up down in out on off over under again further then
    once here there when where why how all any both each few more most other some such no nor not
    only own same so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


class CaseSQL(Expression):
    """Raw SQL about the case table, with `{case}` replaced by the table's alias in the query.

    Unlike RawSQL, this stays right when the queryset is used as a subquery (facet counts).
    """

    def __init__(self, sql, params=(), output_field=None):
        super().__init__(output_field=output_field)
        self.sql, self.params = sql, list(params)

    def as_sql(self, compiler, connection):
        alias = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        return self.sql.format(case=alias), self.params


def clean_query(q):
    """The query as searched: control characters removed, length bounded."""
    q = "".join(ch for ch in (q or "") if ch.isprintable())
    return " ".join(q.split())[:MAX_QUERY_LENGTH]


def terms(q):
    """The plain words of a query, without operators, exclusions or the word OR."""
    words = []
    for token in re.findall(r'"[^"]*"?|\S+', q):
        if token.startswith("-") or token == "OR":
            continue
        words += re.findall(r"\w+", token)
    return [w.lower() for w in words]


def _fts5_query(q):
    """Translate web-search syntax (words, "phrases", -exclusions, OR) into a safe FTS5 query."""
    positives, negatives = [], []
    for token in re.findall(r'"[^"]*"?|\S+', q):
        if token == "OR":
            if positives and positives[-1] != "OR":
                positives.append("OR")
            continue
        negate = token.startswith("-") and len(token) > 1
        words = re.findall(r"\w+", token)
        if not token.startswith('"'):  # a word on its own: left out if a stop word, as PostgreSQL
            words = [w for w in words if w.lower() not in STOP_WORDS]
        if not words:
            continue
        phrase = '"' + " ".join(words) + '"'
        (negatives if negate else positives).append(phrase)
    while positives and positives[-1] == "OR":
        positives.pop()
    if not positives:
        return ""
    query = " ".join(positives)
    for phrase in negatives:
        query = f"({query}) NOT {phrase}"
    return query


def search(queryset, q):
    """Cases matching the query (a filter only: cheap enough for facet-count subqueries)."""
    q = clean_query(q)
    if connection.vendor == "postgresql":
        vector, query = _postgres_terms(q)
        return queryset.alias(search_vector=vector).filter(search_vector=query)
    fts_query = _fts5_query(q)
    if not fts_query:
        return queryset.none()
    matches = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts_query])
    return queryset.filter(id__in=matches)


def matches(q, ranked=False):
    """(ids, ranks) as numpy arrays: every case matching the query, in any status, and if
    `ranked` its rank (higher is better; else 0), as ranked() computes it. The case list takes
    it from here (facetindex.py): one query, read as two joined strings (a common word matches
    most of the catalogue)."""
    from catalogue.facetindex import numbers, read_joined

    q = clean_query(q)
    if connection.vendor == "postgresql":
        query = "websearch_to_tsquery('english'::regconfig, %s)"
        rank = f"ts_rank(search_vector, {query})" if ranked else "0"
        where = f"WHERE search_vector @@ {query}"
        params = [q, q] if ranked else [q]
        ids, ranks = read_joined("catalogue_case", ["id", rank], where, params)
    else:
        fts_query = _fts5_query(q)
        if not fts_query:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        # bm25() only works on the match's own rows, so it is computed in a subquery that LIMIT
        # keeps apart. The joined text gives each rank to 15 significant digits, as SQLITE_RANKED
        # orders by them in the database.
        rank = SQLITE_RANK if ranked else "0"
        found = (
            f"(SELECT rowid AS id, {rank} AS rank FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s LIMIT -1)"
        )
        ids, ranks = read_joined(found, ["id", "rank"], "", [fts_query])
    return numbers(ids, np.int64), numbers(ranks, np.float64)


MAX_WIDER_WORDS = 8  # a search widened to any of its words uses at most this many


def any_of_the_words(q):
    """(the query widened to any of its words, with its exclusions kept; those words), for when
    no case has them all; ("", []) if it has fewer than two words to widen to."""
    words = list(dict.fromkeys(w for w in terms(q) if w not in STOP_WORDS))[:MAX_WIDER_WORDS]
    if len(words) < 2:
        return "", []
    exclusions = [t for t in re.findall(r'"[^"]*"?|\S+', q) if t.startswith("-") and len(t) > 1]
    # Each alternative carries the exclusions: PostgreSQL binds "-word" to its neighbour only.
    return " OR ".join(" ".join([word, *exclusions]) for word in words), words


def matches_by_words(wider, words, ranked=False):
    """matches() for a query widened by any_of_the_words(), ranked so that cases with more of
    the words come first, then by the database's rank (which puts title matches first): the
    rank is the number of the words a case has, plus its database rank squeezed below 1."""
    ids, ranks = matches(wider, ranked)
    if ranked and len(ids):
        having = sum(np.isin(ids, matches(word)[0]).astype(np.float64) for word in words)
        ranks = having + np.maximum(ranks, 0) / (1 + np.maximum(ranks, 0))
    return ids, ranks


def with_rank(queryset, q):
    """The queryset annotated with `search_rank` (higher is better), for ordering by relevance."""
    q = clean_query(q)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchRank

        vector, query = _postgres_terms(q)
        return queryset.annotate(search_rank=SearchRank(vector, query))
    fts_query = _fts5_query(q)
    if not fts_query:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    return queryset.annotate(search_rank=_SqliteRank(fts_query))


class _SqliteRank(CaseSQL):
    """A case's rank among the matches (higher is better), looked up by id in a temporary table
    that the full-text match fills once, when the query that needs it is compiled. Joined to the
    index directly, or as a correlated subquery on it, FTS5 may re-run the match for every case
    the other filters leave (70 s for a common word and an evidence level at 100,000 cases)."""

    def __init__(self, fts_query):
        super().__init__(
            f"(SELECT rank FROM {RANK_TABLE} WHERE {RANK_TABLE}.id = {{case}}.id)",
            output_field=FloatField(),
        )
        self.fts_query = fts_query

    def as_sql(self, compiler, connection):
        _rank_matches(connection, self.fts_query)
        return super().as_sql(compiler, connection)


def _rank_matches(connection, fts_query):
    """Fill this connection's temporary table of matches and their rank."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {RANK_TABLE} (id INTEGER PRIMARY KEY, rank REAL)"
        )
        cursor.execute(f"DELETE FROM {RANK_TABLE}")
        cursor.execute(
            f"INSERT INTO {RANK_TABLE} SELECT rowid, {SQLITE_RANKED} FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s",
            [fts_query],
        )


def _postgres_terms(q):
    from django.contrib.postgres.search import SearchQuery, SearchVectorField

    vector = CaseSQL("{case}.search_vector", output_field=SearchVectorField())
    return vector, SearchQuery(q, search_type="websearch", config="english")


def add_headlines(cases, q):
    """Set `headline` (safe HTML, matches in <mark>) on the given cases: the page shown only."""
    q = clean_query(q)
    cases = list(cases)
    if not cases or not q:
        return cases
    if connection.vendor == "postgresql":
        texts = _postgres_headlines(type(cases[0])._default_manager, [c.id for c in cases], q)
    else:
        words = [w for w in terms(q) if w not in STOP_WORDS]  # as the search itself
        texts = {c.id: _python_headline(f"{c.summary} {c.description}", words) for c in cases}
    for case in cases:
        text = texts.get(case.id)
        if text and HIGHLIGHT_START in text:
            case.headline = _mark(text)
    return cases


def _postgres_headlines(cases, ids, q):
    from django.contrib.postgres.search import SearchHeadline, SearchQuery
    from django.db.models import TextField, Value
    from django.db.models.functions import Concat

    query = SearchQuery(q, search_type="websearch", config="english")
    rows = cases.filter(id__in=ids).annotate(
        headline=SearchHeadline(
            Concat("summary", Value(" "), "description", output_field=TextField()),
            query,
            config="english",
            start_sel=HIGHLIGHT_START,
            stop_sel=HIGHLIGHT_STOP,
            max_words=40,
            min_words=20,
            max_fragments=2,
            fragment_delimiter=" … ",
        )
    )
    return dict(rows.values_list("id", "headline"))


def _python_headline(text, words, width=40):
    """A window of about `width` words around the first match, matches marked."""
    if not words:
        return text
    pattern = re.compile(r"\b(" + "|".join(re.escape(_stem(w)) for w in words) + r")\w*", re.I)
    tokens = text.split()
    first = next((i for i, t in enumerate(tokens) if pattern.search(t)), None)
    if first is None:
        return text
    start = max(0, first - width // 3)
    window = " ".join(tokens[start : start + width])
    marked = pattern.sub(lambda m: f"{HIGHLIGHT_START}{m.group(0)}{HIGHLIGHT_STOP}", window)
    return ("… " if start else "") + marked + (" …" if start + width < len(tokens) else "")


def _stem(word):
    for suffix in ("ings", "ing", "ies", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def _mark(text):
    """Escape the text, then turn the highlight sentinels into <mark> elements."""
    html = escape(text).replace(HIGHLIGHT_START, "<mark>").replace(HIGHLIGHT_STOP, "</mark>")
    return mark_safe(html)


# Finding cases that look like the same practice (duplicates): trigram similarity of titles, as
# PostgreSQL's pg_trgm computes it. PostgreSQL uses its trigram index; SQLite takes the best
# title matches from the full-text index and scores them here the same way.
SIMILAR_TITLE = 0.6  # alone, a title this similar suggests the same practice
SIMILAR_TITLE_SAME_PLACE = 0.3  # enough when the locality is the same too
SQLITE_CANDIDATES = 50


def trigrams(text):
    """The set of trigrams pg_trgm would extract: each word lower-cased, padded "  word "."""
    grams = set()
    for word in re.findall(r"\w+", text.lower()):
        padded = f"  {word} "
        grams.update(padded[i : i + 3] for i in range(len(padded) - 2))
    return grams


def trigram_similarity(a, b):
    """pg_trgm's similarity(): shared trigrams over all trigrams of both texts, 0 to 1."""
    first, second = trigrams(a), trigrams(b)
    return len(first & second) / len(first | second) if first and second else 0.0


def similar_titles(queryset, title, limit):
    """Up to `limit` cases whose title is at least SIMILAR_TITLE_SAME_PLACE similar to `title`,
    each with `title_similarity` set, most similar first."""
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        return list(
            queryset.filter(title__trigram_similar=title)
            .annotate(title_similarity=TrigramSimilarity("title", title))
            .order_by("-title_similarity", "id")[:limit]
        )
    words = [w for w in re.findall(r"\w+", title.lower()) if len(w) > 1]
    if not words:
        return []
    match = "title : (" + " OR ".join(f'"{w}"' for w in words) + ")"
    candidates = RawSQL(
        f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s "
        f"ORDER BY bm25({FTS_TABLE}) LIMIT {SQLITE_CANDIDATES}",
        [match],
    )
    scored = []
    for case in queryset.filter(id__in=candidates):
        case.title_similarity = trigram_similarity(title, case.title)
        if case.title_similarity >= SIMILAR_TITLE_SAME_PLACE:
            scored.append(case)
    scored.sort(key=lambda case: (-case.title_similarity, case.id))
    return scored[:limit]


def looks_like_the_same(case, title, locality):
    """Whether a case found by `similar_titles` looks like the same practice."""
    same_place = (
        bool(locality.strip()) and case.locality.strip().casefold() == locality.strip().casefold()
    )
    return case.title_similarity >= SIMILAR_TITLE or same_place
