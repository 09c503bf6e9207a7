"""Generated and hostile input: no request to any public endpoint gives a server error.

Example counts come from the Hypothesis profile (tests/conftest.py: "ci" by default, "thorough"
under `make fuzz`). Every hostile value of NASTY is tried in every profile, as an explicit example.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import example, given
from hypothesis import strategies as st

from catalogue import vocabulary as v
from catalogue.dimensions import DIMENSIONS

pytestmark = pytest.mark.django_db

NASTY = [
    "\x00",
    "a\x00b",
    "line\x0bbreak",
    "\x1b[31mred",
    "para\u2028graph\u2029",
    "\x7f\x85\ufffe",
    "x" * 10_000,
    '"unbalanced',
    "((( ))) AND OR NOT",
    "-",
    "*",
    "NEAR(a b)",
    "title:foo",
    "שלום עולם",
    "\u202eevil\u202c",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%",
    "\\",
    "9" * 40,
    "-9" * 20,
    "1e309",
    "NaN",
    "ＡＢＣ",
    "😀",
]
PARAMS = [
    "q",
    "phase",
    "planning",
    "delivery",
    "type",
    "evidence_min",
    "area",
    "country",
    "producer",
    "year_from",
    "year_to",
    "sort",
    "page",
    "unknown",
]
VALID = {
    "phase": v.Phase.values,
    "planning": v.Planning.values,
    "delivery": v.Delivery.values,
    "type": v.Benefit.values,
    "evidence_min": [str(n) for n in range(6)],
    "area": ["health", "housing", "older-people"],
    "country": ["GB", "BR", "FR"],
    "producer": ["citizens", "volunteers"],
    "sort": ["relevance", "newest", "title", "evidence"],
    "page": ["1", "2"],
    "year_from": ["1990", "2004"],
    "year_to": ["2001", "2020"],
    "q": ["village", "budget", '"village shop"', "care -home"],
}
value = st.one_of(
    st.sampled_from(NASTY),
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(sorted({x for values in VALID.values() for x in values})),
)
query = st.lists(st.tuples(st.sampled_from(PARAMS), value), max_size=8)


def with_corpus(make_example):
    """Run the test on each NASTY value as an explicit example, whatever the profile."""

    def decorate(test):
        for nasty in NASTY:
            test = example(**make_example(nasty))(test)
        return test

    return decorate


@pytest.fixture
def catalogue(seed_catalogue):
    return seed_catalogue


@given(params=query)
@with_corpus(lambda nasty: {"params": [(name, nasty) for name in PARAMS]})
def test_case_list_never_fails(client, catalogue, params):
    response = client.get("/cases/", params)
    assert response.status_code in (200, 400), params


@given(q=st.one_of(st.sampled_from(NASTY), st.text(max_size=300)))
@with_corpus(lambda nasty: {"q": nasty})
def test_search_never_fails(client, catalogue, q):
    assert client.get("/cases/", {"q": q}).status_code == 200


@given(
    slug=st.one_of(st.sampled_from(["tackley-village-shop", "villa-family"]), st.text(max_size=80))
)
@with_corpus(lambda nasty: {"slug": nasty})
def test_case_pages_never_fail(client, catalogue, slug):
    from urllib.parse import quote

    response = client.get("/cases/" + quote(slug, safe="") + "/")
    assert response.status_code in (200, 301, 404), slug


STEP_FIELDS = {
    "who": ["planning", "delivery"],
    "participation": ["phases", "activities", "benefits"],
    "evidence": ["statements", "direction", "design", "independent", "rationale"],
    "about": [
        "title",
        "summary",
        "description",
        "country",
        "service_areas",
        "co_producers",
        "start_year",
        "end_year",
        "ongoing",
    ],
    "outcomes": [
        "outcomes-TOTAL_FORMS",
        "outcomes-INITIAL_FORMS",
        "sources-TOTAL_FORMS",
        "sources-0-citation",
        "sources-0-kind",
        "sources-0-year",
        "sources-0-url",
    ],
    "contact": ["name", "email", "organisation"],
}


@given(step=st.sampled_from(sorted(STEP_FIELDS)), data=st.data())
def test_submission_steps_never_fail(client, vocabularies, step, data):
    fields = STEP_FIELDS[step] + ["website", "return", "unexpected"]
    post = data.draw(st.dictionaries(st.sampled_from(fields), value, max_size=len(fields)))
    post |= data.draw(st.dictionaries(st.text(min_size=1, max_size=30), value, max_size=5))
    response = client.post(f"/submit/{step}/", post)
    assert response.status_code in (200, 302, 400), (step, post)
    assert client.get("/submit/check/").status_code in (200, 302)
    assert_draft_within_limits(client, step)


def assert_draft_within_limits(client, step):
    """Only the step's own fields are kept, each within its limits (any name, any size posted)."""
    from catalogue.drafts import STEP_BY_SLUG, limits

    allowed = limits(STEP_BY_SLUG[step])
    stored = client.session.get("submission", {}).get("steps", {}).get(step, {})
    for key, values in stored.items():
        assert key in allowed, key
        most_values, most_characters = allowed[key]
        assert len(values) <= most_values and all(len(x) <= most_characters for x in values)


@pytest.mark.parametrize("step", sorted(STEP_FIELDS))
def test_submission_steps_never_fail_on_the_hostile_corpus(client, vocabularies, step):
    for nasty in NASTY:
        post = {name: nasty for name in STEP_FIELDS[step] + ["return", "unexpected"]}
        response = client.post(f"/submit/{step}/", post)
        assert response.status_code in (200, 302, 400), (step, nasty)
        assert client.get("/submit/check/").status_code in (200, 302)


@given(
    post=st.dictionaries(
        st.sampled_from(["reason", "details", "email", "website"]), value, max_size=4
    )
)
@with_corpus(lambda nasty: {"post": {"reason": nasty, "details": nasty, "email": nasty}})
def test_problem_reports_never_fail(client, catalogue, post, settings):
    settings.REPORT_RATE = "100000/h"
    response = client.post("/cases/tackley-village-shop/report/", post)
    assert response.status_code in (200, 302, 400, 429), post


@pytest.mark.parametrize(
    "path", ["/track/%00/", "/track/" + "a" * 5000 + "/", "/submit/nonsense/", "/cases/%E2%80%AE/"]
)
def test_odd_paths_are_not_found(client, db, path):
    assert client.get(path).status_code == 404


@given(path=st.sampled_from(["/cases.csv", "/cases.json", "/api/cases/"]), params=query)
@with_corpus(lambda nasty: {"path": "/api/cases/", "params": [(name, nasty) for name in PARAMS]})
@with_corpus(lambda nasty: {"path": "/cases.csv", "params": [(name, nasty) for name in PARAMS]})
def test_exports_and_api_never_fail(client, catalogue, path, params):
    extra = [("page_size", v) for k, v in params if k == "page"]
    response = client.get(path, params + extra)
    assert response.status_code in (200, 400, 404), (path, params)
    if response.streaming:
        b"".join(response.streaming_content)


@given(slug=st.text(max_size=80))
@with_corpus(lambda nasty: {"slug": nasty})
def test_api_detail_never_fails(client, catalogue, slug):
    from urllib.parse import quote

    assert client.get("/api/cases/" + quote(slug, safe="") + "/").status_code in (200, 301, 404)


REPEATABLE = [d for d in DIMENSIONS if d.repeatable]


@given(
    dimension=st.sampled_from(REPEATABLE),
    data=st.data(),
    path=st.sampled_from(["/cases/", "/api/cases/", "/cases.csv"]),
)
def test_many_repeated_values_cost_a_bounded_amount(client, catalogue, dimension, data, path):
    """However many values a repeatable parameter is given (each used to add a JOIN), the request
    answers, with the same number of queries as with the cap's worth of values."""
    known = [value for value, _, _ in dimension.options()]
    values = data.draw(
        st.lists(st.one_of(st.sampled_from(known), value), min_size=11, max_size=200)
    )
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, [(dimension.param, x) for x in values])
    assert response.status_code in (200, 400), values
    if response.streaming:
        b"".join(response.streaming_content)
    assert len(queries) <= 40, [q["sql"][:200] for q in queries]
    for query in queries:
        assert query["sql"].upper().count("JOIN") <= 12, query["sql"]
