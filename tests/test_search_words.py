"""Search that finds what practitioners mean: typos forgiven, spelling variants met, and a
thesaurus editors extend in the admin, on both databases."""

import pytest
from django.db import connection

from catalogue import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def cases(make_case):
    make_case(
        slug="befriending",
        title="Befriending older people at home",
        summary="Volunteers befriend older people and visit them every week.",
    )
    make_case(
        slug="co-operative-shop",
        title="A co-operative village shop",
        summary="Residents own and run the shop for the neighbourhood.",
    )
    make_case(
        slug="organisation",
        title="Tenants' organisation",
        summary="Tenants organise repairs with their landlord's staff.",
    )
    make_case(
        slug="crowd-funding",
        title="Fireworks saved by crowd-funding",
        summary="Residents raised the money for the display by crowd-funding.",
    )
    search.refresh_words()


def search_from_the_list(django_app, words):
    form = django_app.get("/cases/").forms[0]
    form["q"] = words
    return form.submit()


def slugs(response):
    return [case.slug for case in response.context["page"].object_list]


@pytest.mark.parametrize(
    "typed, expected, note",
    [
        ("befreinding", ["befriending"], "No case has the word “befreinding”"),
        ("befriending olderr people", ["befriending"], "No case has the word “olderr”"),
        ("crowdfunding", ["crowd-funding"], "No case has the word “crowdfunding”"),
    ],
)
def test_a_misspelt_word_is_matched_to_the_catalogues_words(
    django_app, cases, typed, expected, note
):
    response = search_from_the_list(django_app, typed)
    assert slugs(response) == expected
    notes = [p.get_text() for p in response.html.select(".search-note")]
    assert any(note in text for text in notes), notes
    assert response.html.select_one("#id_q")["value"] == typed  # the box keeps what was typed
    assert response.html.select("mark"), "the corrected word is highlighted"


def test_a_word_found_somewhere_is_never_corrected(django_app, cases):
    response = search_from_the_list(django_app, "shop")
    assert slugs(response) == ["co-operative-shop"]
    assert not response.html.select(".search-note")


def test_nothing_near_enough_is_still_an_honest_empty_list(django_app, cases):
    response = search_from_the_list(django_app, "xylophonist")
    assert slugs(response) == []
    assert "Check the spelling" in response.text


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("cooperative", "co-operative-shop"),  # without the hyphen
        ("co-operative", "co-operative-shop"),
        ("neighborhood", "co-operative-shop"),  # American spelling
        ("organization", "organisation"),
        ("organize repairs", "organisation"),
        ("coop", "co-operative-shop"),  # the thesaurus
        ("elderly", "befriending"),  # the thesaurus: "older people"
    ],
)
def test_variants_and_synonyms_find_the_same_cases(django_app, cases, typed, expected):
    response = search_from_the_list(django_app, typed)
    assert slugs(response) == [expected]
    assert not response.html.select(".search-note")  # nothing was corrected or widened


def test_editors_extend_the_thesaurus_and_the_next_search_uses_it(django_app, cases, editor):
    before = search_from_the_list(django_app, "pensioners")
    assert slugs(before) != ["befriending"] or before.html.select(".search-note")
    index = django_app.get("/admin/", user=editor)
    groups = index.click("Synonym groups")
    form = groups.click("Add synonym group").forms["synonymgroup_form"]
    form["terms"] = "Pensioners, older people"
    form["note"] = "Older people, as many practitioners call them."
    assert form.submit().status_code == 302
    django_app.reset()
    after = search_from_the_list(django_app, "pensioners")
    assert slugs(after) == ["befriending"] and not after.html.select(".search-note")
    # One term alone is refused with a plain message, and nothing typed is lost.
    form = django_app.get("/admin/catalogue/synonymgroup/add/", user=editor).forms[
        "synonymgroup_form"
    ]
    form["terms"] = "pensioners"
    refused = form.submit()
    assert refused.status_code == 200
    assert "Give at least two words or phrases" in refused.text
    assert refused.forms["synonymgroup_form"]["terms"].value == "pensioners"


def test_variants_of_a_word():
    assert "organization" in search.variants("organisation")
    assert "organisation" in search.variants("organization")
    assert "co operative" in search.variants("cooperative")
    assert "cooperative" in search.variants("co operative")
    assert "neighborhoods" in search.variants("neighbourhoods")
    assert search.variants("four") == []  # short words are left alone


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL looks each spelling up by itself"
)
def test_postgresql_ranks_by_the_spellings_some_case_holds(cases, make_case):
    """Each word as typed is searched; a variant, a synonym or the Welsh configuration's form
    only if some case holds it, which leaves the matches as they were."""
    make_case(slug="cymuned", title="Cymuned", summary_cy="Tenantiaid a chymuned y pentref.")
    searched = search._searched("residents cooperative chymuned tenantiaid")
    assert ("english", "residents") in searched  # as typed, always
    assert ("english", "re sidents") not in searched  # no case has it
    assert ("english", "co operative") in searched  # "co-operative" in a title
    assert ("simple", "chymuned") in searched  # as Welsh text is indexed ("chymun" in English)
    assert ("simple", "residents") not in searched  # no Welsh text has it
    assert ("simple", "tenantiaid") not in searched  # the same as the English form
    for typed in ["residents", "cooperative", "organization tenants", "chymuned -shop"]:
        ids, _ = search.matches(typed, ranked=True)
        unranked, _ = search.matches(typed)  # every operand, none left out
        assert sorted(ids) == sorted(unranked) != [], typed


def test_search_covers_areas_co_producers_sources_and_lessons(django_app, make_case):
    from catalogue.models import CoProducer

    make_case(slug="lessons", lessons="Budgets must be ring-fenced from the start.")
    make_case(
        slug="cited",
        sources=[
            {
                "citation": "Ostrom, E. (1996) Crossing the great divide. World Development.",
                "year": 1996,
                "url": "",
                "kind": "academic",
                "locator": "",
            }
        ],
    )
    make_case(slug="volunteers", co_producers=["volunteers"], service_areas=["housing"])
    make_case(slug="named", title="Ring-fenced budgets for tenants")
    producers = CoProducer.objects.get(slug="volunteers").name.lower()
    assert slugs(search_from_the_list(django_app, "ostrom")) == ["cited"]
    assert slugs(search_from_the_list(django_app, "great divide")) == ["cited"]
    assert "volunteers" in slugs(search_from_the_list(django_app, producers))
    # A word in the title still comes before the same word in the lessons.
    assert slugs(search_from_the_list(django_app, "ring-fenced"))[:2] == ["named", "lessons"]


def test_a_renamed_service_area_is_found_by_its_new_name(django_app, make_case, editor):
    from catalogue.models import ServiceArea

    make_case(slug="allotments", service_areas=["housing"])
    area = ServiceArea.objects.get(slug="housing")
    page = django_app.get(f"/admin/catalogue/servicearea/{area.pk}/change/", user=editor)
    form = page.forms["servicearea_form"]
    form["name"] = "Homes and tenancies"
    assert form.submit().status_code == 302
    django_app.reset()
    assert slugs(search_from_the_list(django_app, "tenancies")) == ["allotments"]


@pytest.mark.parametrize(
    "typed, marked",
    [
        ("organization", "organis"),  # a variant: the British spelling in the text
        ("elderly", "older"),  # a thesaurus term
        ("befreinding", "befriend"),  # a corrected word
    ],
)
def test_the_words_found_are_highlighted_whatever_matched_them(django_app, cases, typed, marked):
    response = search_from_the_list(django_app, typed)
    words = [m.get_text().lower() for m in response.html.select("mark")]
    assert any(word.startswith(marked) for word in words), words


def test_a_search_of_many_unknown_words_costs_a_bounded_number_of_queries(client, cases):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    words = " ".join(f"zq{chr(97 + i)}{chr(97 + j)}xv" for i in range(6) for j in range(6))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cases/", {"q": words})
    assert response.status_code == 200
    # At most four words are corrected (each: is it known, its candidates, a split), and the
    # search is widened to at most eight words (on PostgreSQL each ranked look-up first asks
    # which of its variants any case holds): under 40 queries, however many words are sent.
    assert len(queries) <= 40, len(queries)
