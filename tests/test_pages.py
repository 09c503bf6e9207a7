"""The public pages render, and only published cases are public."""

import time

import pytest
from django.urls import reverse

from catalogue import vocabulary as v

pytestmark = pytest.mark.django_db


def test_home_page_shows_the_matrix_with_counts(client, make_case):
    make_case(planning="co-planning", delivery="community")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "User/community delivery of co-planned or co-designed services" in body
    assert "?planning=co-planning&amp;delivery=community" in body
    assert "1 case<" in body


def test_case_list_lists_published_cases_only(client, make_case):
    make_case(title="Visible case")
    make_case(title="Hidden case", status="submitted")
    response = client.get(reverse("case_list"))
    assert response.status_code == 200
    assert b"Visible case" in response.content
    assert b"Hidden case" not in response.content
    assert b"1 case" in response.content


def test_case_page_names_its_matrix_cell(client, make_case):
    case = make_case(planning="professional", delivery="community")
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert v.MATRIX["professional", "community"].name.encode() in response.content


@pytest.mark.parametrize("status", [s for s in v.Status.values if s != "published"])
def test_unpublished_cases_are_404(client, make_case, status):
    case = make_case(status=status)
    assert client.get(f"/cases/{case.slug}/").status_code == 404


def test_unknown_case_is_404(client, db):
    assert client.get("/cases/no-such-case/").status_code == 404


def test_user_text_is_escaped_on_the_case_page(client, make_case):
    case = make_case(title="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    body = client.get(case.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert "<img src=x" not in body


def test_base_layout_is_accessible(client, db):
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en-GB">' in body
    assert 'class="skip-link" href="#main"' in body
    assert '<main id="main"' in body
    assert "<header" in body and "<footer" in body and '<nav aria-label="Main">' in body
    assert 'name="viewport"' in body


def test_home_page_counts_phases(client, make_case):
    make_case(phases=["co-design", "co-deliver"])
    response = client.get(reverse("home"))
    assert dict((p.value, n) for p, n in response.context["phases"]) == {
        "co-commission": 0,
        "co-design": 1,
        "co-deliver": 1,
        "co-assess": 0,
    }


def test_matrix_page_explains_every_cell_and_links_into_the_list(client, make_case):
    make_case(planning="community", delivery="co-delivery", title="Resource centre")
    body = client.get(reverse("matrix")).content.decode()
    for cell in v.MATRIX.values():
        assert cell.name in body
        if not cell.refused:
            assert f"?planning={cell.planning}&amp;delivery={cell.delivery}" in body
    assert "Resource centre" in body
    assert body.count("Not co-production: not catalogued") == 2


def test_guide_explains_every_term(client, make_case):
    make_case(phases=["co-assess"], title="Citizen inspectors")
    body = client.get(reverse("guide")).content.decode()
    for vocabulary in (
        v.Phase,
        v.Activity,
        v.Benefit,
        v.EvidenceLevel,
        v.Direction,
        v.EvaluationDesign,
    ):
        for _slug, label, description in vocabulary.terms():
            assert str(label) in body and description.split(";")[0].split(":")[0] in body.replace(
                "&#x27;", "'"
            ).replace("&quot;", '"')
    assert "Citizen inspectors" in body
    assert v.EVIDENCE_CAVEAT.split(".")[0] in body


def test_case_page_lists_related_cases_same_cell_first(client, make_case):
    case = make_case(planning="co-planning", delivery="community", service_areas=["housing"])
    make_case(
        title="Same cell",
        planning="co-planning",
        delivery="community",
        service_areas=["transport"],
        phases=["co-assess"],
    )
    make_case(
        title="Shared area",
        planning="professional",
        delivery="community",
        service_areas=["housing"],
        phases=["co-assess"],
    )
    make_case(
        title="Unrelated",
        planning="professional",
        delivery="community",
        service_areas=["transport"],
        phases=["co-assess"],
    )
    related = [c.title for c in client.get(case.get_absolute_url()).context["related"]]
    assert related == ["Same cell", "Shared area"]


def test_case_page_offers_copyable_citations(client, make_case):
    case = make_case()
    body = client.get(case.get_absolute_url()).content.decode()
    assert 'data-copy-target="citation-1"' in body
    assert "Co-production Case Catalogue (" in body


def test_the_benchmark_baselines_render_the_real_templates(rf, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench import baselines

    for view in (baselines.b0, baselines.b1_list, baselines.b1_case):
        view(rf.get("/"))  # the facet index is read once per process, at start
        with CaptureQueriesContext(connection) as queries:
            assert view(rf.get("/")).status_code == 200
        assert not queries.captured_queries, view
    # The case baseline does all the real page's work but the reads: its metadata too.
    assert b"application/ld+json" in baselines.b1_case(rf.get("/")).content


def test_a_busy_database_gives_a_polite_page_to_try_again(client, db, monkeypatch):
    """A long write holding SQLite's lock past the busy timeout used to give a server error."""
    from django.db import OperationalError

    def locked(*args, **kwargs):
        raise OperationalError("database is locked")

    monkeypatch.setattr("catalogue.models.CaseQuerySet.published", locked)
    response = client.get("/cases/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "Please try again in 30 seconds" in response.text
    assert response.context["request"].get_full_path() == "/cases/"


SLOW_QUERY = {
    "sqlite": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r) SELECT count(*) FROM r",
    "postgresql": "SELECT pg_sleep(30)",
}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # each statement commits
@pytest.mark.parametrize("path", ["/cases/?q=community&evidence_min=2", "/api/cases/", "/"])
def test_a_runaway_query_is_stopped_with_a_polite_page(client, monkeypatch, settings, path):
    """A query that would run for a minute (or for ever) is interrupted at the request's bound."""
    from django.db import connection

    def runaway(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute(SLOW_QUERY[connection.vendor])

    settings.REQUEST_DB_SECONDS = 0.5  # the default is 5 seconds; the test need not wait that long
    monkeypatch.setattr("catalogue.models.CaseQuerySet.published", runaway)
    monkeypatch.setattr("catalogue.models.CaseQuerySet.in_order", runaway)
    response = client.get(path)
    assert response.status_code == 503
    assert "This request asks too much at once" in response.text
    # The bound is lifted after the request: the test's own queries are not bounded.
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def test_reading_the_facet_index_is_not_cut_short_by_the_request_that_needs_it(
    client, make_case, monkeypatch, settings
):
    """The facet index is read for every visitor: the request that happens to need it first must
    not fail at its own bound, which still holds for its own queries."""
    from django.db import connection

    from catalogue import facetindex

    make_case(slug="one")
    read = facetindex.build
    slow = {
        "sqlite": "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 4000000) "
        "SELECT count(*) FROM r",
        "postgresql": "SELECT pg_sleep(1)",
    }[connection.vendor]

    def slow_read(version):
        started = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(slow)
        assert time.monotonic() - started > settings.REQUEST_DB_SECONDS
        return read(version)

    settings.REQUEST_DB_SECONDS = 0.5
    monkeypatch.setattr(facetindex, "build", slow_read)
    response = client.get("/cases/")
    assert response.status_code == 200
    assert [c.slug for c in response.context["page"]] == ["one"]
