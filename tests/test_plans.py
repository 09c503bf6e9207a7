"""The database's plans for what a visitor's request costs, at a few thousand synthetic cases: every
query of a list, search, case, home or API request reads the case table through an index (the
primary key, mostly: counts and order come from the facet index), and a search runs each
full-text match once, through the full-text index. A plan that regresses fails here, not in a
visitor's request."""

import json
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalogue import facetindex, wordindex

pytestmark = pytest.mark.django_db

URLS = [
    "/",
    "/cases/",
    "/cases/?page=40",
    "/cases/?phase=co-design&type=collective&evidence_min=1",
    "/cases/?area=health&country=GB&sort=title",
    "/cases/?q=community",
    "/cases/?q=community&evidence_min=2",
    "/cases/?q=community&sort=title",
    "/cases/?q=garden+bristol&phase=co-deliver&sort=evidence",
    "/cases/?q=marmalade",
    "/cases/?q=trondheim&sort=title",
    "/cases/synthetic-000777/",
    "/api/cases/?phase=co-design&q=peer+support",
]

CASE_TABLES = (
    "catalogue_case",
    "catalogue_case_phases",
    "catalogue_case_service_areas",
    "catalogue_case_co_producers",
    "catalogue_case_activities",
    "catalogue_outcome",
    "catalogue_source",
)


def _sqlite_plan(sql):
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return [row[3] for row in cursor.fetchall()]


def _sqlite_full_scans(details):
    """Tables read from end to end: "SCAN t" without an index ("SEARCH" uses one)."""
    scans = []
    for detail in details:
        words = detail.split()
        if words[:1] == ["SCAN"] and "INDEX" not in words and words[1] in CASE_TABLES:
            scans.append(detail)
    return scans


def _postgres_nodes(sql, seqscan=True):
    with connection.cursor() as cursor:
        if not seqscan:
            cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql)
        plan = cursor.fetchone()[0]
        cursor.execute("RESET enable_seqscan")
    plan = json.loads(plan) if isinstance(plan, str) else plan
    nodes, stack = [], [plan[0]["Plan"]]
    while stack:
        node = stack.pop()
        nodes.append(node)
        stack.extend(node.get("Plans", []))
    return nodes


def _postgres_case_indexes(nodes):
    """The indexes each read of the case table in a plan goes through (None: no index)."""
    indexes = []
    for node in nodes:
        if node.get("Relation Name") != "catalogue_case":
            continue
        if node["Node Type"] != "Bitmap Heap Scan":
            indexes.append(node.get("Index Name"))
            continue
        below = list(node.get("Plans", []))
        while below:
            child = below.pop()
            below.extend(child.get("Plans", []))
            if child["Node Type"] == "Bitmap Index Scan":
                indexes.append(child["Index Name"])
    return indexes


@pytest.fixture
def synthetic(vocabularies, client):
    call_command("seed_synthetic", count=3000, verbosity=0)
    if connection.vendor == "postgresql":  # its statistics, as autovacuum keeps them (SQLite
        with connection.cursor() as cursor:  # has none unless asked: neither here nor in use)
            cursor.execute("ANALYZE")
    client.get("/")  # the facet index read, as a worker does at start
    wordindex.warm(facetindex.current())  # and, on PostgreSQL, the word index


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in captured.captured_queries if q["sql"].lstrip().startswith("SELECT")]


def _is_full_text(sql):
    return "@@" in sql or " MATCH " in sql


# A search for a word in most cases, unranked: the word index answers it, with no full-text
# match in the database (ranked, the database ranks it: at most 5,000 cases match).
FROM_MEMORY = {"/cases/?q=community&sort=title"}


def test_requests_read_cases_through_indexes_and_match_text_once(client, synthetic):
    for url in URLS:
        queries = _queries(client, url)
        full_text = [sql for sql in queries if _is_full_text(sql)]
        expected = "q=" in url and url not in FROM_MEMORY
        assert len(full_text) == expected, (url, full_text)
        for sql in queries:
            _check_plan(url, sql)


def _check_plan(url, sql):
    # Cases named by id (a page's cases, a case page's case and those like it) are read by
    # primary key, never through another index that reads more rows (the status index reads
    # every published case's entry).
    by_id = re.search(r'"catalogue_case"\."id" IN \(\d', sql)
    if connection.vendor == "sqlite":
        details = _sqlite_plan(sql)
        assert not _sqlite_full_scans(details), (url, sql, details)
        if by_id:
            cases = [d for d in details if re.match(r"(SEARCH|SCAN) catalogue_case\b", d)]
            assert cases and all("PRIMARY KEY" in d for d in cases), (url, sql, details)
        # Each MATCH in the statement runs once (a ranked search asks for the matches, their
        # bm25 or the fields that hold them, in independent subqueries), never once per row.
        fts = [d for d in details if re.search(r"catalogue_case_fts\b", d)]  # not its vocabulary
        assert len(fts) == sql.count(" MATCH "), (url, sql, details)
        assert not [d for d in details if "CORRELATED" in d], (url, sql, details)
        assert all("VIRTUAL TABLE INDEX" in d for d in fts), (url, sql, details)
    else:
        nodes = _postgres_nodes(sql)
        scans = [n for n in nodes if n["Node Type"] == "Seq Scan" and not _is_full_text(sql)]
        assert not [n for n in scans if n["Relation Name"] in CASE_TABLES], (url, sql, nodes)
        if by_id:
            indexes = _postgres_case_indexes(nodes)
            assert indexes and set(indexes) == {"catalogue_case_pkey"}, (url, sql, nodes)
        if _is_full_text(sql):
            # For a word in most cases, reading the table beats the index, and the planner
            # rightly chooses to; what must hold is that the index serves the query's match.
            # Each @@ in the statement is one scan of the index (a ranked search also counts,
            # LIMIT-bounded, whether it is broad), run once: in the statement or an InitPlan,
            # never in a SubPlan, which would run it again for every row.
            nodes = _postgres_nodes(sql, seqscan=False)
            gin = [n for n in nodes if n.get("Index Name") == "catalogue_case_search_gin"]
            assert len(gin) == sql.count(" @@ "), (url, sql, nodes)
            assert not [n for n in nodes if n.get("Subplan Name", "").startswith("SubPlan")], (
                url,
                sql,
                nodes,
            )
