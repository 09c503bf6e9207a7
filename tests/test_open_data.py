"""Open data: exports, API, feed and codebook agree with the list, and never leak private fields."""

import csv
import io
import json
from xml.etree import ElementTree

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import example, given
from hypothesis import strategies as st

from catalogue import services
from catalogue.models import Case
from catalogue.tabular import COLUMN_NAMES
from catalogue.text import has_controls
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db

PUBLIC_KEYS = {
    "slug",
    "title",
    "summary",
    "description",
    "title_cy",
    "summary_cy",
    "description_cy",
    "country",
    "locality",
    "lead_organisations",
    "service_areas",
    "co_producers",
    "phases",
    "activities",
    "planning",
    "delivery",
    "benefits",
    "evidence",
    "start_year",
    "end_year",
    "ongoing",
    "outcomes",
    "costs",
    "lessons",
    "level",
    "scenario",
    "driver",
    "sources",
    "status",
    "reviewed_at",
}
API_KEYS = PUBLIC_KEYS | {"url", "matrix_cell", "labels", "published_at"}


@pytest.fixture
def catalogue(seed_catalogue, make_case):
    make_case(
        slug="assessors", title="Citizen assessors", phases=["co-assess"], benefits=["collective"]
    )
    make_case(slug="hidden", title="Hidden", phases=["co-assess"], status="submitted")
    doc = case_doc(title="Private submission", phases=["co-assess"])
    doc.pop("slug")
    services.case_submit(
        document=doc, contact=services.Contact(name="Secret Name", email="secret@example.org")
    )


def list_slugs(client, query, settings):
    settings.CASES_PER_PAGE = 1000
    response = client.get(f"/cases/?{query}")
    return [c.slug for c in response.context["page"].object_list], response.context[
        "page"
    ].paginator.count


def csv_slugs(client, query):
    body = b"".join(client.get(f"/cases.csv?{query}").streaming_content).decode()
    return [row["slug"] for row in csv.DictReader(io.StringIO(body))]


def json_slugs(client, query):
    data = json.loads(b"".join(client.get(f"/cases.json?{query}").streaming_content))
    return [c["slug"] for c in data["results"]], data["count"]


def api_slugs(client, query):
    slugs, url, count = [], f"/api/cases/?{query}&page_size=100", None
    while url:
        data = client.get(url).json()
        slugs += [c["slug"] for c in data["results"]]
        count = data["count"]
        url = data["next"] and data["next"].replace("http://testserver", "")
    return slugs, count


@pytest.mark.parametrize(
    "query",
    [
        "",
        "phase=co-assess",
        "planning=co-planning&delivery=community",
        "q=village",
        "area=regeneration&area=housing",
        "evidence_min=2",
        "type=individual&country=GB",
        "year_from=2000&year_to=2003",
        "sort=title&producer=volunteers",
        "phase=nonsense&evidence_min=abc",
    ],
)
def test_list_csv_json_and_api_give_the_same_cases(client, catalogue, settings, query):
    expected, count = list_slugs(client, query, settings)
    assert csv_slugs(client, query) == expected
    assert json_slugs(client, query) == (expected, count)
    assert api_slugs(client, query) == (expected, count)
    assert count == len(expected)


def test_co_assess_parity_as_the_issue_checks_it(client, catalogue, settings):
    expected, _ = list_slugs(client, "phase=co-assess", settings)
    assert "assessors" in expected and "hidden" not in expected
    assert (
        csv_slugs(client, "phase=co-assess") == expected == api_slugs(client, "phase=co-assess")[0]
    )


def test_private_and_unpublished_data_never_appear(client, catalogue):
    outputs = [
        b"".join(client.get("/cases.csv").streaming_content).decode(),
        b"".join(client.get("/cases.json").streaming_content).decode(),
        client.get("/api/cases/?page_size=100").content.decode(),
        client.get("/feeds/cases/").content.decode(),
    ]
    for body in outputs:
        assert "secret@example.org" not in body and "Secret Name" not in body
        assert "Private submission" not in body and '"hidden"' not in body
    assert client.get("/api/cases/hidden/").status_code == 404
    data = json.loads(outputs[1])
    assert {key for case in data["results"] for key in case} == PUBLIC_KEYS
    assert set(client.get("/api/cases/tackley-village-shop/").json()) == API_KEYS
    assert set(csv.DictReader(io.StringIO(outputs[0])).fieldnames) == set(COLUMN_NAMES)


def test_csv_cells_that_spreadsheets_would_run_are_neutralised(client, make_case):
    make_case(
        slug="formula",
        title='=HYPERLINK("http://evil")',
        summary="+1+1",
        locality="@SUM(A1)",
        lessons="-2",
    )
    body = b"".join(client.get("/cases.csv").streaming_content).decode()
    row = next(csv.DictReader(io.StringIO(body)))
    assert row["title"].startswith("'=") and row["summary"] == "'+1+1"
    assert row["locality"] == "'@SUM(A1)" and row["lessons"] == "'-2"


def test_api_errors_are_clear_json_not_server_errors(client, catalogue):
    for query in ("page=abc", "page=0", "page_size=1000", "page_size=-1", "page=99999999999"):
        response = client.get(f"/api/cases/?{query}")
        assert response.status_code in (400, 404), query
        assert "error" in response.json()
    assert client.get("/api/cases/?page=500").status_code == 404
    assert client.post("/api/cases/").status_code == 405
    assert client.get("/api/cases/no-such-case/").json() == {
        "error": "No published case has this slug."
    }


def test_api_query_count_does_not_grow_with_page_size(client, catalogue):
    from django.core.cache import cache

    def count(url):
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            client.get(url)
        return len(queries)

    assert count("/api/cases/?page_size=2") == count("/api/cases/?page_size=100&sort=title")


def test_feed_is_valid_atom_with_the_newest_cases(client, catalogue):
    response = client.get("/feeds/cases/")
    assert response.status_code == 200
    root = ElementTree.fromstring(response.content)
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    newest = Case.objects.published().order_by("-published_at", "-id")[:50]
    assert [e.find("{http://www.w3.org/2005/Atom}title").text for e in entries] == [
        c.title for c in newest
    ]


def test_codebook_explains_every_column_and_value(client, catalogue):
    body = client.get("/codebook/").content.decode()
    for name in COLUMN_NAMES:
        assert f"<code>{name}</code>" in body
    for value in (
        "co-commission",
        "co-planning",
        "community",
        "comparison-group",
        "politicians",
        "older-people",
    ):
        assert f"<code>{value}</code>" in body
    assert "CC BY 4.0" in body
    assert client.get("/api/").status_code == 200


def test_notices_in_headers_survive_control_characters(client, catalogue):
    response = client.get("/cases.csv", {"phase": "\r\nX-Injected: 1"})
    assert response.status_code == 200
    assert "X-Injected" not in response.headers
    assert "not understood" in response["X-Catalogue-Notice"]


# PostgreSQL cannot store NUL at all; every other control character can reach its tables.
CONTROL_CHARACTERS = ("" if connection.vendor == "postgresql" else "\x00") + "".join(
    chr(c) for c in [*range(1, 9), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F, 0x85, 0x9B, 0x2028, 0xFFFE]
)


@given(
    text=st.text(
        alphabet=st.one_of(
            st.sampled_from(CONTROL_CHARACTERS),
            st.characters(codec="utf-8", exclude_characters="\x00"),
        ),
        min_size=1,
        max_size=40,
    )
)
@example(text="Line one\x0bline two")
@example(text="Escape \x1b[31m red")
def test_a_stored_control_character_breaks_no_serialiser(client, make_case, text):
    """A case stored before text was cleaned at the boundary (here written straight to the table)
    must not break the feed, the exports or the API for everyone."""
    case = Case.objects.first() or make_case(slug="pasted")
    Case.objects.filter(pk=case.pk).update(title=f"T {text}", summary=f"S {text}")
    feed = client.get("/feeds/cases/")
    assert feed.status_code == 200
    ElementTree.fromstring(feed.content)
    rows = list(
        csv.DictReader(io.StringIO(b"".join(client.get("/cases.csv").streaming_content).decode()))
    )
    assert any(row["slug"] == case.slug for row in rows)
    json.loads(b"".join(client.get("/cases.json").streaming_content))
    api = client.get(f"/api/cases/{case.slug}/")
    assert api.status_code == 200
    assert not has_controls(api.json()["title"])


@pytest.mark.parametrize("path", ["/cases.csv", "/cases.json"])
def test_the_whole_catalogue_is_written_once_per_state_and_served_from_the_file(
    client, catalogue, make_case, path
):
    """At 10,000 cases each full export took 5 s; now only the first after a change does."""

    def download():
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
            body = b"".join(response.streaming_content)
        return body, len(queries)

    first, _ = download()
    again, queries = download()
    assert again == first
    assert queries <= 2  # the state of the catalogue, no case read
    make_case(slug="newly-published", title="Newly published")
    changed, _ = download()
    assert b"newly-published" in changed and b"newly-published" not in first
    withdrawn = Case.objects.get(slug="newly-published")
    Case.objects.filter(pk=withdrawn.pk).update(status="withdrawn")  # not even a signal
    assert b"newly-published" not in download()[0]
