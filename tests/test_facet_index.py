"""The facet index (catalogue/facetindex.py) gives exactly what the database gives: counts, facet
counts and the order of every page, for any parameters, and stays exact through every kind of
change to the catalogue."""

import numpy as np
import pytest
from django.http import QueryDict
from hypothesis import given, settings
from hypothesis import strategies as st

from catalogue import facetindex, services
from catalogue import vocabulary as v
from catalogue.cache import catalogue_version
from catalogue.dimensions import FACETED
from catalogue.facets import facet_counts
from catalogue.filters import SORTS, CaseFilter
from catalogue.models import Activity, Case, CoProducer, Phase, ServiceArea

pytestmark = pytest.mark.django_db

WORDS = ["care", "community", "health", "budget", "young people", "-council", "food OR garden"]


def _filterset(query):
    return CaseFilter(QueryDict(query), queryset=Case.objects.published())


@st.composite
def parameters(draw):
    """Up to five parameters with real values, as a query string."""
    choices = {
        "phase": list(v.Phase.values),
        "planning": list(v.Planning.values),
        "delivery": list(v.Delivery.values),
        "type": list(v.Benefit.values),
        "evidence_min": [str(x) for x in v.EvidenceLevel.values],
        "area": list(ServiceArea.objects.values_list("slug", flat=True)[:12]),
        "producer": list(CoProducer.objects.values_list("slug", flat=True)[:8]),
        "country": ["GB", "US", "NO", "BR", "NZ"],
        "year_from": ["1990", "2005", "2012"],
        "year_to": ["2000", "2010", "2015"],
        "q": WORDS,
        "sort": list(SORTS),
    }
    names = draw(st.lists(st.sampled_from(sorted(choices)), max_size=5))
    params = QueryDict(mutable=True)
    for name in names:
        params.appendlist(name, draw(st.sampled_from(choices[name])))
    return params.urlencode()


@settings(deadline=None)
@given(query=parameters(), checked=st.sampled_from([d.param for d in FACETED]))
def test_counts_facets_and_order_are_the_databases(seed_catalogue, query, checked):
    """The count and the order of all matches, and one facet's counts (each option against the
    database's count after choosing it)."""
    filterset = _filterset(query)
    in_database = list(filterset.qs.values_list("id", flat=True))
    assert filterset.count() == len(in_database)
    assert filterset.page_ids(0, len(in_database) + 5) == in_database
    for start in (0, 1, 4):  # pages shorter than the list: only what can reach them is sorted
        assert filterset.page_ids(start, start + 3) == in_database[start : start + 3]
    for facet in facet_counts(filterset):
        if facet.name != checked:
            continue
        dimension = next(d for d in FACETED if d.param == facet.name)
        for option in facet.options:
            params = QueryDict(query, mutable=True)
            if dimension.repeatable:
                if option.selected:
                    continue
                params.appendlist(facet.name, option.value)
            else:
                params.setlist(facet.name, [option.value])
            expected = _filterset(params.urlencode()).qs.count()
            assert option.count == expected, (query, facet.name, option.value)


def _same(snapshot, fresh):
    assert snapshot.ids.tolist() == fresh.ids.tolist()
    assert snapshot.titles.tolist() == fresh.titles.tolist()
    assert snapshot.slug_keys.tolist() == fresh.slug_keys.tolist()
    for name in fresh.columns:
        decode = (
            (lambda s, n: [s.labels[n][c] for c in s.columns[n]])
            if name in fresh.labels
            else (lambda s, n: s.columns[n].tolist())
        )
        assert decode(snapshot, name) == decode(fresh, name), name
    for param, (slugs, matrix) in fresh.terms.items():
        own_slugs, own = snapshot.terms[param]
        for slug in set(slugs) | set(own_slugs):
            mine = own[:, own_slugs.index(slug)] if slug in own_slugs else np.zeros(len(own), bool)
            theirs = matrix[:, slugs.index(slug)] if slug in slugs else np.zeros(len(matrix), bool)
            assert mine.tolist() == theirs.tolist(), (param, slug)
    assert snapshot.newest.tolist() == fresh.newest.tolist()
    assert snapshot.by_title().tolist() == fresh.by_title().tolist()


def _terms_as_in_the_database(snapshot):
    """Every case's phases, areas, co-producers and activities (with their phases), given by the
    index (or, for unpublished cases, read from the database), equal the database's, in the same
    order; and the index finds each published case by its slug."""
    relations = facetindex.RELATIONS.values()
    given = snapshot.with_terms(list(Case.objects.order_by("id")))
    read = Case.objects.order_by("id").prefetch_related(*relations)
    for mine, theirs in zip(given, read, strict=True):
        for relation in relations:
            ours = [(t.slug, getattr(t, "phase", None)) for t in getattr(mine, relation).all()]
            assert ours == [
                (t.slug, getattr(t, "phase", None)) for t in getattr(theirs, relation).all()
            ], (mine.slug, relation)
        published = mine.status == v.Status.PUBLISHED
        assert snapshot.case_with_slug(mine.slug) == (mine.pk if published else None)


def test_each_kind_of_change_is_read_again_exactly(client, seed_catalogue, make_case, editor):
    """Publishing, editing, withdrawing, re-classifying and deleting cases, each followed by a
    request: the index brought up to date by reading the changed case equals one built anew."""
    client.get("/cases/")
    waiting = make_case(slug="waiting", title="A waiting case", status="submitted")
    client.get("/cases/")
    before = facetindex.current()

    def changed_then_compared(change):
        change()
        client.get("/cases/?sort=title")
        snapshot = facetindex.current()
        assert snapshot.version == catalogue_version()
        _same(snapshot, facetindex.build(snapshot.version))
        _terms_as_in_the_database(snapshot)
        return snapshot

    changed_then_compared(lambda: services.case_publish(case=waiting, actor=editor))
    published = Case.objects.published().order_by("id")
    first, second, third = published[0], published[1], published[2]

    def retitle():
        first.title = "Zzz moved to the end of the alphabet"
        first.evidence_level = 0
        first.save()

    changed_then_compared(retitle)
    changed_then_compared(lambda: second.phases.set(Phase.objects.filter(slug="co-assess")))
    changed_then_compared(lambda: second.service_areas.add(ServiceArea.objects.last()))
    changed_then_compared(lambda: second.activities.set(Activity.objects.all()[:2]))

    def readdressed():
        second.slug = "a-new-address"
        second.save()

    changed_then_compared(readdressed)
    changed_then_compared(
        lambda: services.case_withdraw(case=third, actor=editor, reason="Out of date.")
    )
    changed_then_compared(lambda: Case.objects.get(pk=first.pk).delete())

    def several_at_once():  # cases left out, moved in the title order and re-classified
        ids = Case.objects.published().order_by("id").values_list("id", flat=True)
        *_, fourth, fifth, sixth = (Case.objects.get(pk=pk) for pk in ids)
        services.case_withdraw(case=fourth, actor=editor, reason="Out of date.")
        fifth.title = "Aaa now first by title"
        fifth.save()
        sixth.co_producers.clear()
        services.case_publish(case=third, actor=editor)

    changed_then_compared(several_at_once)
    last = changed_then_compared(lambda: None)
    assert len(last) == len(before) - 1
    assert first.pk not in last.ids.tolist() and third.pk in last.ids.tolist()


def test_a_change_that_does_not_say_which_cases_rebuilds(client, seed_catalogue):
    """A bulk write (an import, a term renamed) bumps the version without naming cases: the index
    is built anew rather than trusted."""
    client.get("/cases/")
    before = facetindex.current()
    area = ServiceArea.objects.get(slug="health")
    area.slug = "health-and-care"
    area.save()
    client.get("/cases/")
    after = facetindex.current()
    assert after is not before and "health-and-care" in after.terms["area"][0]
    _same(after, facetindex.build(after.version))
    _terms_as_in_the_database(after)


def test_relevance_ties_are_ordered_by_title_as_in_the_database(make_case):
    for title in ["Beta gardens", "Alpha gardens", "alpha gardens", "Ärger gardens"]:
        make_case(slug=title.lower().replace(" ", "-").replace("ä", "a") + "-x", title=title)
    filterset = _filterset("q=gardens")
    in_database = list(filterset.qs.values_list("id", flat=True))
    assert filterset.page_ids(0, 10) == in_database
    # A page that ends among cases ranked equal takes the first of them by title.
    for start in range(len(in_database)):
        assert filterset.page_ids(start, start + 2) == in_database[start : start + 2]


@pytest.mark.parametrize("broad", [5000, 2])
def test_a_broad_search_ranks_title_then_summary_then_the_rest_as_the_database_does(
    make_case, monkeypatch, broad
):
    # Above search.BROAD matches SQLite ranks by field rather than bm25, and PostgreSQL by ts_rank
    # of the words joined by ||: either way the title comes first, then the summary, and the
    # list's order is the database's.
    from catalogue import search

    monkeypatch.setattr(search, "BROAD", broad)
    body = make_case(slug="body-x", title="Tenants panel", description="Orchards in the park.")
    summary = make_case(slug="summary-x", title="Parks forum", summary="Volunteers plant orchards.")
    title = make_case(slug="title-x", title="Community orchards", summary="Fruit trees.")
    filterset = _filterset("q=orchards")
    ids = filterset.page_ids(0, 10)
    assert ids[:3] == [title.id, summary.id, body.id]
    assert ids == list(filterset.qs.values_list("id", flat=True))
    for query in ("q=orchards+park", "q=orchards+-tenants", "q=orchards+OR+trees+fruit"):
        filterset = _filterset(query)
        assert filterset.page_ids(0, 10) == list(filterset.qs.values_list("id", flat=True))


def test_positions_are_found_alike_by_table_and_by_binary_search(seed_catalogue, monkeypatch):
    snapshot = facetindex.current()
    ids = np.concatenate([snapshot.ids[::-1], [0, -5, snapshot.ids[-1] + 1, 10**12]])
    where, found = snapshot.locate(ids)
    assert found.tolist() == [True] * len(snapshot) + [False] * 4
    assert snapshot.ids[where[found]].tolist() == ids[found].tolist()
    monkeypatch.setattr(facetindex.Snapshot, "position_of", lambda self: None)
    where_searched, found_searched = snapshot.locate(ids)
    assert found_searched.tolist() == found.tolist()
    assert where_searched[found].tolist() == where[found].tolist()
