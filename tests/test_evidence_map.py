"""The evidence-gap map (/evidence/) and the case page's links into the list: every square's
count is the count the list shows at the square's link, with the map's filters, in both views;
bad parameters get the list's messages; each classification value of a case page leads to a
list that holds the case, and its definition opens in place."""

import re
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest

from catalogue.models import Case

pytestmark = pytest.mark.django_db


def squares(response):
    """[(text of the square, its link)] for every square of the map."""
    return [
        (cell.select_one(".gap-map__text").get_text(strip=True), cell.a["href"])
        for cell in response.html.select("td.gap-map__cell")
    ]


def shown_count(text):
    return 0 if text.startswith("No cases") else int(re.match(r"(\d+) cases?:", text).group(1))


def list_count(response):
    text = response.html.select_one(".result-count").get_text(strip=True)
    return int(re.match(r"(\d+) case", text).group(1))


def check_every_square(django_app, response, every=1):
    """Follow every square's link (or every `every`th) and compare the counts."""
    found = squares(response)
    assert found
    for text, href in found[::every]:
        assert list_count(django_app.get(href)) == shown_count(text), (text, href)
    return found


def test_every_square_of_the_map_counts_what_its_list_shows(django_app, seed_catalogue):
    page = django_app.get("/").click("Evidence gaps", index=0)
    found = check_every_square(django_app, page)
    assert len(found) == 4 * 7  # the two refused cells of the matrix are left out
    assert any(shown_count(text) == 0 for text, _ in found)  # the seed has gaps
    assert sum(shown_count(text) for text, _ in found) >= Case.objects.published().count()
    gaps = page.html.select("td.gap-map__cell--gap")
    assert {c.get_text(strip=True) for c in gaps} == {"No cases: a gap"}
    assert f"{len(gaps)} of 28 squares are gaps" in page.text


def test_the_map_keeps_the_chosen_filters_in_both_views(django_app, seed_catalogue):
    page = django_app.get("/matrix/").click("The evidence-gap map")
    form = next(f for f in page.forms.values() if "view" in f.fields)
    form["country"] = "GB"
    form["type"] = "collective"
    filtered = form.submit()
    found = check_every_square(django_app, filtered, every=2)
    for _, href in found:
        query = parse_qs(urlsplit(href).query)
        assert query["country"] == ["GB"] and query["type"] == ["collective"]
        assert len(query["phase"]) == 1 and {"planning", "delivery"} <= set(query)
    everything = sum(shown_count(t) for t, _ in squares(django_app.get("/evidence/")))
    assert sum(shown_count(t) for t, _ in found) < everything
    form = next(f for f in filtered.forms.values() if "view" in f.fields)
    form["view"] = "area"
    by_area = form.submit()
    assert "area" not in next(f for f in by_area.forms.values() if "view" in f.fields).fields
    found = check_every_square(django_app, by_area, every=6)
    assert len(found) == 4 * len(by_area.html.select("thead th[scope=col]"))
    for _, href in found:
        query = parse_qs(urlsplit(href).query)
        assert query["country"] == ["GB"] and len(query["area"]) == 1


def test_the_table_has_headers_a_caption_and_words_for_each_bar(django_app, seed_catalogue):
    page = django_app.get("/evidence/")
    table = page.html.select_one("table.gap-map")
    assert table.caption.get_text(strip=True)
    assert [th.get_text(strip=True) for th in table.select("tbody th[scope=row]")] == [
        "Co-commissioning",
        "Co-design",
        "Co-delivery",
        "Co-assessment",
    ]
    assert len(table.select("thead th[scope=col]")) == 7
    for svg in table.select("svg"):
        assert svg["aria-hidden"] == "true"
    texts = [t for t, _ in squares(page)]
    for text in texts:
        if shown_count(text):
            levels = [int(n) for n in re.findall(r"(\d+) at level", text)]
            assert sum(levels) == shown_count(text)


@pytest.mark.parametrize(
    "query",
    [
        "view=sideways",
        "evidence_min=abc&country=ZZ&area=nowhere",
        "phase=co-design&planning=community&delivery=community",
        "type=" + "x" * 5000,
        "country=G%00B&view=%01",
        "area=" + "&area=".join(f"a{i}" for i in range(50)),
    ],
)
def test_bad_parameters_get_a_message_not_an_error(django_app, seed_catalogue, query):
    page = django_app.get(f"/evidence/?{query}")
    assert page.status_code == 200
    assert page.html.select(".notice li") or page.html.select("p.note")
    check_every_square(django_app, page, every=5)


def classification_links(page):
    """The links the case page gives from its classification to the list."""
    return [
        a["href"]
        for a in page.html.select("article.case a[href^='/cases/?']")
        if "sort=" not in a["href"]
    ]


def list_holds(django_app, href, slug):
    page = django_app.get(href)
    while True:
        if page.html.select_one(f"a[href='/cases/{slug}/']"):
            return True
        following = page.html.select_one("a[rel=next]")
        if not following:
            return False
        page = django_app.get(urljoin(page.request.url, following["href"]))


@pytest.mark.parametrize("slug", ["tackley-village-shop", "porto-alegre-participatory-budgeting"])
def test_each_value_on_a_case_page_leads_to_a_list_holding_the_case(
    django_app, seed_catalogue, slug
):
    case = Case.objects.get(slug=slug)
    page = django_app.get(f"/cases/{slug}/")
    links = classification_links(page)
    params = {name for href in links for name in parse_qs(urlsplit(href).query)}
    assert {"phase", "planning", "delivery", "type", "area", "country", "evidence_min"} <= params
    assert f"See cases at level {case.evidence_level} or above" in page.text
    for href in links:
        assert list_holds(django_app, href, slug), href


def test_a_terms_definition_opens_in_place_with_examples(django_app, seed_catalogue):
    page = django_app.get("/cases/tackley-village-shop/")
    terms = page.html.select("details.term")
    assert terms
    for term in terms:
        assert term.summary.get_text(strip=True).startswith("What “")
        examples = term.select_one("a[href*='sort=evidence']")
        assert examples.get_text(strip=True).startswith("See examples")
        listed = django_app.get(examples["href"])
        assert list_count(listed) >= 1
        assert "Strongest evidence first" in listed.text
