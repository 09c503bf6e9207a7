"""The facet index: the published cases' classification, held in memory by each process, so that
the case list's count, every facet count and the order of its pages (and the home page's counts
and a case page's related cases) cost no database work beyond the full-text match and one query
for the cases shown. The cases shown take their phases, service areas, co-producers and
activities from it too (`with_terms`), a case page the id of the case at its address
(`case_with_slug`), and searches the thesaurus (`thesaurus`).

A snapshot holds, per published case, the fields the filters read (as numpy arrays: codes for
text fields, numbers for the rest), the title, the slug as a number (`slug_key`), and one yes/no
column per term of each repeatable dimension and per activity. Each dimension (dimensions.py)
says how it narrows a snapshot (`mask`) and counts over it (`tally`), next to its filter in the
database, so both stay in one place. At 100,000 cases a snapshot holds about 18 MB (60 MB while
it is read); a filter and all its facet counts take a few milliseconds.

A snapshot is labelled with the catalogue version (cache.py) it was built at. When the version
has moved on, the cases changed in between are read again, if every change recorded which cases
it touched (cache.changes_between); otherwise, or after many changes, the whole snapshot is rebuilt
(one to two seconds at 100,000 cases: at process start, see wsgi.py, and after bulk writes). So the
first request after a publish reads one case, not the catalogue. On PostgreSQL the word index
(wordindex.py) follows the same versions, for the search's common words.
"""

import bisect
import dataclasses
import functools
import gc
import hashlib
import logging
import threading

import numpy as np
from django.db import connection
from django.db.models import Prefetch, prefetch_related_objects

from catalogue import vocabulary as v
from catalogue.cache import catalogue_version, changes_between
from catalogue.middleware import unbounded

logger = logging.getLogger(__name__)
MAX_CHANGED = 500  # more changed cases than this since the snapshot: rebuild it whole
MAX_VERSIONS = 100  # more changes than this since the snapshot: rebuild it whole
FIELDS = ("planning", "delivery", "country", "individual", "collective", "evidence_level")
YEARS = ("start_year", "end_year")
DENSE = 4  # ids per case, at most, for looking positions up in a table (Snapshot.position_of)
# The relations to terms the snapshot holds, by parameter: the three the list filters by, and the
# activities (under a phase), which case pages and the API take from here too (with_terms).
RELATIONS = {
    "phase": "phases",
    "area": "service_areas",
    "producer": "co_producers",
    "activity": "activities",
}
NO_YEAR = -1  # a missing year: it matches no year bound, as NULL does in SQL


@dataclasses.dataclass
class Snapshot:
    version: int
    ids: np.ndarray  # published case ids, ascending; every other array follows this order
    columns: dict  # field name: array (text fields as codes into `labels`)
    labels: dict  # text field name: [label of each code]
    terms: dict  # relation param: ([slug of each column], bool matrix cases x slugs)
    published: np.ndarray  # publication times (seconds since 1970; 0 if not known)
    titles: np.ndarray  # of str
    slug_keys: np.ndarray  # each case's slug as a number (slug_key), for finding a case by slug
    database: str = ""  # the database it was read from
    term_slugs: dict = dataclasses.field(default_factory=dict, repr=False)  # {param: {id: slug}}
    term_objects: dict = dataclasses.field(default_factory=dict, repr=False)  # {param: [term]}
    thesaurus: dict = dataclasses.field(default_factory=dict, repr=False)  # see _thesaurus()
    newest: np.ndarray = dataclasses.field(init=False, repr=False)  # positions, newest first
    _by_title: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _title_rank: np.ndarray | None = dataclasses.field(default=None, repr=False)
    _position_of: np.ndarray | None = dataclasses.field(default=None, repr=False)
    # {param: its matrix transposed (slugs x cases), for tallies}, made when first needed
    _by_term: dict = dataclasses.field(default_factory=dict, repr=False)
    _term_orders: dict = dataclasses.field(default_factory=dict, repr=False)  # see _term_order

    def __post_init__(self):
        # Newest first: by publication time, then id, both descending (as CaseQuerySet.newest).
        self.newest = np.lexsort((self.ids, self.published))[::-1].copy()

    def __len__(self):
        return len(self.ids)

    def everything(self):
        return np.ones(len(self), dtype=bool)

    def nothing(self):
        return np.zeros(len(self), dtype=bool)

    def equal(self, name, value):
        """Cases whose text field `name` is `value`."""
        labels = self.labels[name]
        if value not in labels:
            return self.nothing()
        return self.columns[name] == labels.index(value)

    def tally_labels(self, name, mask):
        """{label: number of masked cases with it} for a text field."""
        counts = np.bincount(self.columns[name][mask], minlength=len(self.labels[name]))
        return {label: int(n) for label, n in zip(self.labels[name], counts, strict=True) if n}

    def having_all(self, param, slugs):
        """Cases related to every one of the slugs."""
        names, matrix = self.terms[param]
        if any(slug not in names for slug in slugs):
            return self.nothing()
        return matrix[:, [names.index(slug) for slug in slugs]].all(axis=1)

    def sharing(self, param, slugs):
        """Cases related to at least one of the slugs (unknown slugs are left out)."""
        names, matrix = self.terms[param]
        columns = [names.index(slug) for slug in slugs if slug in names]
        return matrix[:, columns].any(axis=1) if columns else self.nothing()

    def tally_terms(self, param, mask):
        """{slug: number of masked cases related to it}. Counted along each term's row of the
        transposed matrix: a twentieth of the time of selecting the masked cases' rows."""
        names, matrix = self.terms[param]
        if param not in self._by_term:
            self._by_term[param] = np.ascontiguousarray(matrix.T)
        counts = np.count_nonzero(self._by_term[param] & mask, axis=1)
        return {slug: int(n) for slug, n in zip(names, counts, strict=True) if n}

    def cell_counts(self):
        """{(planning, delivery): number of cases}: the matrix."""
        planning, delivery = self.labels.get("planning", []), self.labels.get("delivery", [])
        pairs = self.columns["planning"].astype(np.int32) * max(len(delivery), 1)
        pairs += self.columns["delivery"]
        counts = np.bincount(pairs, minlength=len(planning) * len(delivery))
        return {
            (p, d): int(counts[i * len(delivery) + j])
            for i, p in enumerate(planning)
            for j, d in enumerate(delivery)
            if counts[i * len(delivery) + j]
        }

    def level_counts(self):
        """{evidence level: number of cases}."""
        counts = np.bincount(self.columns["evidence_level"])
        return {level: int(n) for level, n in enumerate(counts) if n}

    def locate(self, ids):
        """(positions, found): where each of the given case ids is, and whether it is here. Looked
        up in a table by id (position_of) where the ids are dense enough for one, else by binary
        search."""
        ids = np.asarray(ids, dtype=np.int64)
        if not len(self):
            return np.zeros(len(ids), dtype=np.int64), np.zeros(len(ids), dtype=bool)
        table = self.position_of()
        if table is not None:
            where = table[ids.clip(0, len(table) - 1)]
            found = (where >= 0) & (ids >= 0) & (ids < len(table))
            return where.clip(min=0).astype(np.int64), found
        where = np.searchsorted(self.ids, ids).clip(max=len(self) - 1)
        return where, self.ids[where] == ids

    def position_of(self):
        """An array of each id's position (-1 where no published case has it), or None if the
        ids are too sparse for one (more than DENSE times as many ids as cases)."""
        if self._position_of is None:
            top = int(self.ids[-1]) + 1 if len(self) else 0
            dense = top <= DENSE * len(self) + 1000
            self._position_of = np.full(top if dense else 0, -1, dtype=np.int32)
            if dense:
                self._position_of[self.ids] = np.arange(len(self), dtype=np.int32)
        return self._position_of if len(self._position_of) else None

    def positions(self, ids):
        """The positions of the given case ids, in their order, leaving out any not here."""
        where, found = self.locate(ids)
        return where[found]

    def by_title(self):
        """Positions by title, then id, as the database sorts them (CaseQuerySet.by_title):
        sorted here when the database compares text by code point, as SQLite and PostgreSQL's
        C collations do (and kept in step by `refresh`), else read from the database once per
        snapshot, when first needed."""
        if self._by_title is None:
            if _titles_by_code_point():
                # Positions follow the ids, so a stable sort orders equal titles by id.
                self._by_title = np.argsort(self.titles, kind="stable")
            else:
                from catalogue.models import Case

                ids = Case.objects.published().by_title().values_list("id", flat=True)
                self._by_title = self.positions(list(ids))
        return self._by_title

    def title_rank(self):
        """Each position's place in the title order (by_title)."""
        if self._title_rank is None:
            rank = np.empty(len(self), dtype=np.int64)
            rank[self.by_title()] = np.arange(len(self))
            self._title_rank = rank
        return self._title_rank

    def order(self, name):
        """Positions in a named order of the list (filters.SORTS) other than relevance
        (relevance_page)."""
        if name == "newest":
            return self.newest
        by_title = self.by_title()
        if name == "title":
            return by_title
        # Strongest evidence first, then by title (a stable sort keeps the title order).
        levels = self.columns["evidence_level"][by_title]
        return by_title[np.argsort(-levels, kind="stable")]

    def related(self, case_id, limit):
        """The ids of up to `limit` cases like the given one, newest first within each tier: the
        same matrix cell and a shared service area, then the same cell, then a shared area,
        then a shared phase."""
        where, found = self.locate([case_id])
        if not found[0] or limit < 1:
            return []
        at = where[0]
        others = self.everything()
        others[at] = False
        cell = (self.columns["planning"] == self.columns["planning"][at]) & (
            self.columns["delivery"] == self.columns["delivery"][at]
        )
        shares = {
            param: self.sharing(param, self.slugs_of(param, at)) for param in ("area", "phase")
        }
        picked = []
        for tier in (cell & shares["area"], cell, shares["area"], shares["phase"]):
            for case in self.page(others & tier, self.newest, 0, limit):
                if case not in picked:
                    picked.append(case)
        return picked[:limit]

    def slugs_of(self, param, at):
        """The slugs of the terms of the case at a position, in the snapshot's column order."""
        names, matrix = self.terms[param]
        return [names[i] for i in np.flatnonzero(matrix[at])]

    def with_terms(self, cases, relations=None):
        """The cases, each given its phases, service areas, co-producers and activities (or those
        of the `relations` named) from the snapshot, as `prefetch_related` would give them (in
        the model's order, an activity with its phase), so that reading them costs no query.
        Cases the snapshot does not hold (unpublished) read them from the database."""
        where, found = self.locate([case.pk for case in cases])
        chosen = [(p, r) for p, r in RELATIONS.items() if relations is None or r in relations]
        for case, at, held in zip(cases, where.tolist(), found.tolist(), strict=True):
            if not held:
                continue
            cache = case.__dict__.setdefault("_prefetched_objects_cache", {})
            for param, relation in chosen:
                order, kept = self._term_order(param)
                queryset = getattr(case, relation).get_queryset()
                queryset._result_cache = [
                    kept[i] for i in np.flatnonzero(self.terms[param][1][at, order])
                ]
                queryset._prefetch_done = True
                cache[relation] = queryset
        missing = [case for case, held in zip(cases, found.tolist(), strict=True) if not held]
        if missing:
            lookups = [Prefetch(relation, terms_of(relation)) for _, relation in chosen]
            prefetch_related_objects(missing, *lookups)
        return cases

    def _term_order(self, param):
        """(the relation's columns of the matrix in the model's order, their terms)."""
        if param not in self._term_orders:
            slugs = self.terms[param][0]
            column = {slug: at for at, slug in enumerate(slugs)}
            kept = [t for t in self.term_objects[param] if t.slug in column]
            order = np.array([column[t.slug] for t in kept], dtype=np.int64)
            self._term_orders[param] = (order, kept)
        return self._term_orders[param]

    def case_with_slug(self, slug):
        """The id of the case with this slug, if the snapshot holds it (None if it holds no such
        case, or if two of its slugs share the number: the caller asks the database then)."""
        found = np.flatnonzero(self.slug_keys == slug_key(slug))
        return int(self.ids[found[0]]) if len(found) == 1 else None

    def relevance_page(self, mask, relevance, start, stop):
        """The ids of the masked cases at [start:stop] by relevance: `relevance` is (case ids,
        ranks) from the full-text match; higher ranks first, then by title and id as
        CaseQuerySet.ranked. Only the cases that can reach the page are sorted: those ranked
        above the stop-th best rank, and the first by title of those ranked equal to it (at
        100,000 cases a first page sorts 20 cases, not the 90,000 a common word matches)."""
        ids, ranks = relevance
        where, found = self.locate(ids)
        found[found] = mask[where[found]]
        where, ranks = where[found], -np.asarray(ranks, dtype=np.float64)[found]
        titles = self.title_rank()[where]
        if 0 < stop < len(where):
            kth = np.partition(ranks, stop - 1)[stop - 1]
            better, tied = np.flatnonzero(ranks < kth), np.flatnonzero(ranks == kth)
            wanted = stop - len(better)
            if wanted < len(tied):
                tied = tied[np.argpartition(titles[tied], wanted - 1)[:wanted]]
            reach = np.concatenate([better, tied])
            where, ranks, titles = where[reach], ranks[reach], titles[reach]
        best = where[np.lexsort((titles, ranks))]
        return [int(i) for i in self.ids[best[start:stop]]]

    def page(self, mask, order, start, stop):
        """The ids of the masked cases at [start:stop] in the given order of positions. The
        order is read in growing slices until the page is full: the first pages of a broad
        list read a few hundred positions, not the whole catalogue."""
        parts, found, read, step = [order[:0]], 0, 0, 512
        while read < len(order) and found < stop:
            chunk = order[read : read + step]
            parts.append(chunk[mask[chunk]])
            found += len(parts[-1])
            read, step = read + step, step * 4
        return [int(i) for i in self.ids[np.concatenate(parts)[start:stop]]]


def read_joined(table, columns, where="", params=()):
    """Columns of a table, each read as one comma-joined string: at 100,000 rows many
    times faster than fetching the rows one by one. Values are numbers or slugs, so never hold
    a comma; NULL must be replaced in SQL (the aggregates skip it)."""
    if connection.vendor == "postgresql":
        joined = "string_agg(({})::text, ',')"
    else:
        joined = "group_concat({}, ',')"
    # Every aggregate reads the same rows in the same order, so the lists stay aligned.
    selected = ", ".join(joined.format(column) for column in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {selected} FROM {table} {where}", list(params))
        row = cursor.fetchone()
    return [value or "" for value in row]


def numbers(joined, dtype):
    """The numbers of a comma-joined string, parsed by numpy without a Python object each."""
    return np.fromstring(joined, dtype=dtype, sep=",")


def _read(case_ids=None, term_slugs=None):
    """The published cases (all of them, or those among `case_ids`): their fields, publication
    time and links to terms; the terms themselves as `term_slugs` gives them ({param: {term id:
    slug}}), or else read too (their objects, in the model's order)."""
    from catalogue.models import Case

    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        seconds, flag = "EXTRACT(EPOCH FROM {})", "({})::int"
    else:  # SQLite's date functions keep milliseconds: ties within one are ordered by id
        seconds, flag = "(julianday({}) - 2440587.5) * 86400.0", "{}"
    expressions = {
        "id": quote("id"),
        "seconds": f"coalesce({seconds.format(quote('published_at'))}, 0)",
        **{name: quote(name) for name in FIELDS},
        **{name: flag.format(quote(name)) for name in ("individual", "collective")},
        **{name: f"coalesce({quote(name)}, {NO_YEAR})" for name in YEARS},
    }
    where, params = f"WHERE {quote('status')} = %s", [v.Status.PUBLISHED]
    if case_ids is not None:
        where += f" AND {quote('id')} IN ({', '.join(['%s'] * len(case_ids))})"
        params += list(case_ids)
    table = quote(Case._meta.db_table)
    values = read_joined(table, expressions.values(), where, params)
    values = dict(zip(expressions, values, strict=True))
    with connection.cursor() as cursor:  # titles hold commas: read as rows
        columns = ", ".join(quote(name) for name in ("id", "title", "slug"))
        cursor.execute(f"SELECT {columns} FROM {table} {where}", params)
        values["names"] = {case: (title, slug) for case, title, slug in cursor.fetchall()}
    links = {}
    for param, relation in RELATIONS.items():
        field = getattr(Case, relation).field
        if term_slugs is None:
            objects = list(terms_of(relation))
            slugs = {term.id: term.slug for term in objects}
        else:
            objects, slugs = None, term_slugs[param]
        links[param] = (slugs, _pairs(field, case_ids), objects)
    return values, links


def terms_of(relation):
    """The terms of a relation of cases, as the snapshot holds them: in the model's order, each
    with what it refers to (an activity, its phase)."""
    from catalogue.models import Case

    return getattr(Case, relation).field.related_model.objects.select_related()


def slug_key(slug):
    """A slug as a number, the same in every process: the snapshot holds each case's, so that a
    case page finds the case's id without a query (Snapshot.case_with_slug)."""
    digest = hashlib.blake2b(slug.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def _pairs(field, case_ids):
    """The (case id, term id) links of a many-to-many field (of the given cases, or all), as an
    n x 2 array."""
    through = field.remote_field.through._meta
    quote = connection.ops.quote_name
    case = quote(through.get_field(field.m2m_field_name()).column)
    term = quote(through.get_field(field.m2m_reverse_field_name()).column)
    where, params = "", []
    if case_ids is not None:
        where = f"WHERE {case} IN ({', '.join(['%s'] * len(case_ids))})"
        params = list(case_ids)
    cases, terms = read_joined(quote(through.db_table), [case, term], where, params)
    return np.column_stack([numbers(cases, np.int64), numbers(terms, np.int64)])


def _arrays(values, labels):
    """Numpy columns, sorted by id, for the values `_read` gives; text is coded by `labels`
    (extended with any new label)."""
    ids = numbers(values["id"], np.int64)
    by_id = np.argsort(ids)
    published = numbers(values["seconds"], np.float64)[by_id]
    columns = {}
    for name in FIELDS + YEARS:
        column = values[name]
        if name in YEARS:
            columns[name] = numbers(column, np.int16)
        elif name in ("individual", "collective"):
            columns[name] = numbers(column, np.int8).astype(bool)
        elif name == "evidence_level":
            columns[name] = numbers(column, np.int8)
        else:
            column = column.split(",") if column else []
            known = labels.setdefault(name, [])
            known.extend(sorted(set(column) - set(known)))
            codes = {label: code for code, label in enumerate(known)}
            columns[name] = np.array([codes[x] for x in column], dtype=np.int16)
        columns[name] = columns[name][by_id]
    ids = ids[by_id]
    # Read by id: a case published between the two reads is left without a title or slug
    # here, and read again when its change comes through.
    names = [values["names"].get(i, ("", "")) for i in ids.tolist()]
    titles = np.array([title for title, _ in names], dtype=object)
    slug_keys = np.fromiter((slug_key(slug) for _, slug in names), np.int64, len(names))
    return ids, published, columns, titles, slug_keys


def _matrices(ids, links, names):
    """For each relation, a bool matrix (case x slug) over the case ids, slugs kept in `names`
    (extended with new slugs). Links of cases not among `ids` are left out."""
    terms = {}
    for param, (slugs_by_id, pairs, _) in links.items():
        slugs = names.setdefault(param, [])
        slugs.extend(sorted(set(slugs_by_id.values()) - set(slugs)))
        # term id -> column of the matrix (-1: a term no longer there)
        column = np.full(max(slugs_by_id, default=0) + 1, -1)
        for term_id, slug in slugs_by_id.items():
            column[term_id] = slugs.index(slug)
        matrix = np.zeros((len(ids), len(slugs)), dtype=bool)
        if len(pairs) and len(ids):
            where = np.searchsorted(ids, pairs[:, 0]).clip(max=len(ids) - 1)
            terms_of = pairs[:, 1].clip(max=len(column) - 1)
            kept = (ids[where] == pairs[:, 0]) & (column[terms_of] >= 0)
            kept &= pairs[:, 1] < len(column)
            matrix[where[kept], column[terms_of[kept]]] = True
        terms[param] = (slugs, matrix)
    return terms


def build(version):
    """A snapshot of every published case."""
    values, links = _read()
    labels = {}
    ids, published, columns, titles, slug_keys = _arrays(values, labels)
    terms = _matrices(ids, links, {})
    snapshot = Snapshot(
        version, ids, columns, labels, terms, published, titles, slug_keys, database_name()
    )
    snapshot.term_slugs = {param: slugs for param, (slugs, _, _) in links.items()}
    snapshot.term_objects = {param: objects for param, (_, _, objects) in links.items()}
    snapshot.thesaurus = _thesaurus()
    if _titles_by_code_point():
        snapshot.by_title()  # now, rather than in the first request sorted by title
    return snapshot


def _thesaurus():
    """{word or phrase: the words and phrases a search for it also finds}, from the search
    thesaurus (models.SynonymGroup), read with every snapshot: searches read it from here."""
    from catalogue.models import SynonymGroup

    found = {}
    for group in SynonymGroup.objects.all():
        terms = group.term_list()
        for term in terms:
            others = found.setdefault(term, [])
            others.extend(t for t in terms if t != term and t not in others)
    return {term: tuple(others) for term, others in found.items()}


def refresh(snapshot, version, changed):
    """The snapshot with the given cases read again (removed if no longer published): each column
    loses the changed rows and gains the rows read again at their place by id, without sorting
    the catalogue again."""
    changed = sorted(changed)
    if not changed:
        return dataclasses.replace(snapshot, version=version, thesaurus=_thesaurus())
    # A term saved or deleted changes the version without naming cases, so the snapshot is then
    # read whole: until then its terms are the ones it was read with.
    values, links = _read(changed, snapshot.term_slugs)
    labels = {name: list(known) for name, known in snapshot.labels.items()}
    new_ids, new_published, new_columns, new_titles, new_slug_keys = _arrays(values, labels)
    names = {param: list(slugs) for param, (slugs, _) in snapshot.terms.items()}
    new_terms = _matrices(new_ids, links, names)
    keep = ~np.isin(snapshot.ids, np.array(changed, dtype=np.int64))
    at = np.searchsorted(snapshot.ids[keep], new_ids)  # where each row read again goes
    merged = _splicer(keep, at)

    columns = {name: merged(snapshot.columns[name], new_columns[name]) for name in FIELDS + YEARS}
    terms = {}
    for param, (slugs, matrix) in new_terms.items():
        old = snapshot.terms[param][1]
        terms[param] = (
            slugs,
            merged(np.pad(old, ((0, 0), (0, len(slugs) - old.shape[1]))), matrix),
        )
    updated = Snapshot(
        version,
        merged(snapshot.ids, new_ids),
        columns,
        labels,
        terms,
        merged(snapshot.published, new_published),
        merged(snapshot.titles, new_titles),
        merged(snapshot.slug_keys, new_slug_keys),
        snapshot.database,
        snapshot.term_slugs,
        snapshot.term_objects,
        _thesaurus(),
    )
    if snapshot._by_title is not None and _titles_by_code_point():
        updated._by_title = _merged_title_order(snapshot, updated, keep, at)
    return updated


def _splicer(keep, at):
    """A function giving, for an old column and the new rows of the cases read again, the new
    column: the old rows where `keep`, with new row j put before the kept row at[j]. It copies
    the runs of rows between changes as they are (a few slices, not a gather of every row)."""
    kept = np.flatnonzero(keep)
    events = [(int(r), 1, 0) for r in np.flatnonzero(~keep)]  # rows left out
    events += [(int(kept[a]) if a < len(kept) else len(keep), 0, j) for j, a in enumerate(at)]
    events.sort()

    def splice(old, new):
        pieces, cursor = [], 0
        for position, removed, j in events:
            pieces.append(old[cursor:position])
            if removed:
                cursor = position + 1
            else:
                pieces.append(new[j : j + 1])
                cursor = position
        pieces.append(old[cursor:])
        return np.concatenate(pieces, axis=0)

    return splice


def _merged_title_order(old, new, keep, at):
    """The new snapshot's title order from the old one's: the kept cases in their old order, and
    each case read again put in its place by a binary search on titles, not a sort of them all."""
    order = old.by_title()
    order = order[keep[order]]  # kept rows, in title order, by their old position
    # Their new positions: each moves down by the rows left out before it, up by those put in.
    left_out = np.flatnonzero(~keep)
    put_in = at + np.arange(len(at))  # the new positions of the rows read again
    kept_index = order - np.searchsorted(left_out, order)  # index among the kept rows
    order = kept_index + np.searchsorted(at, kept_index, side="right")

    def key(position):
        return (new.titles[position], int(new.ids[position]))

    for position in sorted(put_in.tolist(), key=key):
        where = bisect.bisect_left(order, key(position), key=key)
        order = np.insert(order, where, position)
    return order


_lock = threading.Lock()
_current = None


def current():
    """The snapshot for the current catalogue version, brought up to date if needed."""
    global _current
    version = catalogue_version()
    snapshot = _current
    if snapshot is not None and snapshot.version == version and same_database(snapshot):
        return snapshot
    with _lock:
        snapshot = _current
        if snapshot is None or snapshot.version != version or not same_database(snapshot):
            changed = changes_since(snapshot, version)
            with unbounded():  # read for every visitor, so not within one request's bound
                snapshot = (
                    build(version) if changed is None else refresh(snapshot, version, changed)
                )
            _current = snapshot
    return snapshot


def held():
    """The snapshot this process holds, without asking the cache for the catalogue version: for
    reads within a request that has already asked `current()` (the thesaurus for each search
    word, the terms for checking filter values), so that each costs no round trip to the
    shared cache. Read anew if the process holds none, or one of another database."""
    snapshot = _current
    if snapshot is None or not same_database(snapshot):
        return current()
    return snapshot


@functools.cache
def _code_point_collation(database):
    if connection.vendor == "sqlite":
        return True  # BINARY
    with connection.cursor() as cursor:
        cursor.execute("SELECT datcollate FROM pg_database WHERE datname = current_database()")
        collation = cursor.fetchone()[0]
    return collation in ("C", "POSIX") or collation.startswith("C.")


def _titles_by_code_point():
    """Whether the database orders titles by code point, as Python compares strings."""
    return _code_point_collation(database_name())


def warm():
    """Read the snapshot and the word index (wordindex.py) now (at process start), if the database
    is ready; then let go of the connection, so a server that forks workers after loading the
    application does not share it. Last, everything loaded so far (the application, the indexes)
    is left out of the garbage collector's later passes (gc.freeze): at 100,000 cases each full
    pass over it took 40-60 ms, once every few dozen requests, in whichever request it fell;
    without it, 4-12 ms. Reference counting still frees what is let go (a replaced snapshot)."""
    from catalogue import wordindex

    try:
        wordindex.warm(current())
    except Exception:  # the database or the cache not ready: the worker must still start
        logger.warning("The facet index could not be read at start; it will be at first use.")
    finally:
        connection.close()
    gc.collect()
    gc.freeze()


def database_name():
    return str(connection.settings_dict["NAME"])


def same_database(snapshot):
    return snapshot.database == database_name()


def changes_since(snapshot, version):
    """The ids of the cases changed since the snapshot, or None if that is not known."""
    if snapshot is None or not same_database(snapshot):
        return None
    if not 0 < version - snapshot.version <= MAX_VERSIONS:
        return None
    changed = changes_between(snapshot.version, version)
    return changed if changed is not None and len(changed) <= MAX_CHANGED else None
