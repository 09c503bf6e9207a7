"""The word index (PostgreSQL): the published cases' common words, held in memory by each process,
so that a search for words in most of the catalogue is answered without reading their vectors.

PostgreSQL finds the cases with a word through its GIN index, but it reads every matching case's
`search_vector` to return and rank it: at 100,000 cases, a word in 90,000 of them took 40 ms to
find and 65 ms to rank, whatever the page shows. This index holds, for each word (lexeme) in at
least COMMON of the published cases, which cases have it and what it weighs in each (its ts_rank
alone, read from the database). A search whose every form (search._searched) is one such word is
answered here: the cases by the same and, or and not as the tsquery, and, for more than BROAD
matches, the rank the database gives them then (ts_rank of the forms joined by ||: the sum of
what each weighs, over their number; the same to within float rounding). Any other search, a
phrase, a rarer word, or a ranked search with fewer matches (ranked by how near the words are),
is the database's, whose index answers it quickly: it matches few cases.

The index is labelled with the catalogue version it was read at. A process reads it at start
(wsgi.py, with the facet index); when the version moves on, the cases changed in between are read
again, as the facet index does. When that is not known (a bulk write, a term's change), the index
is read again by a thread of its own (about three seconds at 100,000 cases), and searches go to
the database until it is ready, so that no visitor waits for it; inside a transaction, whose
changes another connection cannot see (a test's), it is read in the request. Catalogues of fewer
than MIN_CASES cases have none: the database is quick there.
"""

import dataclasses
import logging
import re
import threading

import numpy as np
from django.db import connection

from catalogue import facetindex
from catalogue import vocabulary as v
from catalogue.cache import catalogue_version
from catalogue.middleware import unbounded

logger = logging.getLogger(__name__)

MIN_CASES = 1000  # published cases: fewer, and the database answers every search
COMMON = 0.05  # of the published cases: a word in more is held
MAX_POSTINGS = 10_000_000  # (case, word) pairs held at most (80 MB): the commonest words first
MAX_STALE = 20_000  # cases read again since the index was read: more, and it is read whole
SEARCH_TABLE = "catalogue_case_search"
# Each posting: the case's id (int8) and the word's ts_rank in its vector (float4), as read.
POSTING = np.dtype([("id", ">i8"), ("rank", ">f4")])
# A tsquery of one word, as PostgreSQL writes it: 'word' (a quote in it doubled).
ONE_WORD = re.compile(r"'((?:[^']|'')+)'")


@dataclasses.dataclass(frozen=True)
class WordIndex:
    version: int
    database: str
    postings: dict  # word: (case ids, ranks) as read
    stale: np.ndarray  # ids of the cases read again since: their postings above are out of date
    again: dict  # word: (case ids, ranks) of those cases, as read again

    def located(self, word, snapshot):
        """(positions in the snapshot, ranks) of the published cases with the word, or None if
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
    """{word: (case ids, ranks)} of the published cases (all, or those among `case_ids`), for the
    words in at least COMMON of them, or among `words`."""
    params = [v.Status.PUBLISHED]
    # A word with a backslash is not written as a tsquery here: left to the database.
    where = "WHERE position(E'\\\\' IN u.lexeme) = 0"
    if case_ids is not None:
        where += " AND s.id = ANY(%s)"
        params.append([int(i) for i in case_ids])
    having = ""
    if words is None:
        having = (
            "HAVING count(*) >= greatest(1, ceil(%s * (SELECT count(*) FROM catalogue_case "
            "WHERE status = %s)))"
        )
        params += [COMMON, v.Status.PUBLISHED]
    elif not words:
        return {}
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
        ids = postings["id"]
        found[word] = (ids.astype(np.int32 if ids.max() < 2**31 else np.int64), ranks)
    if words is None:  # the commonest words first, up to the bound
        kept, total = {}, 0
        for word, (ids, ranks) in sorted(found.items(), key=lambda item: -len(item[1][0])):
            if total + len(ids) > MAX_POSTINGS:
                break
            kept[word], total = (ids, ranks), total + len(ids)
        found = kept
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
    if connection.vendor != "postgresql" or len(snapshot) < MIN_CASES:
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
    if connection.vendor == "postgresql" and len(snapshot) >= MIN_CASES:
        _current = build(snapshot.version)


def _word_of(tsquery):
    """The one word a tsquery (as PostgreSQL writes it) looks for, or None if it is more."""
    found = ONE_WORD.fullmatch(tsquery or "")
    return found[1].replace("''", "'") if found else None


def matches(query, searched, snapshot, ranked, broad):
    """(ids, ranks) of the published cases the parsed query matches (search.Query), with every
    form of it searched (`searched`: {(configuration, phrase): its tsquery}) one word this index
    holds; None if it cannot say: a form is not one held word, or the search is ranked and has
    at most `broad` matches (PostgreSQL ranks those by how near the words are)."""
    index = current(snapshot)
    if index is None or not query.groups:
        return None
    held, forms = {}, {}  # word: (positions, ranks); phrase: the words of its forms searched
    for (_, phrase), tsquery in searched.items():
        word = _word_of(tsquery)
        if word is None:
            return None
        if word not in held:
            held[word] = index.located(word, snapshot)
            if held[word] is None:
                return None
        forms.setdefault(phrase, []).append(word)

    def having(text):  # the cases with any form of the phrase
        mask = snapshot.nothing()
        for word in forms.get(text, ()):
            mask[held[word][0]] = True
        return mask

    # As _tsquery writes it: an alternative with a phrase no form of which is searched is left
    # out; the groups joined by and, their alternatives by or; the exclusions taken away.
    result, ranked_words = snapshot.everything(), set()
    for group in query.groups:
        either = snapshot.nothing()
        for alternative in group:
            if all(text in forms for text in alternative):
                either |= np.logical_and.reduce([having(text) for text in alternative])
                ranked_words.update(word for text in alternative for word in forms[text])
        result &= either
    for text in query.excluded:
        result &= ~having(text)
    positions = np.flatnonzero(result)
    if not ranked:
        return snapshot.ids[positions], np.zeros(len(positions))
    if len(positions) <= broad:
        return None
    # As ts_rank for the forms joined by ||: what each word weighs, summed in the order
    # PostgreSQL sorts them (by their bytes), over their number.
    rank = np.zeros(len(snapshot), dtype=np.float32)
    for word in sorted(ranked_words, key=str.encode):
        where, ranks = held[word]
        rank[where] += ranks
    rank /= np.float32(len(ranked_words))
    return snapshot.ids[positions], rank[positions].astype(np.float64)
