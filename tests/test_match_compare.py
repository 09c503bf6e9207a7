"""Find cases like mine (/match/) and the comparison of cases (/compare/), used as a
practitioner uses them: answering the rendered form, following the links and buttons shown."""

import csv
import io
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from catalogue import facetindex, matching

QUESTIONS = json.loads((Path(__file__).parent / "match_questions.json").read_text())["questions"]


def open_match_page(django_app):
    """The match page, reached from the home page's navigation."""
    home = django_app.get("/")
    return home.click("Find cases like mine", href="/match/", index=0)


def answer(form, answers):
    """Fill the match form from its rendered fields, as a person ticks and chooses."""
    for name, value in answers.items():
        if isinstance(value, list):
            boxes = form.fields[name]
            offered = {box._value for box in boxes}
            assert set(value) <= offered, f"{name}: {set(value) - offered} not offered"
            for box in boxes:
                box.checked = box._value in value
        else:
            form[name] = value
    return form


def result_slugs(page):
    return [a["href"].strip("/").split("/")[-1] for a in page.html.select(".match__title a")]


@pytest.mark.django_db
def test_seed_situations_find_their_cases_in_the_first_three(django_app, seed_catalogue):
    """hit@3 on the seed catalogue: for every situation of tests/match_questions.json, one of the
    cases it should find is among the first three results."""
    page = open_match_page(django_app)
    misses = {}
    for question in QUESTIONS:
        results = answer(page.forms["match-form"], question["answers"]).submit()
        assert results.status_code == 200
        top = result_slugs(results)[:3]
        if not set(top) & set(question["expected"]):
            misses[question["situation"]] = top
    hit_rate = 1 - len(misses) / len(QUESTIONS)
    assert hit_rate == 1, (hit_rate, misses)


@pytest.mark.django_db
def test_each_result_says_why_it_matched_and_what_differs(django_app, seed_catalogue):
    page = open_match_page(django_app)
    answers = {
        "areas": ["local-economy"],
        "producers": ["volunteers"],
        "planning": "co-planning",
        "delivery": "community",
        "benefits": ["collective"],
        "country": "FR",
    }
    results = answer(page.forms["match-form"], answers).submit()
    matches = results.html.select(".match")
    assert 0 < len(matches) <= matching.RESULTS
    first = matches[0].get_text(" ", strip=True)
    assert "same service area: Local economy" in first
    assert "same matrix cell (co-planned / community)" in first
    assert "evidence level" in first
    assert "What differs: in United Kingdom" in first  # a country was chosen, not this one
    # The answers stay in the form, and the address can be shared.
    assert results.forms["match-form"]["planning"].value == "co-planning"
    assert "planning=co-planning" in results.request.url
    # How we rank: every criterion with its points.
    ranking = results.html.select_one(".how-we-rank").get_text(" ", strip=True)
    for criterion in matching.CRITERIA:
        assert f"{criterion.weight} {criterion.explanation}" in ranking


@pytest.mark.django_db
def test_scores_are_the_weights_of_the_criteria_met(seed_catalogue):
    snapshot = facetindex.current()
    situation = matching.Situation(
        areas=("health",),
        producers=("service-users",),
        planning="professional",
        delivery="co-delivery",
        benefits=("individual",),
        phases=("co-deliver",),
        country="GB",
    )
    ranked = matching.rank(snapshot, situation, limit=len(snapshot))
    assert ranked
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    for r in ranked:
        assert r.score == sum(matching.WEIGHTS[key] for key in r.met)
        assert not {"cell", "planning"} <= set(r.met)  # the cell counts once, not three times
    assert ranked[0].met == ["area", "cell", "type", "producer", "phase", "country"]


@pytest.mark.django_db
def test_the_first_ten_are_the_first_ten_of_the_whole_ranking(seed_catalogue):
    """Only the cases that can reach the first ten are sorted: the same ten as sorting them all."""
    snapshot = facetindex.current()
    for question in QUESTIONS:
        answers = question["answers"]
        situation = matching.Situation(
            areas=tuple(answers["areas"]),
            producers=tuple(answers["producers"]),
            planning=answers["planning"],
            delivery=answers["delivery"],
            benefits=tuple(answers["benefits"]),
            phases=tuple(answers.get("phases", ())),
            country=answers.get("country", ""),
        )
        whole = matching.rank(snapshot, situation, limit=len(snapshot))
        assert matching.rank(snapshot, situation) == whole[: matching.RESULTS]


@pytest.mark.django_db
def test_unanswered_questions_are_listed_with_their_fields(django_app, seed_catalogue):
    page = open_match_page(django_app)
    results = page.forms["match-form"].submit()
    summary = results.html.select_one(".error-summary").get_text(" ", strip=True)
    for message in (
        "Tick at least one service area.",
        "Tick at least one group of people who would take part.",
        "Say who would plan or design the service.",
        "Say who would deliver the service day to day.",
        "Say who should benefit: tick one or both.",
    ):
        assert message in summary
    assert results.html.title.string.startswith("Error:")
    assert not results.html.select(".match")


@pytest.mark.django_db
def test_professional_provision_alone_is_explained_not_matched(django_app, seed_catalogue):
    page = open_match_page(django_app)
    answers = {
        "areas": ["health"],
        "producers": ["citizens"],
        "planning": "professional",
        "delivery": "professional",
        "benefits": ["individual"],
    }
    results = answer(page.forms["match-form"], answers).submit()
    assert "not co-production" in results.html.select_one(".error-summary").get_text()
    assert not results.html.select(".match")


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "areas=nowhere&planning=x&delivery=%00&benefits=everyone&country=ZZ",
        "areas=" + "a" * 5000,
        "country=GB%0A&phases=co-design&phases=co-design",
        "&".join(["areas=health"] * 500),
    ],
)
def test_unreadable_answers_get_messages_not_errors(django_app, seed_catalogue, query):
    page = django_app.get(f"/match/?{query}")
    assert page.status_code == 200
    assert page.html.select_one(".error-summary")


def add_to_comparison(page, title):
    """Press "Add to comparison" beside the case with this title."""
    for form in page.forms.values():
        if form.action.endswith("/compare/") and title in str(form.html):
            return form.submit()
    raise AssertionError(f"No Add to comparison for {title}")


def compared_titles(page):
    return [th.a.get_text(strip=True) for th in page.html.select(".compare-table__case")]


@pytest.mark.django_db
def test_three_cases_compared_side_by_side(django_app, seed_catalogue):
    case_page = django_app.get("/cases/tackley-village-shop/")
    compared = add_to_comparison(case_page, "Tackley Village Shop")
    assert compared_titles(compared) == ["Tackley Village Shop"]

    # Add two more from the list: the comparison so far travels with the links.
    listing = compared.click("Add another case")
    titles = [a.get_text(strip=True) for a in listing.html.select(".case-card__title a")]
    others = [t for t in titles if t != "Tackley Village Shop"][:2]
    compared = add_to_comparison(listing, others[0])
    listing = compared.click("Add another case")
    compared = add_to_comparison(listing, others[1])
    assert compared_titles(compared) == ["Tackley Village Shop", *others]
    assert "Add another case" not in compared.text

    table = compared.html.select_one(".compare-table")
    groups = [th.get_text(strip=True) for th in table.select(".compare-table__group th")]
    assert groups[:3] == ["About the case", "Classification", "Evidence"]
    assert {"Costs and lessons", "Sources"} <= set(groups)
    assert len(table.select("thead th")) == 3

    # A full comparison: the cards say so instead of offering to add.
    listing = django_app.get("/cases/", params={"compare": compared.request.GET["cases"]})
    assert "already has three cases" in listing.text

    # The CSV has the page's rows, one column per case.
    download = compared.click("Download this comparison")
    assert download.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["Group", "Field", "Tackley Village Shop", *others]
    page_labels = [th.get_text(strip=True) for th in table.select("th[scope=row]")]
    assert [row[1] for row in rows[2:]] == page_labels

    # Remove one: the other two stay.
    link = compared.html.select(".compare-table__remove")[0]["href"]
    fewer = compared.goto(link)
    assert compared_titles(fewer) == others


@pytest.mark.django_db
def test_the_csv_cannot_run_formulas(django_app, make_case):
    make_case(slug="formula", title="=HYPERLINK(1)", costs="+1 savings", lessons="@SUM(A1)")
    page = django_app.get("/compare/", params={"cases": "formula"})
    download = page.click("Download this comparison")
    cells = [cell for row in csv.reader(io.StringIO(download.text)) for cell in row]
    assert "'=HYPERLINK(1)" in cells and "'+1 savings" in cells and "'@SUM(A1)" in cells
    assert not any(cell[:1] in "=+-@" and cell for cell in cells)


@pytest.mark.django_db
def test_unknown_and_extra_cases_are_named_and_left_out(django_app, seed_catalogue, make_case):
    make_case(slug="not-yet", status="submitted")
    slugs = [
        "tackley-village-shop",
        "no-such-case",
        "not-yet",
        "villa-family",
        "samaritans",
        "planning-for-real",
    ]
    page = django_app.get("/compare/", params={"cases": ",".join(slugs)})
    assert len(compared_titles(page)) == 3
    notice = page.html.select_one(".notice").get_text(" ", strip=True)
    assert "“no-such-case”" in notice and "“not-yet”" in notice
    assert "at most 3 cases" in notice and "Planning for Real" in notice
    # Repeated parameters are read the same way.
    repeated = django_app.get("/compare/?cases=samaritans&cases=villa-family")
    assert len(compared_titles(repeated)) == 2


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "cases=" + ",".join(["x"] * 5000),
        "cases=" + "a" * 100_000,
        "cases=%00%01,..%2F..%2Fetc,<script>",
        "&".join(f"cases=c{i}" for i in range(500)),
        "cases=",
    ],
)
def test_hostile_comparisons_get_a_page_not_an_error(django_app, seed_catalogue, query):
    page = django_app.get(f"/compare/?{query}")
    assert page.status_code == 200
    assert "<script>" not in page.text
    assert django_app.get(f"/compare/cases.csv?{query}").status_code == 200


@pytest.mark.django_db
def test_the_case_page_offers_the_comparison_it_came_from(django_app, seed_catalogue):
    page = django_app.get("/cases/villa-family/", params={"compare": "samaritans"})
    form = next(f for f in page.forms.values() if f.action.endswith("/compare/"))
    assert form["cases"].value == "samaritans,villa-family"
    listing = django_app.get("/cases/", params={"compare": "samaritans"})
    card_link = listing.html.select_one(".case-card__title a")["href"]
    assert parse_qs(urlsplit(card_link).query) == {"compare": ["samaritans"]}


BROWSER_PAGES = [
    "/match/",
    "/match/?areas=health&producers=citizens&planning=co-planning&delivery=co-delivery"
    "&benefits=collective&country=GB",
    "/match/?planning=professional&delivery=professional",
    "/compare/?cases=tackley-village-shop,caterham-barracks-community-trust,villa-family",
    "/compare/",
]


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_pages_are_accessible_and_fit_a_phone(live_server, seed_catalogue, new_page):
    """axe-core finds no serious problem at desktop and phone widths; on a phone nothing sticks
    out of the page, and the comparison's table scrolls inside its own region."""
    from tests.test_accessibility import violations

    found, too_wide = {}, {}
    for width in (1280, 390):
        page = new_page(width=width)
        for path in BROWSER_PAGES:
            page.goto(live_server.url + path)
            if problems := violations(page):
                found[width, path] = problems
            if page.evaluate("document.documentElement.scrollWidth") > width:
                too_wide[width, path] = page.evaluate("document.documentElement.scrollWidth")
    assert not found, found
    assert not too_wide, too_wide
    page.goto(live_server.url + BROWSER_PAGES[3])
    assert page.locator(".compare-scroll").evaluate("el => el.scrollWidth > el.clientWidth")
