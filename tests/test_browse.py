"""Browsing: filters on every dimension, facet counts, chips, search, and bad input."""

import csv
import io
from urllib.parse import urlencode

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from catalogue.dimensions import BY_PARAM, DIMENSIONS
from catalogue.facets import facet_counts
from catalogue.filters import CaseFilter
from catalogue.models import Case, ServiceArea

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue(make_case):
    """A small catalogue spread over the vocabularies."""
    make_case(
        slug="breastfeeding-peers",
        title="Peer support for new mothers",
        summary="Trained mothers support breastfeeding.",
        planning="professional",
        delivery="co-delivery",
        phases=["co-deliver"],
        benefits=["individual"],
        service_areas=["health", "children-and-families"],
        co_producers=["service-users"],
        evidence={
            "level": 2,
            "direction": "positive",
            "design": "before-after",
            "independent": False,
            "rationale": "r",
        },
        start_year=1999,
        end_year=2004,
        ongoing=False,
        country="GB",
    )
    make_case(
        slug="city-budget",
        title="Citizens set the city budget",
        summary="Residents vote on investment priorities.",
        description="Neighbourhood assemblies choose sanitation and paving works.",
        planning="co-planning",
        delivery="professional",
        phases=["co-commission"],
        activities=["co-prioritisation"],
        benefits=["collective"],
        service_areas=["public-budgeting-and-governance"],
        co_producers=["citizens", "community-groups"],
        start_year=1989,
        ongoing=True,
        end_year=None,
        country="BR",
    )
    make_case(
        slug="village-shop",
        title="Volunteer-run village shop",
        summary="Villagers run their own shop and post office.",
        planning="co-planning",
        delivery="community",
        phases=["co-commission", "co-deliver"],
        benefits=["individual", "collective"],
        service_areas=["local-economy", "older-people"],
        co_producers=["volunteers", "citizens"],
        evidence={
            "level": 1,
            "direction": "positive",
            "design": "qualitative",
            "independent": False,
            "rationale": "r",
        },
        start_year=2001,
        ongoing=False,
        end_year=None,
        country="GB",
    )
    make_case(
        slug="care-inspectors",
        title="Experts by experience inspect care",
        summary="People who use care services join inspections.",
        planning="professional",
        delivery="co-delivery",
        phases=["co-assess"],
        benefits=["collective"],
        service_areas=["adult-social-care"],
        co_producers=["service-users", "carers-and-families"],
        evidence={
            "level": 0,
            "direction": "not-yet-known",
            "design": "none",
            "independent": False,
            "rationale": "r",
        },
        start_year=None,
        ongoing=False,
        country="GB",
    )
    make_case(
        slug="hidden", title="Hidden submitted case", status="submitted", summary="breastfeeding"
    )


def slugs(response):
    return [c.slug for c in response.context["page"].object_list]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("", ["breastfeeding-peers", "care-inspectors", "city-budget", "village-shop"]),
        ("planning=co-planning&delivery=community", ["village-shop"]),
        ("phase=co-deliver", ["breastfeeding-peers", "village-shop"]),
        ("phase=co-deliver&phase=co-commission", ["village-shop"]),
        ("type=collective", ["care-inspectors", "city-budget", "village-shop"]),
        ("type=individual", ["breastfeeding-peers", "village-shop"]),
        ("evidence_min=2", ["breastfeeding-peers"]),
        ("evidence_min=1", ["breastfeeding-peers", "city-budget", "village-shop"]),
        ("area=health", ["breastfeeding-peers"]),
        ("area=local-economy&area=older-people", ["village-shop"]),
        ("country=BR", ["city-budget"]),
        ("producer=citizens", ["city-budget", "village-shop"]),
        ("year_from=2003", ["breastfeeding-peers", "city-budget", "village-shop"]),
        ("year_to=1995", ["city-budget"]),
        ("year_from=2005&year_to=2010", ["city-budget", "village-shop"]),
        ("q=breastfeeding", ["breastfeeding-peers"]),
        ("q=sanitation", ["city-budget"]),
        ("q=shop&type=individual", ["village-shop"]),
    ],
)
def test_filters_combine(client, catalogue, query, expected):
    response = client.get(f"/cases/?{query}&sort=title")
    assert response.status_code == 200
    assert sorted(slugs(response)) == sorted(expected)
    assert f"{len(expected)} case" in response.content.decode()


def test_tackley_style_query_lists_the_cell_and_not_its_neighbour(client, catalogue):
    response = client.get("/cases/?planning=co-planning&delivery=community")
    assert "village-shop" in slugs(response)
    assert "breastfeeding-peers" not in slugs(response)


def _option_links(response):
    """Every facet option on the page as the query string a click on it gives, with its count."""
    data = response.context["filter"].data
    for facet in response.context["facets"]:
        for option in facet.options:
            if option.selected:
                continue
            params = data.copy()
            params.pop("page", None)
            if facet.multiple:
                params.appendlist(facet.name, option.value)
            else:
                params[facet.name] = option.value
            yield params.urlencode(), option.count


@pytest.mark.parametrize(
    "start",
    [
        "",
        "phase=co-deliver",
        "type=collective&country=GB",
        "area=health",
        "q=care",
        "evidence_min=1&producer=citizens",
    ],
)
def test_count_beside_each_option_equals_results_after_choosing_it(client, catalogue, start):
    from django.http import QueryDict

    response = client.get(f"/cases/?{start}")
    for query, count in _option_links(response):
        after = client.get(f"/cases/?{query}")
        # The page's count and the database's, for the same parameters.
        in_database = CaseFilter(QueryDict(query), queryset=Case.objects.published()).qs.count()
        assert after.context["page"].paginator.count == count == in_database, query


def test_chosen_filters_show_as_removable_chips(client, catalogue):
    response = client.get("/cases/?phase=co-deliver&country=GB&q=shop")
    labels = [chip.label for chip in response.context["chips"]]
    assert "Phase: Co-delivery" in labels
    assert "Country: United Kingdom" in labels
    assert "Search: shop" in labels
    phase_chip = next(c for c in response.context["chips"] if c.label.startswith("Phase"))
    assert "phase=" not in phase_chip.remove_query
    assert "country=GB" in phase_chip.remove_query


def test_empty_result_suggests_what_to_loosen(client, catalogue):
    response = client.get("/cases/?country=BR&phase=co-assess")
    assert response.context["page"].paginator.count == 0
    body = response.content.decode()
    assert "No cases match" in body
    assert "Remove “Country: Brazil”" in body or "Remove “Phase: Co-assessment”" in body


def test_an_empty_search_suggests_loosening_without_searching_again(client, catalogue):
    """Each suggestion's count is the database's, and the search runs once for the page, not
    once more per suggestion."""
    from django.http import QueryDict

    url = "/cases/?q=care&country=BR&phase=co-assess&type=collective"
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.context["page"].paginator.count == 0
    full_text = [q for q in queries.captured_queries if " MATCH " in q["sql"] or "@@" in q["sql"]]
    assert len(full_text) == 1
    assert response.context["suggestions"]
    for chip, count in response.context["suggestions"]:
        params = QueryDict(chip.remove_query)
        assert count == CaseFilter(params, queryset=Case.objects.published()).qs.count()


def test_search_ranks_title_matches_first(client, make_case):
    make_case(
        slug="mentions",
        title="Community gardens",
        summary="Growing food.",
        description="Some allotments and a village shop.",
    )
    make_case(slug="title-match", title="Village shop run by volunteers", summary="A shop.")
    response = client.get("/cases/?q=village shop")
    assert slugs(response)[0] == "title-match"


def test_search_highlights_matches_and_escapes_text(client, make_case):
    make_case(slug="x", title="Sanitation", summary="<b>bold</b> sanitation works for everyone")
    body = client.get("/cases/?q=sanitation").content.decode()
    assert "<mark>" in body
    assert "<b>bold</b>" not in body


def test_search_covers_outcomes_locality_and_organisations(client, make_case):
    make_case(slug="a", locality="Zanzibarville")
    make_case(slug="b", lead_organisations="Quixotic Trust")
    make_case(
        slug="c",
        outcomes=[{"statement": "Fewer burglaries", "figure": "", "benefit_group": "citizens"}],
    )
    assert slugs(client.get("/cases/?q=zanzibarville")) == ["a"]
    assert slugs(client.get("/cases/?q=quixotic")) == ["b"]
    assert slugs(client.get("/cases/?q=burglaries")) == ["c"]


def test_search_follows_edits(client, make_case):
    case = make_case(slug="edit-me", title="Old title")
    Case.objects.filter(pk=case.pk).update(title="Platypus project")
    assert slugs(client.get("/cases/?q=platypus")) == ["edit-me"]
    assert slugs(client.get("/cases/?q=old")) == []


@pytest.mark.parametrize(
    "query",
    [
        "evidence_min=abc",
        "evidence_min=9",
        "page=99999",
        "page=abc",
        "page=-1",
        "phase=nonsense",
        "area=no-such-area",
        "country=XX",
        "year_from=abc",
        "year_to=99999999999999999999",
        "sort=sideways",
        "type=both",
        "q=" + "a" * 10_000,
        'q="unbalanced',
        "q=-",
        "q=OR OR OR",
        "q=a & b | !c",
        "q=%00%01nul",
        "q=(((",
        "q=*",
        "q=NEAR(a b)",
        "q=title:foo",
        "unknown=1",
        "phase=co-design&phase=co-design",
    ],
)
def test_bad_input_gives_a_normal_page(client, catalogue, query):
    response = client.get(f"/cases/?{query}")
    assert response.status_code == 200


def test_bad_input_is_explained(client, catalogue):
    body = client.get("/cases/?evidence_min=abc&phase=nonsense").content.decode()
    assert "were not understood" in body
    assert "nonsense" in body


def test_out_of_range_page_shows_the_last_page_with_a_notice(client, catalogue):
    response = client.get("/cases/?page=99999")
    assert response.context["page"].number == response.context["page"].paginator.num_pages
    assert "There is no page 99999" in response.content.decode()


def _query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


# The page's cases: the counts, which cases are on the page, their terms and the facets' terms
# come from the facet index, with no query.
LIST_QUERIES = 1
# The full-text match with its ranks and, on PostgreSQL, which of the search's other spellings
# and configurations any case holds (search._searched) and highlighted snippets for the page.
SEARCH_QUERIES = 4 if connection.vendor == "postgresql" else 2
# The case and the cases like it in one query (the facet index says which they are, from the
# case's address), then the case's outcomes and sources in one (models.read_details); the terms
# and activities of all come from the facet index.
CASE_QUERIES = 2
# After a change, the first request reads the changed cases again: their fields, their titles
# and slugs, and their links to four kinds of term; and the search thesaurus.
REFRESH_QUERIES = 7


def test_query_counts_are_pinned_and_do_not_grow(client, make_case, settings):
    for i in range(3):
        make_case(slug=f"few-{i}", title=f"Gardens {i}")
    client.get("/")  # the facet index brought up to date
    few = [
        _query_count(client, "/cases/"),
        _query_count(client, "/cases/?q=gardens"),
        _query_count(client, "/cases/few-1/"),
    ]
    for i in range(30):
        make_case(
            slug=f"many-{i}",
            title=f"Gardens many {i}",
            phases=["co-design", "co-deliver"],
            service_areas=["health", "housing"],
        )
    settings.CASES_PER_PAGE = 50
    client.get("/")
    many = [
        _query_count(client, "/cases/"),
        _query_count(client, "/cases/?q=gardens"),
        _query_count(client, "/cases/many-1/"),
    ]
    assert few == many == [LIST_QUERIES, SEARCH_QUERIES, CASE_QUERIES]


def test_details_read_in_one_query_are_those_a_prefetch_gives(seed_catalogue, make_case):
    """models.read_details gives every case its outcomes and sources as `with_details` does:
    the same rows, values and order, each knowing its case, in one query for any number of
    cases (none, for a case with neither)."""
    from django.forms.models import model_to_dict

    from catalogue.models import CASE_DETAILS, read_details

    bare = make_case(slug="bare", title="No outcomes or sources")
    bare.outcomes.all().delete()
    bare.sources.all().delete()
    prefetched = list(Case.objects.order_by("id").with_details())
    cases = list(Case.objects.order_by("id"))
    with CaptureQueriesContext(connection) as queries:
        read_details(cases)
        for case, expected in zip(cases, prefetched, strict=True):
            for name in CASE_DETAILS:
                mine = list(getattr(case, name).all())
                assert [model_to_dict(item) for item in mine] == [
                    model_to_dict(item) for item in getattr(expected, name).all()
                ], (case.slug, name)
                assert all(item.case is case for item in mine)
    assert len(queries) == 1
    held = [len(case.outcomes.all()) + len(case.sources.all()) for case in cases]
    assert max(held) > 2 and min(held) == 0
    assert read_details([]) == []


def test_a_case_page_asks_the_database_where_the_facet_index_is_not_told(client, make_case):
    """A case page finds its case through the facet index; where the index has not been told of
    a change (a write that bypasses the signals), the database still decides what is at an
    address."""
    make_case(slug="known", title="Gardens")
    hidden = make_case(slug="hidden", title="Gardens hidden", status="submitted")
    client.get("/")  # the facet index brought up to date
    Case.objects.filter(pk=hidden.pk).update(status="published")
    Case.objects.filter(slug="known").update(slug="moved")
    assert "Gardens hidden" in client.get("/cases/hidden/").content.decode()
    assert client.get("/cases/known/").status_code == 404
    assert "Gardens" in client.get("/cases/moved/").content.decode()
    assert client.get("/cases/nowhere/").status_code == 404


def test_a_publish_reads_only_the_published_case_again(client, make_case, editor):
    """The first request after a publish brings the facet index up to date by reading the
    published case, not the catalogue: a fixed number of queries, whatever its size."""
    from catalogue import services

    for i in range(5):
        make_case(slug=f"old-{i}", title=f"Gardens {i}")
    new = make_case(slug="new", title="Gardens new", phases=["co-assess"], status="submitted")
    client.get("/")
    services.case_publish(case=new, actor=editor)
    with CaptureQueriesContext(connection) as queries:
        page = client.get("/cases/?phase=co-assess")
    assert [c.slug for c in page.context["page"]] == ["new"]
    assert len(queries) == LIST_QUERIES + REFRESH_QUERIES
    refresh = [q["sql"] for q in queries.captured_queries[:REFRESH_QUERIES]]
    *cases, thesaurus = refresh
    assert all(f"IN ({new.id})" in sql for sql in cases), refresh
    assert "catalogue_synonymgroup" in thesaurus


def test_repeated_case_pages_are_served_from_the_cache(client, make_case):
    make_case(slug="x", title="Gardens")
    client.get("/")  # the facet index brought up to date
    first = _query_count(client, "/cases/x/")
    assert first > 0 and _query_count(client, "/cases/x/") == 0


def test_facet_counts_agree_with_the_filterset(catalogue):
    from django.http import QueryDict

    filterset = CaseFilter(QueryDict("type=collective"), queryset=Case.objects.published())
    facets = {f.name: f for f in facet_counts(filterset)}
    assert {o.value: o.count for o in facets["type"].options} == {"individual": 2, "collective": 3}
    assert {o.value: o.count for o in facets["phase"].options}["co-assess"] == 1


def test_cached_counts_change_when_a_case_is_published(client, make_case, django_user_model):
    from catalogue import services

    make_case(slug="one", phases=["co-design"])
    first = client.get("/cases/?type=individual")
    phase = {f.name: f for f in first.context["facets"]}["phase"]
    assert {o.value: o.count for o in phase.options}["co-design"] == 1
    waiting = make_case(slug="two", phases=["co-design"], status="submitted")
    services.case_publish(case=waiting, actor=django_user_model.objects.create(username="ed"))
    second = client.get("/cases/?type=individual")
    phase = {f.name: f for f in second.context["facets"]}["phase"]
    assert {o.value: o.count for o in phase.options}["co-design"] == 2
    assert "2 case" in client.get("/").content.decode()


@pytest.mark.parametrize(
    "sort, first",
    [("title", "city-budget"), ("evidence", "breastfeeding-peers"), ("newest", "care-inspectors")],
)
def test_sort_orders(client, catalogue, sort, first):
    response = client.get(f"/cases/?sort={sort}")
    assert slugs(response)[0] == first
    assert f'<option value="{sort}" selected>' in response.content.decode()


@pytest.mark.parametrize("param", [d.param for d in DIMENSIONS if d.repeatable])
def test_repeated_values_cost_one_subquery_whatever_their_number(catalogue, param):
    """Each value used to add a JOIN; at 12 values PostgreSQL's planner took over 30 s."""
    options = [value for value, _, _ in BY_PARAM[param].options()]
    values = (options * 12)[:12]
    sql = {}
    for n in (1, 2, 10):
        qs = CaseFilter(
            QueryDict(urlencode([(param, x) for x in values[:n]])),
            queryset=Case.objects.published(),
        ).qs
        sql[n] = str(qs.query).upper()
        list(qs)
    assert sql[2].count("JOIN") == sql[10].count("JOIN") == sql[1].count("JOIN")


def test_too_many_repeated_values_are_capped_with_a_notice(client, catalogue):
    areas = [a.slug for a in ServiceArea.objects.order_by("slug")][:14]
    assert len(areas) == 14
    response = client.get("/cases/", [("area", a) for a in areas])
    assert response.status_code == 200
    assert "14 different values were given; only the first 10 are used" in response.text
    capped = client.get("/cases/", [("area", a) for a in areas[:10]])
    assert response.context["page"].paginator.count == capped.context["page"].paginator.count


def test_a_repeated_value_counts_once(client, catalogue):
    once = client.get("/cases/", {"phase": "co-deliver"})
    many = client.get("/cases/", [("phase", "co-deliver")] * 40)
    assert many.context["page"].paginator.count == once.context["page"].paginator.count
    assert "different values" not in many.text


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's plan for full-text search")
@pytest.mark.parametrize(
    "query", ["q=community&evidence_min=2", "q=community&area=health&sort=relevance", "q=garden"]
)
def test_sqlite_runs_the_full_text_match_once_per_query(catalogue, query):
    """Joined to the case rows, FTS5 re-ran the match for each of them: 70 s at 100,000 cases."""
    filterset = CaseFilter(QueryDict(query), queryset=Case.objects.published())
    sql, params = filterset.qs[:20].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = {row[0]: (row[1], row[3]) for row in cursor.fetchall()}
    scans = [node for node, (_, detail) in plan.items() if "catalogue_case_fts" in detail]
    assert len(scans) == 1, plan
    parent = plan[scans[0]][0]
    assert "CORRELATED" not in plan.get(parent, (0, ""))[1], plan


def test_stop_words_are_left_out_of_searches_on_both_databases(client, make_case):
    """PostgreSQL leaves English stop words out of a search; SQLite does the same, so both find
    the same cases and a search for "the" does not rank the whole catalogue."""
    make_case(slug="elderly", title="Care for elderly residents", summary="Visits to the homes.")
    make_case(slug="other", title="A garden of the town", summary="Growing food.")
    assert slugs(client.get("/cases/?q=care of the elderly")) == ["elderly"]
    assert slugs(client.get("/cases/?q=the")) == []
    assert slugs(client.get('/cases/?q="garden of the town"')) == ["other"]
    # The words the search left out are not marked as found either.
    assert "<mark>the</mark>" not in client.get("/cases/?q=care of the elderly").text


@pytest.fixture
def shops(make_case):
    make_case(slug="title-both", title="Village shop run by volunteers", summary="A shop.")
    make_case(
        slug="body-both",
        title="Community gardens",
        summary="Growing food together.",
        description="Allotments near the village and a small shop for the produce.",
    )
    make_case(
        slug="one-word",
        title="Repair café",
        summary="Neighbours mend things in a shop.",
        benefits=["individual", "collective"],
    )
    make_case(slug="neither", title="Befriending", summary="Visits to older people at home.")


def search_from_the_list(django_app, words):
    """Type words into the list's search box and send the form, as a visitor does."""
    form = django_app.get("/cases/").forms[0]
    form["q"] = words
    return form.submit()


def test_a_search_no_case_has_in_full_shows_the_cases_with_some_of_the_words(django_app, shops):
    response = search_from_the_list(django_app, "village shop platypus")
    assert response.status_code == 200
    # More of the words first, a match in the title before one in the text; then one word.
    assert slugs(response) == ["title-both", "body-both", "one-word"]
    note = response.html.select_one(".search-note").get_text()
    assert note == "No case has all of these words; showing cases with some of them."
    assert "3 cases with some of the words of “village shop platypus”" in response.text
    assert response.html.select_one("#id_q")["value"] == "village shop platypus"
    marked = [m.get_text().lower() for m in response.html.select(".case-card mark, mark")]
    assert "platypus" not in marked and {"village", "shop"} & set(marked)


def test_a_widened_search_keeps_its_exclusions_and_its_filters(django_app, shops):
    response = search_from_the_list(django_app, "village shop platypus -volunteers")
    assert slugs(response) == ["body-both", "one-word"]
    # Sorted another way, and narrowed by a filter, from the same form: the same words.
    form = response.forms[0]
    form["sort"] = "title"
    by_title = form.submit()
    assert slugs(by_title) == ["body-both", "one-word"]  # "Community gardens", "Repair café"
    assert by_title.html.select_one(".search-note")
    form = by_title.forms[0]
    form["type"] = "collective"
    assert slugs(form.submit()) == ["one-word"]


def test_a_widened_search_is_the_same_in_the_api_and_the_exports(client, shops):
    api = client.get("/api/cases/", {"q": "village shop platypus"}).json()
    assert [c["slug"] for c in api["results"]] == ["title-both", "body-both", "one-word"]
    assert "No case has all of these words; showing cases with some of them." in api["notices"]
    exported = client.get("/cases.csv", {"q": "village shop platypus"}).getvalue().decode()
    rows = csv.DictReader(io.StringIO(exported))
    assert sorted(row["slug"] for row in rows) == ["body-both", "one-word", "title-both"]


def test_one_word_found_nowhere_is_still_an_empty_list_with_advice(django_app, shops):
    response = search_from_the_list(django_app, "platypus")
    assert slugs(response) == []
    assert not response.html.select(".search-note")
    assert "Check the spelling" in response.text


def test_a_search_every_word_of_which_some_case_has_is_not_widened(django_app, shops):
    response = search_from_the_list(django_app, "village shop")
    assert slugs(response) == ["title-both", "body-both"]
    assert not response.html.select(".search-note")
