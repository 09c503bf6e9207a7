"""The word index: a search for common words answered in memory gives the cases and the ranks the
database gives, on PostgreSQL and on SQLite, and follows every publish, edit and withdrawal."""

import numpy as np
import pytest
from django.db import connection

from catalogue import facetindex, search, wordindex

pytestmark = pytest.mark.django_db

TEXTS = [
    ("Community garden run by residents", "Residents grow food in a shared garden."),
    ("Library volunteers", "Residents keep the library open with volunteers."),
    ("Garden library", "A library of seeds and tools for every garden."),
    ("Residents' panel", "Residents assess the council's housing services."),
    ("Neighbourhood organisation", "Tenants organise repairs in the neighbourhood."),
    ("Neighborhood organization", "Residents run the neighborhood garden together."),
    ("Co-operative shop", "Residents own the village shop as a co-operative."),
    ("Health champions", "Volunteers share health advice with residents."),
]
WELSH = "Trigolion yn tyfu bwyd."


@pytest.fixture
def catalogue(vocabularies, monkeypatch):
    """Forty-five cases, in most of which most words are; the index held at any size (a word in
    3 cases is held), and searches ranked as broad ones from 4 matches."""
    from catalogue.services import cases_import
    from tests.conftest import case_doc

    documents = [
        case_doc(slug=f"words-{i}", title=f"{TEXTS[i % 8][0]} {i}", summary=TEXTS[i % 8][1])
        for i in range(40)
    ]
    documents += [
        case_doc(slug=f"welsh-{i}", title=f"Gardd {i}" if i < 3 else "Cymuned", summary_cy=WELSH)
        for i in range(4)
    ]
    documents.append(
        case_doc(slug="allotment", title="Allotment", summary="Residents share an allotment.")
    )
    cases_import(documents=documents)
    monkeypatch.setattr(wordindex, "MIN_CASES", 1)
    monkeypatch.setattr(search, "BROAD", 3)
    wordindex.warm(facetindex.current())


def from_memory(q, ranked=True):
    snapshot = facetindex.current()
    q = search.clean_query(q)
    searched = search._searched(q) if connection.vendor == "postgresql" else None
    return wordindex.matches(search.parse(q), snapshot, ranked, search.BROAD, searched)


def from_the_database(q, ranked, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(wordindex, "MIN_CASES", 10**9)
        return search.matches(q, ranked=ranked)


def by_id(found):
    ids, ranks = found
    order = np.argsort(ids)
    return ids[order], ranks[order]


@pytest.mark.parametrize(
    "q",
    [
        "residents",
        "garden residents",
        "gardens",  # the same word, stemmed
        "garden OR library",
        "residents -garden",
        "neighbourhood",  # and "neighborhood", a spelling some case holds
        "organisation residents",
        "trigolion",  # Welsh text, indexed as written
        "library volunteers OR garden",
    ],
)
def test_a_search_for_common_words_is_answered_as_the_database_answers_it(
    catalogue, monkeypatch, q
):
    for ranked in (True, False):
        memory = from_memory(q, ranked)
        assert memory is not None, q
        ids, ranks = by_id(memory)
        db_ids, db_ranks = by_id(from_the_database(q, ranked, monkeypatch))
        published = np.isin(db_ids, facetindex.current().ids)
        assert ids.tolist() == db_ids[published].tolist() != [], (q, ranked)
        # ts_rank's own sum, to within float rounding (it adds each word's weight in double).
        assert np.allclose(ranks, db_ranks[published], rtol=1e-6, atol=0), (q, ranked)


@pytest.mark.parametrize(
    "q",
    [
        "GARDEN Residents",  # case folded as the index folds it
        "résidents gardén",  # diacritics, removed as the index removes them
        "garden_library",  # one word to the query, two to the tokenizer: a phrase
        "co-operative residents",
        '"garden" residents',  # a quoted single word
        '"residents',  # an unclosed quote
        "-garden",  # nothing but an exclusion
        "residents -garden -library -volunteers",
        "garden OR OR library",
        "residents\x00garden\u200b",  # control and zero-width characters
        "gardens " * 30,  # long, and the same word again and again
        "the of and",  # stop words only
        "zzzz residents",  # a word no case has
        "residents " + "x" * 150,
    ],
)
def test_any_query_gets_from_memory_what_the_database_gives(catalogue, monkeypatch, q):
    """Whatever a visitor types, the index either answers exactly as the database does or leaves
    the search to it."""
    for ranked in (True, False):
        memory = from_memory(q, ranked)
        if memory is None:
            continue
        ids, ranks = by_id(memory)
        db_ids, db_ranks = by_id(from_the_database(q, ranked, monkeypatch))
        published = np.isin(db_ids, facetindex.current().ids)
        assert ids.tolist() == db_ids[published].tolist(), (q, ranked)
        assert np.allclose(ranks, db_ranks[published], rtol=1e-6, atol=0), (q, ranked)


def test_what_the_index_cannot_say_goes_to_the_database(catalogue):
    assert from_memory('"shared garden"') is None  # a phrase: the database reads positions
    assert from_memory("residents allotment") is None  # in one case: not held
    assert from_memory("gardd") is None  # 3 matches, ranked: by nearness, there


def test_the_list_shows_the_same_page_from_memory_as_from_the_database(
    catalogue, django_app, monkeypatch
):
    def searched(words):  # as a visitor searches: the list's own search form
        form = django_app.get("/cases/").forms[0]
        form["q"] = words
        return form.submit().context["page"].object_list

    shown = searched("garden residents")
    with monkeypatch.context() as patched:
        patched.setattr(wordindex, "MIN_CASES", 10**9)
        expected = searched("garden residents")
    assert [c.slug for c in shown] == [c.slug for c in expected] != []


def test_a_publish_an_edit_and_a_withdrawal_are_read_again_not_the_catalogue(catalogue, make_case):
    def found(q):
        ids, _ = from_memory(q, ranked=False)
        return set(ids.tolist())

    new = make_case(slug="new", title="Residents' garden", summary="Residents grow flowers.")
    assert new.id in found("garden residents")
    before = wordindex._current
    new.summary, new.title = "Volunteers grow flowers.", "Volunteers"
    new.save()
    assert new.id not in found("residents")
    assert new.id in found("volunteers")
    new.status = "withdrawn"
    new.save()
    assert new.id not in found("volunteers")
    # The same postings, with the one case read again beside them (an import, which does not
    # say which cases it wrote, had the index read whole).
    assert wordindex._current.postings is before.postings
    assert wordindex._current.stale.tolist() == [new.id]


def test_read_whole_by_a_thread_of_its_own_when_the_changes_are_not_known(catalogue, monkeypatch):
    """Outside a transaction a request never waits for the whole index: until a thread has
    read it, the database answers."""
    import dataclasses

    from catalogue.cache import bump_catalogue_version

    read = wordindex.build(0)  # as the thread's own connection would read it, were it committed
    monkeypatch.setattr(
        wordindex, "build", lambda version: dataclasses.replace(read, version=version)
    )
    monkeypatch.setattr(wordindex, "_uncommitted", lambda: False)
    bump_catalogue_version()  # a change that does not say which cases: the index is read whole
    snapshot = facetindex.current()
    assert wordindex.current(snapshot) is None
    wordindex._reading.join(timeout=30)
    index = wordindex.current(snapshot)
    assert index is not None and index.version == snapshot.version
    assert from_memory("garden residents") is not None


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's full-text index")
def test_sqlite_reads_query_words_with_the_full_text_index_s_own_tokenizer(catalogue):
    with connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE name = %s", [search.FTS_TABLE])
        (declared,) = cursor.fetchone()
    assert f"tokenize='{wordindex.TOKENIZER}'" in declared
    # Stemmed, folded and split as the index does it; each phrase looked up once per process.
    found = wordindex._terms_of(["gardens", "café", "co operative", "__"])
    assert found == {
        "gardens": ("garden",),
        "café": ("cafe",),
        "co operative": ("co", "oper"),
        "__": (),
    }
