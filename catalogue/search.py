"""Full-text search over cases, dispatched on the database vendor.

A query in web-search syntax is parsed once (`parse`) into groups of alternatives: each word or
phrase with its spelling variants and its synonyms from the thesaurus. `_fts5_query` writes it
for SQLite (an FTS5 table kept in step by triggers, ranked by weighted bm25) and `_tsquery` for
PostgreSQL (a weighted `search_vector`, title A, summary B, the rest C, in a narrow table of its
own kept by triggers, `catalogue_case_search`, with a GIN index; `ts_rank`, and `ts_headline` for
the displayed page only). Both index the title, the summary, and as the body the description,
locality, lead organisations, outcomes, lessons, and the names of the service areas and
co-producers with the sources' citations (`related_text`, kept by services.py), with the Welsh
texts beside the English ones. Migrations 0008, 0014, 0018 and 0020 create the index for the
database in use; neither is part of the other database's schema.
CaseQuerySet.search() and ranked() are the ways in; the case list asks `matches()`.
"""

import difflib
import re
from dataclasses import dataclass

import numpy as np
from django.db import connection
from django.db.models import FloatField, Value
from django.db.models.expressions import Expression, RawSQL
from django.utils.html import escape
from django.utils.safestring import mark_safe

from catalogue.bilingual import localised

MAX_QUERY_LENGTH = 200
FTS_TABLE = "catalogue_case_fts"
PG_TABLE = "catalogue_case_search"  # PostgreSQL: each case's id and search_vector (0020)
# bm25 weights for title, summary and body, as on PostgreSQL: title above summary above the rest.
SQLITE_RANK = f"-bm25({FTS_TABLE}, 10.0, 4.0, 1.0)"
# The rank to 15 significant digits, as SQLite writes a number as text: the database's order and
# the case list's (matches(), which reads ranks as text) compare the same values. Ranks that
# differ only further down are equal here, and ordered by title.
SQLITE_RANKED = f"CAST(CAST({SQLITE_RANK} AS TEXT) AS REAL)"
RANK_TABLE = "catalogue_search_rank"  # temporary, per connection: the matches of this request
# A search matching more cases than this is ranked more cheaply. SQLite: by the fields that hold
# it (title 10, summary 4, else 1; ties by title), not by bm25, whose cost per match is four to
# five times that of finding it (about 300 ms for a word in 90,000 of 100,000 cases). PostgreSQL:
# by ts_rank of its words joined by || (_postgres_rank). Below it, bm25 and ts_rank as they are.
BROAD = 5000
FIELD_WEIGHTS = {"title": 10, "summary": 4}
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


@dataclass(frozen=True)
class Query:
    """A search as parsed: every group must match; a group matches when any of its alternatives
    does; an alternative is one or more phrases (each one word or more, in order), all of which
    must match. No case with an excluded phrase matches."""

    groups: tuple = ()
    excluded: tuple = ()

    def words(self):
        """Every word an alternative looks for (for highlighting)."""
        return list(dict.fromkeys(w for g in self.groups for a in g for p in a for w in p.split()))


def parse(q, thesaurus=None):
    """The query in web-search syntax (words, "phrases", -exclusions, OR between two of them)
    as a Query, each word or phrase widened to its spelling variants (`variants`) and to its
    synonyms in the thesaurus (models.SynonymGroup, read by the facet index); stop words
    standing alone are left out, as PostgreSQL leaves them out."""
    if thesaurus is None:
        from catalogue import facetindex

        thesaurus = facetindex.held().thesaurus
    groups, excluded, joined, alone = [], [], False, []
    for token in re.findall(r'"[^"]*"?|\S+', q):
        if token == "OR":
            joined = bool(groups)
            continue
        negate = token.startswith("-") and len(token) > 1
        body = token[1:] if negate else token
        words = [w.lower() for w in re.findall(r"\w+", body)]
        if not body.startswith('"'):
            words = [w for w in words if w not in STOP_WORDS]
        if not words:
            continue
        phrase = " ".join(words)
        if negate:
            excluded.append(phrase)
        elif joined:
            groups[-1].append((phrase,))
            alone[-1] = False
        else:
            groups.append([(phrase,)])
            alone.append(len(words) == 1 and not body.startswith('"'))
        joined = False
    groups = _synonyms_of_word_runs(groups, alone, thesaurus)
    return Query(
        tuple(tuple(_widened(group, thesaurus)) for group in groups),
        tuple(excluded),
    )


def _synonyms_of_word_runs(groups, alone, thesaurus, longest=4):
    """Runs of single words that make up a phrase of the thesaurus ("older people") become one
    group: the words as typed (all of them), or any synonym of the phrase."""
    result, at = [], 0
    while at < len(groups):
        for size in range(min(longest, len(groups) - at), 1, -1):
            if not all(alone[at : at + size]):
                continue
            phrase = " ".join(groups[i][0][0] for i in range(at, at + size))
            if phrase in thesaurus:
                words = tuple(groups[i][0][0] for i in range(at, at + size))
                result.append([words, *((other,) for other in thesaurus[phrase])])
                at += size
                break
        else:
            result.append(groups[at])
            at += 1
    return result


def _widened(group, thesaurus):
    """The group's alternatives, then each one-phrase alternative's synonyms and variants."""
    found = list(group)
    for alternative in group:
        if len(alternative) != 1:
            continue
        for phrase in (alternative[0], *thesaurus.get(alternative[0], ())):
            for other in (phrase, *variants(phrase)):
                if (other,) not in found:
                    found.append((other,))
    return found[:MAX_ALTERNATIVES]


MAX_ALTERNATIVES = 12  # a group searches at most this many words and phrases
# British and American spellings, by word ending (either way round). A form that is no word
# matches nothing, so the rules may be broad; short words are left alone ("four", "for").
ENDINGS = [
    ("isation", "ization"),
    ("isations", "izations"),
    ("ise", "ize"),
    ("ised", "ized"),
    ("ises", "izes"),
    ("ising", "izing"),
    ("yse", "yze"),
    ("ysed", "yzed"),
    ("ysing", "yzing"),
    ("our", "or"),
    ("ours", "ors"),
    ("ourhood", "orhood"),
    ("ourhoods", "orhoods"),
    ("ourite", "orite"),
    ("tre", "ter"),
    ("tres", "ters"),
    ("ogue", "og"),
    ("ogues", "ogs"),
    ("ence", "ense"),
    ("amme", "am"),
    ("ammes", "ams"),
]
LONGEST_ENDINGS_FIRST = sorted(ENDINGS, key=lambda pair: -len(pair[0]))
WHOLE_WORDS = {  # spellings no ending rule gives
    "ageing": "aging",
    "judgement": "judgment",
    "counselling": "counseling",
    "counsellor": "counselor",
    "counsellors": "counselors",
    "modelling": "modeling",
    "travelling": "traveling",
    "cancelled": "canceled",
    "labelled": "labeled",
    "enrolment": "enrollment",
    "fulfil": "fulfill",
    "paediatric": "pediatric",
    "anaemia": "anemia",
    "mum": "mom",
    "mums": "moms",
    "grey": "gray",
}
WHOLE_WORDS.update({american: british for british, american in list(WHOLE_WORDS.items())})
# Prefixes written with or without a hyphen: "co-production", "coproduction".
PREFIXES = ("co", "non", "pre", "re", "self", "multi", "inter", "cross", "post", "anti", "sub")
MIN_VARIED = 5  # letters: shorter words have no spelling variants here


def variants(phrase):
    """Other spellings of a word or phrase: British and American, and a prefix with or without
    its hyphen ("co operative", as the index sees "co-operative", and "cooperative")."""
    words = phrase.split()
    found = []
    other = [_other_spelling(w) for w in words]
    if any(o != w for o, w in zip(other, words, strict=True)):
        found.append(" ".join(other))
    if len(words) == 2 and words[0] in PREFIXES:
        found.append(words[0] + words[1])
    if len(words) == 1:
        for prefix in PREFIXES:
            rest = words[0][len(prefix) :]
            if words[0].startswith(prefix) and len(rest) >= 4:
                found.append(f"{prefix} {rest}")
                break
    return found


def _other_spelling(word):
    if word in WHOLE_WORDS:
        return WHOLE_WORDS[word]
    if len(word) < MIN_VARIED:
        return word
    for british, american in LONGEST_ENDINGS_FIRST:
        for ending, replacement in ((british, american), (american, british)):
            if word.endswith(ending) and len(word) - len(ending) >= 2:
                return word[: -len(ending)] + replacement
    return word


def _fts5_query(q, query=None):
    """The query as a safe FTS5 query: every phrase quoted, groups and alternatives bracketed
    (`query`: the query already parsed, if it is)."""
    query = parse(q) if query is None else query

    def phrase(text):
        return '"' + text + '"'  # words only: nothing in it can be an operator

    groups = [
        "(" + " OR ".join("(" + " AND ".join(map(phrase, a)) + ")" for a in group) + ")"
        for group in query.groups
    ]
    if not groups:
        return ""
    fts = " AND ".join(groups)
    for text in query.excluded:
        fts = f"({fts}) NOT {phrase(text)}"
    return fts


def _tsquery(q, ranking=False, searched=None):
    """The query as PostgreSQL tsquery SQL and its parameters: each phrase by phraseto_tsquery,
    as English (stemming and stop words) or as Welsh text is indexed (`simple`, migration 0018),
    combined with && (and), || (or) and !! (not). `ranking`: its groups joined by || instead,
    without exclusions, for ranking a broad search (_postgres_rank). `searched`: the operands
    (configuration, phrase) to look for (_searched), all of them if None; an alternative with a
    phrase left without any matches nothing, and so does a group left without alternatives."""
    query = parse(q)

    def phrase(text):  # (sql, params), or None if no operand of it is searched
        configs = [c for c in _configurations(text) if searched is None or (c, text) in searched]
        sql = " || ".join(f"phraseto_tsquery('{c}'::regconfig, %s)" for c in configs)
        return (f"({sql})" if len(configs) > 1 else sql, [text] * len(configs)) if configs else None

    def joined(parts, operator):
        return f" {operator} ".join(sql for sql, _ in parts), [p for _, ps in parts for p in ps]

    groups = []
    for group in query.groups:
        alternatives = []
        for alternative in group:
            phrases = [phrase(text) for text in alternative]
            if None not in phrases:
                sql, params = joined(phrases, "&&")
                alternatives.append((f"({sql})", params))
        if not alternatives:
            return "''::tsquery", []
        sql, params = joined(alternatives, "||")
        groups.append((f"({sql})", params))
    if not groups:
        return "''::tsquery", []
    sql, params = joined(groups, "||" if ranking else "&&")
    if ranking:
        return sql, params
    for excluded in filter(None, map(phrase, query.excluded)):
        sql, params = f"({sql}) && !!{excluded[0]}", params + excluded[1]
    return sql, params


def _configurations(text):
    """The text-search configurations a phrase is looked up under: English, and as Welsh text
    is indexed, unless all its words are English stop words (which English ignores)."""
    if STOP_WORDS.issuperset(re.findall(r"\w+", text.lower())):
        return ("english",)
    return ("english", "simple")


def _searched(q):
    """PostgreSQL: the operands of the query worth looking for, {(configuration, phrase): its
    tsquery as PostgreSQL writes it}: each phrase as typed, in English; every other (the Welsh
    configuration's, each variant's and synonym's) only if it differs from the English one and
    some case holds it (catalogue_search_holds, migration 0021: under a millisecond each,
    through the index). Most of the others match nothing ("co mmunity", "evidense"), yet
    ts_rank weighs every operand in every vector a common word matches: at 100,000 cases,
    "community residents" was ranked in 145 ms with its eight operands and in 75 ms with the two
    that match (finding the matches, without ranking, took 4 ms longer with all eight)."""
    query = parse(q)
    typed = {("english", text) for group in query.groups for text in group[0]}
    typed |= {("english", text) for text in query.excluded}
    phrases = [text for group in query.groups for a in group for text in a] + list(query.excluded)
    operands = list(
        dict.fromkeys((config, text) for text in phrases for config in _configurations(text))
    )
    if not operands:
        return {}
    written = [f"phraseto_tsquery('{config}'::regconfig, %s)::text" for config, _ in operands]
    params = [text for _, text in operands]
    checks = []
    for config, text in operands:
        tsquery = f"phraseto_tsquery('{config}'::regconfig, %s)"
        if (config, text) in typed:
            checks.append("true")
        elif config == "simple":
            checks.append(
                f"{tsquery}::text <> phraseto_tsquery('english'::regconfig, %s)::text "
                f"AND catalogue_search_holds({tsquery})"
            )
            params += [text, text, text]
        else:
            checks.append(f"catalogue_search_holds({tsquery})")
            params.append(text)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT ARRAY[{', '.join(written)}], ARRAY[{', '.join(checks)}]", params)
        texts, held = cursor.fetchone()
    return {
        operand: text for operand, text, holds in zip(operands, texts, held, strict=True) if holds
    }


def search(queryset, q):
    """Cases matching the query (a filter only: cheap enough for facet-count subqueries)."""
    q = clean_query(q)
    if connection.vendor == "postgresql":
        sql, params = _tsquery(q)
        return queryset.filter(
            id__in=RawSQL(f"SELECT id FROM {PG_TABLE} WHERE search_vector @@ ({sql})", params)
        )
    fts_query = _fts5_query(q)
    if not fts_query:
        return queryset.none()
    matches = RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s", [fts_query])
    return queryset.filter(id__in=matches)


def matches(q, ranked=False):
    """(ids, ranks) as numpy arrays: every case matching the query, in any status (or, where
    the word index answers, every published one), and if `ranked` its rank (higher is better;
    else 0), as ranked() computes it. The case list takes it from here (facetindex.py): on
    PostgreSQL, which forms of the words to look for (one query); then the word index
    (wordindex.py) for common words; else one query, whose result is read as a few joined
    strings, not as a row per match (a common word matches most of the catalogue)."""
    from catalogue import facetindex, wordindex
    from catalogue.facetindex import numbers, read_joined

    q = clean_query(q)
    if connection.vendor == "postgresql":
        return _postgres_matches(q, ranked)
    query = parse(q)  # once: a long query's synonyms and variants take about a millisecond
    if not query.groups:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    found = wordindex.matches(query, facetindex.held(), ranked, BROAD)
    if found is not None:
        return found
    fts_query = _fts5_query(q, query)
    if not ranked:
        found = f"(SELECT rowid AS id FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)"
        (ids,) = read_joined(found, ["id"], "", [fts_query])
        ids = numbers(ids, np.int64)
        return ids, np.zeros(len(ids))
    return _sqlite_ranked_matches(fts_query)


# PostgreSQL: each match as its id (int8) and, if ranked, its ts_rank (a float4), in network
# byte order, all joined into one bytea: read without parsing text, which for a common word cost
# more than finding its 90,000 matches (and exactly the float4 the database orders by).
PG_MATCH = np.dtype([("id", ">i8")])
PG_RANKED_MATCH = np.dtype([("id", ">i8"), ("rank", ">f4")])


def _postgres_rank(q, searched=None):
    """PostgreSQL: the rank of a case of the search table that the query matches, as SQL and its
    parameters: ts_rank (weighted A title, B summary, C the rest). For a search matching more
    than BROAD cases, ranked by the query with its words joined by || (_tsquery): ts_rank then
    sums what each word weighs where it is found, as SQLite's bm25 does, instead of measuring
    how near the words are to each other, its way for words joined by &&, whose cost grows with
    the square of their occurrences (at 100,000 cases it doubled the time of two common words).
    Whether the search is broad is counted once per statement (LIMIT keeps the count short)."""
    query, params = _tsquery(q, searched=searched)
    broad, broad_params = _tsquery(q, ranking=True, searched=searched)
    count = (
        f"(SELECT count(*) FROM (SELECT 1 FROM {PG_TABLE} WHERE search_vector @@ ({query}) "
        f"LIMIT {BROAD + 1:d}) matched) > {BROAD:d}"
    )
    sql = (
        f"CASE WHEN {count} THEN ts_rank(search_vector, {broad}) "
        f"ELSE ts_rank(search_vector, {query}) END"
    )
    return sql, params + broad_params + params


def _postgres_matches(q, ranked):
    from catalogue import facetindex, wordindex

    searched = _searched(q)
    found = wordindex.matches(parse(q), facetindex.held(), ranked, BROAD, searched)
    if found is not None:
        return found
    query, params = _tsquery(q, searched=searched)
    match, match_params = "int8send(id)", []
    if ranked:
        rank, match_params = _postgres_rank(q, searched)
        match = f"int8send(id) || float4send({rank})"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT string_agg({match}, ''::bytea) FROM {PG_TABLE} WHERE search_vector @@ ({query})",
            match_params + params,
        )
        joined = cursor.fetchone()[0]
    found = np.frombuffer(bytes(joined or b""), dtype=PG_RANKED_MATCH if ranked else PG_MATCH)
    ids = found["id"].astype(np.int64)
    return ids, found["rank"].astype(np.float64) if ranked else np.zeros(len(ids))


def _in_field(fts_query, field):
    """The FTS5 query restricted to one field of the index."""
    return f"{{{field}}} : ({fts_query})"


def _sqlite_ranked_matches(fts_query):
    """SQLite: (ids, ranks) of the matches in one query. At most BROAD matches are ranked by
    bm25 (SQLITE_RANK), read with their ids in one pass of the match; more, by the fields that
    hold the query: 1, plus FIELD_WEIGHTS of each (_rank_matches ranks alike in the database),
    from the matches and each field's. Whether the search is broad is counted once (LIMIT keeps
    the count short), and only the subqueries its answer needs run: a search of many common
    words, whose every pass reads all their occurrences, took 325 ms at 100,000 cases with all
    five passes. Every list is in rowid order, so they align."""
    from catalogue.facetindex import numbers

    def joined(column, query):
        return (
            f"(SELECT group_concat(value, ',') FROM (SELECT {column} AS value FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH {query} ORDER BY rowid))"
        )

    # bm25() only works on the match's own rows: the subquery computes it. The joined text gives
    # each rank to 15 significant digits, as SQLITE_RANKED orders by them in the database.
    narrow = joined(f"rowid || ',' || {SQLITE_RANK}", "%s")
    broad = [joined("rowid", "%s"), *(joined("rowid", "%s") for _ in FIELD_WEIGHTS)]
    sql = (
        f"SELECT broad, CASE WHEN broad THEN NULL ELSE {narrow} END, "
        + ", ".join(f"CASE WHEN broad THEN {each} END" for each in broad)
        + f" FROM (SELECT count(*) > {BROAD:d} AS broad FROM (SELECT 1 FROM {FTS_TABLE} "
        f"WHERE {FTS_TABLE} MATCH %s LIMIT {BROAD + 1:d}))"
    )
    params = [fts_query, fts_query, *(_in_field(fts_query, f) for f in FIELD_WEIGHTS), fts_query]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        is_broad, pairs, all_ids, *in_fields = cursor.fetchone()
    if not is_broad:
        pairs = numbers(pairs or "", np.float64)
        return pairs[0::2].astype(np.int64), pairs[1::2]
    ids = numbers(all_ids or "", np.int64)
    ranks = np.ones(len(ids))
    for weight, field_ids in zip(FIELD_WEIGHTS.values(), in_fields, strict=True):
        ranks += weight * np.isin(ids, numbers(field_ids or "", np.int64))
    return ids, ranks


MAX_WIDER_WORDS = 8  # a search widened to any of its words uses at most this many


def any_of_the_words(q):
    """(the query widened to any of its words, with its exclusions; those words; the exclusions
    as a query of their own, or ""), for when no case has the words together; ("", [], "") if
    it has fewer than two words to widen to."""
    words = list(dict.fromkeys(w for w in terms(q) if w not in STOP_WORDS))[:MAX_WIDER_WORDS]
    if len(words) < 2:
        return "", [], ""
    exclusions = [t for t in re.findall(r'"[^"]*"?|\S+', q) if t.startswith("-") and len(t) > 1]
    excluded = " OR ".join(t[1:] for t in exclusions)
    return " ".join([" OR ".join(words), *exclusions]), words, excluded


def matches_by_words(words, excluded, matches_of, ranked=False):
    """matches() for a query widened by any_of_the_words(), from each word's own matches
    (`matches_of(word)`, which the caller may already hold): the cases with any of the words
    and none of the excluded ones, ranked so that cases with more of the words come first,
    then by the sum of the words' ranks (so title matches first). The rank is the number of
    the words a case has, plus that sum squeezed below 1."""
    found = [matches_of(word) for word in words]
    ids = np.sort(np.concatenate([word_ids for word_ids, _ in found]), kind="stable")
    # Each once; np.unique hashes them, which took 11-24 ms for a word in 90,000 cases: sorted
    # runs (each word's own order) are merged in under 1 ms.
    ids = ids[np.concatenate(([True], ids[1:] != ids[:-1]))] if len(ids) else ids
    if excluded:
        ids = ids[~np.isin(ids, matches(excluded)[0])]
    if not ranked or not len(ids):
        return ids, np.zeros(len(ids))
    having, total = np.zeros(len(ids)), np.zeros(len(ids))
    for word_ids, word_ranks in found:
        if not len(word_ids):
            continue
        order = np.argsort(word_ids, kind="stable")
        sorted_ids, sorted_ranks = word_ids[order], np.maximum(word_ranks[order], 0)
        at = np.searchsorted(sorted_ids, ids).clip(max=len(sorted_ids) - 1)
        has = sorted_ids[at] == ids
        having += has
        total += np.where(has, sorted_ranks[at], 0)
    return ids, having + total / (1 + total)


# Typos: a word no published case has is replaced by the nearest word the index holds.
VOCABULARY = "catalogue_case_fts_vocab"  # SQLite: fts5vocab over the index (migration 0013)
WORDS_VIEW = "catalogue_search_words"  # PostgreSQL: the published cases' lexemes (0013)
CLOSE_ENOUGH = 0.75  # difflib's ratio between a typed word and an indexed one
CANDIDATES = 200  # indexed words compared with each unknown word, at most
MAX_CORRECTED = 4  # unknown words a search tries to correct, at most (each costs a few queries)


def refresh_words():
    """Bring PostgreSQL's list of indexed words up to date (SQLite's is always current): after
    imports, and every few minutes by `manage.py refresh_search_words`."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {WORDS_VIEW}")


def corrected(q, known):
    """(the query with each word `known(word)` says no published case has replaced by the
    nearest word the index holds ("befreinding" by "befriend"), or by two indexed words it runs
    together ("crowdfunding" by "crowd funding"); [(word, replacement)]), or ("", []) if no word
    was replaced. Indexed words are stemmed, as the index holds them: searching for one finds
    its other forms."""
    tokens, replaced, tried = re.findall(r'"[^"]*"?|\S+', q), [], 0
    for at, token in enumerate(tokens):
        words = re.findall(r"\w+", token)
        if token == "OR" or token[0] in '-"' or len(words) != 1 or len(words[0]) < 4:
            continue
        word = words[0].lower()
        if word in STOP_WORDS or tried == MAX_CORRECTED or known(word):
            continue
        tried += 1
        better = _nearest(word, known) or _split(word)
        if better:
            tokens[at] = better
            replaced.append((words[0], better.strip('"')))
    return (" ".join(tokens), replaced) if replaced else ("", [])


def _nearest(word, known, tries=3):
    """The word a published case has that is most like `word` (the most used, among equals),
    as a word a search finds: the index holds stems ("breastfe", "befriend"), and a stem is
    not always found by searching for it, so each is tried with common endings."""
    stem = _stem(word)
    alike = [
        (max(_alike(word, term), _alike(stem, term)), docs, term)
        for term, docs in _candidates(word, stem)
        if term != word
    ]
    ranked = sorted((a for a in alike if a[0] >= CLOSE_ENOUGH), reverse=True)
    for _, _, term in ranked[:tries]:
        for form in _forms(term):
            if known(form):
                return form
    return ""


ENDINGS_OF_STEMS = ("", "ing", "e", "s", "ed", "y", "ion", "er", "al")


def _forms(stem):
    """Words a stem may stand for, most likely first."""
    forms = [stem + ending for ending in ENDINGS_OF_STEMS]
    if stem.endswith("i"):  # "bureaucraci": "bureaucracy", "bureaucracies"
        forms[1:1] = [stem[:-1] + "y", stem + "es"]
    return forms


def _alike(a, b):
    return difflib.SequenceMatcher(None, a, b).ratio()


def _candidates(word, stem):
    """(indexed word, number of cases) for words that may be what was meant."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Through the trigram index (migration 0022): the planner would read every word.
            cursor.execute(
                "SELECT similar_word, cases FROM catalogue_similar_words(%s, %s, %s)",
                [word, stem, CANDIDATES],
            )
        else:  # the same first letter and about the same length
            cursor.execute(
                f"SELECT term, doc FROM {VOCABULARY} WHERE term >= %s AND term < %s "
                f"AND length(term) BETWEEN %s AND %s ORDER BY doc DESC LIMIT {CANDIDATES}",
                [word[0], chr(ord(word[0]) + 1), len(stem) - 2, len(word) + 2],
            )
        return cursor.fetchall()


def _split(word):
    """Two indexed words run together, as a phrase ("crowd funding"), or ""."""
    splits = [(word[:at], word[at:]) for at in range(3, len(word) - 2)]
    if not splits:
        return ""
    forms = {form for pair in splits for part in pair for form in (part, _stem(part))}
    column, table = (
        ("word", WORDS_VIEW) if connection.vendor == "postgresql" else ("term", VOCABULARY)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(forms))})",
            sorted(forms),
        )
        indexed = {row[0] for row in cursor.fetchall()}
    whole = [
        (min(len(a), len(b)), f'"{a} {b}"')
        for a, b in splits
        if {a, _stem(a)} & indexed and {b, _stem(b)} & indexed
    ]
    return max(whole)[1] if whole else ""


def with_rank(queryset, q):
    """The queryset annotated with `search_rank` (higher is better), for ordering by relevance."""
    q = clean_query(q)
    if connection.vendor == "postgresql":
        return queryset.annotate(search_rank=_PostgresRank(q))
    fts_query = _fts5_query(q)
    if not fts_query:
        return queryset.annotate(search_rank=Value(0.0, output_field=FloatField()))
    return queryset.annotate(search_rank=_SqliteRank(fts_query))


class _PostgresRank(CaseSQL):
    """A case's rank (_postgres_rank), its SQL written when the query that needs it is compiled:
    only then are the forms of the words that some case holds asked for (_searched)."""

    def __init__(self, q):
        super().__init__("", output_field=FloatField())
        self.q = q

    def as_sql(self, compiler, connection):
        sql, self.params = _postgres_rank(self.q, _searched(self.q))
        self.sql = f"(SELECT {sql} FROM {PG_TABLE} WHERE {PG_TABLE}.id = {{case}}.id)"
        return super().as_sql(compiler, connection)


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
            f"INSERT INTO {RANK_TABLE} SELECT rowid, 1.0 FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s",
            [fts_query],
        )
        if cursor.rowcount > BROAD:  # ranked by field, as matches() ranks it
            for field, weight in FIELD_WEIGHTS.items():
                cursor.execute(
                    f"UPDATE {RANK_TABLE} SET rank = rank + {weight:d} WHERE id IN "
                    f"(SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s)",
                    [_in_field(fts_query, field)],
                )
            return
        cursor.execute(f"DELETE FROM {RANK_TABLE}")
        cursor.execute(
            f"INSERT INTO {RANK_TABLE} SELECT rowid, {SQLITE_RANKED} FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH %s",
            [fts_query],
        )


def add_headlines(cases, q):
    """Set `headline` (safe HTML, matches in <mark>) on the given cases: the page shown only."""
    q = clean_query(q)
    cases = list(cases)
    if not cases or not q:
        return cases
    words = parse(q).words()  # as searched: variants and synonyms too, no stop words
    # A Welsh page shows a case's Welsh summary where it has one: its headline comes from there.
    welsh = {c.id for c in cases if localised(c, "summary").lang == "cy"}
    english = [c for c in cases if c.id not in welsh]
    if connection.vendor == "postgresql" and english:
        texts = _postgres_headlines(type(cases[0])._default_manager, [c.id for c in english], q)
    else:
        texts = {c.id: _python_headline(f"{c.summary} {c.description}", words) for c in english}
    for case in cases:
        if case.id in welsh:
            texts[case.id] = _python_headline(f"{case.summary_cy} {case.description_cy}", words)
    for case in cases:
        text = texts.get(case.id)
        if text and HIGHLIGHT_START in text:
            case.headline = _mark(text)
    return cases


def _postgres_headlines(cases, ids, q):
    from django.contrib.postgres.search import SearchHeadline, SearchQueryField
    from django.db.models import TextField, Value
    from django.db.models.functions import Concat

    query = RawSQL(*_tsquery(q), output_field=SearchQueryField())
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
    for suffix in ("ations", "ation", "ings", "ing", "ies", "es", "ed", "s"):
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
