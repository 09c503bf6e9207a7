"""Search relevance on the seed catalogue: practitioner searches (tests/relevance_queries.json,
written from the case texts before any tuning), each with the cases it should find. The suite
reports hit@1, hit@5, mean reciprocal rank and the searches that find nothing, on the database
in use, and fails if hit@5 falls below 90% or any search finds nothing."""

import json
from pathlib import Path

import pytest
from django.db import connection

from catalogue import search

QUERIES = json.loads((Path(__file__).parent / "relevance_queries.json").read_text("utf-8"))
MIN_HIT_AT_5 = 0.9

pytestmark = pytest.mark.django_db


def ranked_slugs(client, query):
    """The slugs the list shows for a search typed into its search box, best first."""
    response = client.get("/cases/", {"q": query})
    assert response.status_code == 200
    return [case.slug for case in response.context["page"].object_list]


def scores(found, expected):
    """(hit@1, hit@5, reciprocal rank) of one search."""
    ranks = [at for at, slug in enumerate(found, start=1) if slug in expected]
    first = ranks[0] if ranks else None
    return (first == 1, first is not None and first <= 5, 1 / first if first else 0.0)


def test_practitioner_searches_find_what_they_mean(client, seed_catalogue, capsys):
    search.refresh_words()  # the catalogue was restored row by row, not imported
    rows = []
    for item in QUERIES:
        found = ranked_slugs(client, item["query"])
        rows.append((item, found, *scores(found, item["expected"])))
    n = len(rows)
    hit1 = sum(r[2] for r in rows) / n
    hit5 = sum(r[3] for r in rows) / n
    mrr = sum(r[4] for r in rows) / n
    empty = [r[0]["query"] for r in rows if not r[1]]
    missed = [(r[0]["kind"], r[0]["query"], r[1][:3]) for r in rows if not r[3]]
    with capsys.disabled():
        print(
            f"\nrelevance on {connection.vendor}, {n} searches: hit@1 {hit1:.0%}, "
            f"hit@5 {hit5:.0%}, MRR {mrr:.2f}, finding nothing {len(empty)}"
        )
        for kind, query, top in missed:
            print(f"  missed ({kind}): {query!r} -> {top}")
    assert not empty, f"searches that find nothing: {empty}"
    assert hit5 >= MIN_HIT_AT_5, f"hit@5 {hit5:.0%} is below {MIN_HIT_AT_5:.0%}: {missed}"
