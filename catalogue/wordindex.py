"""The word index: the published cases' common words, held in memory by each process, so that a
search for words in most of the catalogue is answered without the database reading every case
that has them.

PostgreSQL finds the cases with a word through its GIN index, but it reads every matching case's
`search_vector` to return and rank it: at 100,000 cases, a word in 90,000 of them took 40 ms to
find and 65 ms to rank, whatever the page shows. SQLite's FTS5 reads the word's whole list of
occurrences once for the matches and again for each field that ranks a broad search (20-27 ms
for two common words at 100,000 cases). This index holds, for each word (PostgreSQL's lexeme,
FTS5's term) in at least COMMON of the published cases, which cases have it, and on PostgreSQL
what it weighs in each (its ts_rank alone, read from the database), on SQLite which fields hold
it (read from the full-text index's own terms, through an fts5vocab table). A search whose every
form is one such word (_forms) is answered here: the cases by the same and, or and not as the database's query,
and, for more than BROAD matches, the rank the database gives them then: on PostgreSQL ts_rank
of the forms joined by || (the sum of what each weighs, over their number; the same to within
float rounding), on SQLite 1 plus the weight of each field that holds the query. Any other
search, a phrase, a rarer word, or a ranked search with fewer matches (ranked by how near the
words are, or by bm25), is the database's, whose index answers it quickly: it matches few cases.

The index is labelled with the catalogue version it was read at. A process reads it at start
(wsgi.py, with the facet index); when the version moves on, the cases changed in between are read
again, as the facet index does. When that is not known (a bulk write, a term's change), the index
is read again by a thread of its own (a few seconds at 100,000 cases), and searches go to the
database until it is ready, so that no visitor waits for it; inside a transaction, whose
changes another connection cannot see (a test's), it is read in the request. Catalogues of fewer
than MIN_CASES cases have none: the database is quick there.
"""

import dataclasses
import functools
import logging
import math
import re
import threading

import numpy as np
from django.db import OperationalError, connection

from catalogue import facetindex
from catalogue import vocabulary as v
from catalogue.cache import catalogue_version
from catalogue.facetindex import numbers
from catalogue.middleware import unbounded
from catalogue.search import FIELD_WEIGHTS, FTS_TABLE, VOCABULARY

logger = logging.getLogger(__name__)

VENDORS = ("postgresql", "sqlite")
MIN_CASES = 1000  # published cases: fewer, and the database answers every search
COMMON = 0.05  # of the published cases: a word in more is held
MAX_POSTINGS = 10_000_000  # (case, word) pairs held at most (80 MB): the commonest words first
MAX_STALE = 20_000  # cases read again since the index was read: more, and it is read whole
SEARCH_TABLE = "catalogue_case_search"
# Each posting: the case's id (int8) and the word's ts_rank in its vector (float4), as read.
POSTING = np.dtype([("id", ">i8"), ("rank", ">f4")])
# A tsquery of one word, as PostgreSQL writes it: 'word' (a quote in it doubled).
ONE_WORD = re.compile(r"'((?:[^']|'')+)'")
# SQLite: the full-text index's tokenizer (migration 0008; search.FTS_TABLE, whose fts5vocab
# 'row' table is search.VOCABULARY), and temporary tables of this module's own, per connection.
TOKENIZER = "porter unicode61 remove_diacritics 2"
INSTANCES = "catalogue_case_fts_instances"
SCRATCH = "temp.catalogue_words_scratch"
SCRATCH_INSTANCES = "catalogue_words_scratch_instances"
# SQLite: the fields that hold a word in a case, as bits (search.FIELD_WEIGHTS ranks by them);
# each occurrence read as its case's id * 4 plus its field's number (0, 1, 2).
FIELD_BITS = {"title": 1, "summary": 2, "body": 4}
OCCURRENCE = "doc * 4 + CASE col WHEN 'title' THEN 0 WHEN 'summary' THEN 1 ELSE 2 END"


@dataclasses.dataclass(frozen=True)
class WordIndex:
    version: int
    database: str
    postings: dict  # word: (case ids, values) as read: ranks (PostgreSQL), or FIELD_BITS (SQLite)
    stale: np.ndarray  # ids of the cases read again since: their postings above are out of date
    again: dict  # word: (case ids, values) of those cases, as read again

    def located(self, word, snapshot):
        """(positions in the snapshot, values) of the published cases with the word, or None if
        the word is not held."""
        if word not in self.postings:
            return None
        ids, ranks = self.postings[word]
        where, found = snapshot.locate(ids)
        if len(self.stale):
            out_of_date = snapshot.nothing()
            out_of_date[snapshot.positions(self.stale)] = True
            found &= ~out_of_date[where]
        again_ids, again_ranks = self.again.get(word, (ids[:0], ranks[:0]))
        again_where, again_found = snapshot.locate(again_ids)
        return (
            np.concatenate([where[found], again_where[again_found]]),
            np.concatenate([ranks[found], again_ranks[again_found]]),
        )


def _read(case_ids=None, words=None):
    """{word: (case ids, values)} of the cases (all, or those among `case_ids`), for the words in
    at least COMMON of the published cases, or among `words`: on PostgreSQL the published cases
    and each word's ts_rank, on SQLite every case the full-text index holds and the fields that
    hold the word (FIELD_BITS). The commonest words first, up to MAX_POSTINGS."""
    if words is not None and not words:
        return {}
    read = _read_postgresql if connection.vendor == "postgresql" else _read_sqlite
    found = read(case_ids, words)
    if words is None:
        kept, total = {}, 0
        for word, (ids, values) in sorted(found.items(), key=lambda item: -len(item[1][0])):
            if total + len(ids) > MAX_POSTINGS:
                break
            kept[word], total = (ids, values), total + len(ids)
        found = kept
    return found


def _common():
    """How many published cases a word must be in to be held."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM catalogue_case WHERE status = %s", [v.Status.PUBLISHED]
        )
        return max(1, math.ceil(COMMON * cursor.fetchone()[0]))


def _case_ids(ids):
    return ids.astype(np.int32 if not len(ids) or ids.max() < 2**31 else np.int64)


def _read_postgresql(case_ids, words):
    params = [v.Status.PUBLISHED]
    # A word with a backslash is not written as a tsquery here: left to the database.
    where = "WHERE position(E'\\\\' IN u.lexeme) = 0"
    if case_ids is not None:
        where += " AND s.id = ANY(%s)"
        params.append([int(i) for i in case_ids])
    having = ""
    if words is None:
        having = "HAVING count(*) >= %s"
        params.append(_common())
    else:
        where += " AND u.lexeme = ANY(%s)"
        params.append(list(words))
    rank = "ts_rank(s.search_vector, quote_literal(u.lexeme)::tsquery)"
    sql = (
        f"SELECT u.lexeme, string_agg(int8send(s.id) || float4send({rank}), ''::bytea) "
        f"FROM {SEARCH_TABLE} s JOIN catalogue_case c ON c.id = s.id AND c.status = %s, "
        f"unnest(s.search_vector) u {where} GROUP BY u.lexeme {having}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    found = {}
    for word, joined in rows:
        postings = np.frombuffer(bytes(joined), dtype=POSTING)
        ranks = postings["rank"].astype(np.float32)
        if np.any(ranks <= 0):  # the word did not read back as itself: left to the database
            continue
        found[word] = (_case_ids(postings["id"]), ranks)
    return found


def _read_sqlite(case_ids, words):
    """From the full-text index's own terms (stemmed by its tokenizer): every occurrence of a
    word, as its case's id and field. The whole index through an fts5vocab 'instance' table,
    a query per word (at start, or by a thread); a few changed cases copied to the scratch index
    (_scratch) and read from there in one query."""
    with connection.cursor() as cursor:
        if case_ids is not None:
            rows = _scratch(cursor, _copy(case_ids), f"SELECT term, {OCCURRENCE} FROM {{}}")
            held, found = set(words), {}
            for term, code in rows:
                if term in held:
                    found.setdefault(term, []).append(code)
            return {term: _postings(np.array(codes)) for term, codes in found.items()}
        cursor.execute(
            f"CREATE VIRTUAL TABLE IF NOT EXISTS temp.{INSTANCES} "
            f"USING fts5vocab(main, {FTS_TABLE}, instance)"
        )
        if words is None:
            cursor.execute(f"SELECT term FROM {VOCABULARY} WHERE doc >= %s", [_common()])
            words = [term for (term,) in cursor.fetchall()]
        found = {}
        for word in words:
            cursor.execute(
                f"SELECT group_concat({OCCURRENCE}, ',') FROM temp.{INSTANCES} WHERE term = %s",
                [word],
            )
            codes = numbers(cursor.fetchone()[0] or "", np.int64)
            if len(codes):
                found[word] = _postings(codes)
    return found


def _postings(codes):
    """(case ids, FIELD_BITS) from occurrences written as OCCURRENCE."""
    codes = np.sort(codes)
    first = np.concatenate(([True], (codes[1:] >> 2) != (codes[:-1] >> 2)))
    fields = np.bitwise_or.reduceat(1 << (codes & 3), np.flatnonzero(first))
    return _case_ids(codes[first] >> 2), fields.astype(np.uint8)


def _copy(case_ids):
    """Statements copying the cases' texts from the full-text index into the scratch index."""
    ids = [int(i) for i in case_ids]
    return [
        (
            f"INSERT INTO {SCRATCH}(rowid, title, summary, body) SELECT rowid, title, summary, "
            f"body FROM {FTS_TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})",
            chunk,
        )
        for chunk in (ids[at : at + 500] for at in range(0, len(ids), 500))
    ]


def _scratch(cursor, statements, select):
    """The rows `select` reads from the fts5vocab 'instance' table ({} in it) over a scratch
    full-text index with the main one's tokenizer, after `statements` [(sql, params)] have filled
    it: what the tokenizer makes of a text. Both tables are temporary, per connection, made on
    first use (and again if a rolled-back transaction took them away)."""
    try:
        cursor.execute(f"DELETE FROM {SCRATCH}")
    except OperationalError:  # not made yet on this connection
        cursor.execute(
            f"CREATE VIRTUAL TABLE {SCRATCH} USING fts5(title, summary, body, tokenize='{TOKENIZER}')"
        )
        cursor.execute(
            f"CREATE VIRTUAL TABLE temp.{SCRATCH_INSTANCES} "
            f"USING fts5vocab(temp, {SCRATCH.split('.')[1]}, instance)"
        )
    for sql, params in statements:
        cursor.execute(sql, params)
    cursor.execute(select.format(f"temp.{SCRATCH_INSTANCES}"))
    return cursor.fetchall()


_stems = {}  # SQLite: phrase: the terms the tokenizer makes of it, as the index holds them
MAX_STEMS = 10_000


def _terms_of(phrases):
    """SQLite: {phrase: the index's terms for it, in order}, as the tokenizer makes them (through
    the scratch index, in one query for all the phrases not seen before by this process)."""
    found = {phrase: _stems.get(phrase) for phrase in phrases}  # another thread may clear it
    new = [phrase for phrase, terms in found.items() if terms is None]
    if new:
        values = ", ".join(["(%s, %s, '', '')"] * len(new))
        params = [value for at, phrase in enumerate(new) for value in (at, phrase)]
        with connection.cursor() as cursor:
            rows = _scratch(
                cursor,
                [(f"INSERT INTO {SCRATCH}(rowid, title, summary, body) VALUES {values}", params)],
                'SELECT doc, term FROM {} ORDER BY doc, "offset"',
            )
        terms = {at: [] for at in range(len(new))}
        for at, term in rows:
            terms[at].append(term)
        read = {phrase: tuple(terms[at]) for at, phrase in enumerate(new)}
        if len(_stems) + len(read) > MAX_STEMS:
            _stems.clear()
        _stems.update(read)
        found.update(read)
    return found


def build(version):
    """The word index at `version`, read whole."""
    with unbounded():
        postings = _read()
    return WordIndex(version, facetindex.database_name(), postings, np.zeros(0, dtype=np.int64), {})


def refresh(index, version, changed):
    """The index with the given cases read again (left out where no longer published)."""
    changed = np.array(sorted(changed), dtype=np.int64)
    if not len(changed):
        return dataclasses.replace(index, version=version)
    with unbounded():
        read = _read(changed, index.postings)
    again = {}
    for word, (ids, ranks) in index.again.items():
        kept = ~np.isin(ids, changed)
        again[word] = (ids[kept], ranks[kept])
    for word, (ids, ranks) in read.items():
        old_ids, old_ranks = again.get(word, (ids[:0], ranks[:0]))
        again[word] = (np.concatenate([old_ids, ids]), np.concatenate([old_ranks, ranks]))
    return WordIndex(
        version, index.database, index.postings, np.union1d(index.stale, changed), again
    )


_lock = threading.Lock()
_current = None
_reading = None  # the thread reading the index whole, while it runs


def current(snapshot):
    """The word index at the snapshot's version (facetindex.current()), or None if searches go to
    the database: not PostgreSQL, a small catalogue, or the index being read."""
    global _current
    if connection.vendor not in VENDORS or len(snapshot) < MIN_CASES:
        return None
    index = _current
    if index is not None and index.version == snapshot.version and facetindex.same_database(index):
        return index
    with _lock:
        index = _current
        if index is not None and facetindex.same_database(index):
            if index.version == snapshot.version:
                return index
            changed = _changes(index, snapshot.version)
            if changed is not None:
                _current = refresh(index, snapshot.version, changed)
                return _current
        if _uncommitted():
            _current = build(snapshot.version)
            return _current
        _read_in_background()
        return None


def _uncommitted():
    """Whether this connection is inside a transaction, whose changes another connection (the
    thread's) cannot see: then the index is read here."""
    return connection.in_atomic_block


def _changes(index, version):
    """The cases changed since the index was read, or None if not known or too many."""
    changed = facetindex.changes_since(index, version)
    if changed is None or len(index.stale) + len(changed) > MAX_STALE:
        return None
    return changed


def _read_in_background():
    global _reading
    if _reading is not None and _reading.is_alive():
        return
    _reading = threading.Thread(target=_read_whole, name="word-index", daemon=True)
    _reading.start()


def _read_whole():
    global _current
    try:
        index = build(catalogue_version())  # the version first: later changes are read again
        with _lock:
            _current = index
    except Exception:
        logger.exception("The word index could not be read; searches go to the database.")
    finally:
        connection.close()


def warm(snapshot):
    """Read the index now (at process start, with the facet index)."""
    global _current
    if connection.vendor in VENDORS and len(snapshot) >= MIN_CASES:
        _current = build(snapshot.version)


def _word_of(tsquery):
    """The one word a tsquery (as PostgreSQL writes it) looks for, or None if it is more."""
    found = ONE_WORD.fullmatch(tsquery or "")
    return found[1].replace("''", "'") if found else None


def _forms(index, query, searched):
    """{phrase: the words this index would find it by}, or None if some form of it is not one
    word. On PostgreSQL its forms searched (`searched`: {(configuration, phrase): tsquery}). On
    SQLite every phrase of the query, as the tokenizer makes it one term, except a phrase with a
    term in no case (a spelling variant or a split no case has): it matches nothing, and is left
    out as _tsquery leaves out a form not searched."""
    forms = {}
    if connection.vendor == "postgresql":
        for (_, phrase), tsquery in searched.items():
            forms.setdefault(phrase, []).append(_word_of(tsquery))
        return None if any(None in words for words in forms.values()) else forms
    phrases = [text for group in query.groups for a in group for text in a]
    terms = _terms_of([*phrases, *query.excluded])
    unheld = {term for found in terms.values() for term in found if term not in index.postings}
    absent = unheld - _in_some_case(unheld)
    for phrase, found in terms.items():
        if not found or absent.intersection(found):
            continue
        if len(found) > 1:
            return None
        forms[phrase] = list(found)
    return forms


def _in_some_case(terms):
    """SQLite: those of the terms the full-text index holds."""
    if not terms:
        return set()
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT term FROM {VOCABULARY} WHERE term IN ({', '.join(['%s'] * len(terms))})",
            list(terms),
        )
        return {term for (term,) in cursor.fetchall()}


def matches(query, snapshot, ranked, broad, searched=None):
    """(ids, ranks) of the published cases the parsed query matches (search.Query), if every
    form of it (_forms) is one word this index holds; None if it cannot say: a form is not one
    held word, or the search is ranked and has at most `broad` matches (ranked by how near the
    words are, or by bm25, in the database). Ranked as the database ranks more matches: on
    PostgreSQL by ts_rank of the forms joined by ||, on SQLite by the fields that hold the
    query (search.FIELD_WEIGHTS)."""
    index = current(snapshot)
    if index is None or not query.groups:
        return None
    forms = _forms(index, query, searched)
    if forms is None:
        return None
    held = {}  # word: (positions, values)
    for word in {word for words in forms.values() for word in words}:
        held[word] = index.located(word, snapshot)
        if held[word] is None:
            return None

    def having(text, bit=None):  # the cases with any form of the phrase (in the field `bit`)
        mask = snapshot.nothing()
        for word in forms.get(text, ()):
            where, values = held[word]
            mask[where if bit is None else where[(values & bit) != 0]] = True
        return mask

    positions = np.flatnonzero(_evaluated(query, forms, snapshot, having))
    if not ranked:
        return snapshot.ids[positions], np.zeros(len(positions))
    if len(positions) <= broad:
        return None
    if connection.vendor == "postgresql":
        rank = _ts_rank(query, forms, held, snapshot)
    else:
        rank = _fields_rank(query, forms, snapshot, having)
    return snapshot.ids[positions], rank[positions].astype(np.float64)


def _evaluated(query, forms, snapshot, having):
    """The cases matching the query, as a mask; as the database's query is written: the groups
    joined by and, their alternatives by or (on PostgreSQL an alternative with a phrase no form
    of which is searched left out), the exclusions taken away."""
    result = snapshot.everything()
    for group in query.groups:
        either = snapshot.nothing()
        for alternative in group:
            if all(text in forms for text in alternative):
                either |= np.logical_and.reduce([having(text) for text in alternative])
        result &= either
    for text in query.excluded:
        result &= ~having(text)
    return result


def _ts_rank(query, forms, held, snapshot):
    """As ts_rank for the forms joined by ||: what each word weighs, summed in the order
    PostgreSQL sorts them (by their bytes), over their number."""
    ranked_words = {
        word
        for group in query.groups
        for alternative in group
        if all(text in forms for text in alternative)
        for text in alternative
        for word in forms[text]
    }
    rank = np.zeros(len(snapshot), dtype=np.float32)
    for word in sorted(ranked_words, key=str.encode):
        where, ranks = held[word]
        rank[where] += ranks
    return rank / np.float32(len(ranked_words))


def _fields_rank(query, forms, snapshot, having):
    """As search._sqlite_ranked_matches ranks a broad search: 1, plus the weight of each field
    that holds the query (the query restricted to that field, as FTS5's column filter does)."""
    rank = np.ones(len(snapshot))
    for field, weight in FIELD_WEIGHTS.items():
        bit = FIELD_BITS[field]
        in_field = functools.partial(having, bit=bit)
        rank += weight * _evaluated(query, forms, snapshot, in_field)
    return rank
