"""The case list as a reader uses it, in Chromium on a desktop and on a phone: paging with Next,
Previous and page numbers, chips, "Remove all filters", facet options, sorting, the loosening
suggestions and the download links. Every step clicks what the page shows; no URL is built here
except the address the reader starts from."""

import json
import math
import re
from pathlib import Path

import pytest
from django.conf import settings

from catalogue.models import Case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

FILTERED = "/cases/?phase=co-deliver&type=collective&q=community&sort=title"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def site(live_server, seed_catalogue):
    return live_server.url


def titles(page):
    return page.locator(".case-card__title").all_inner_texts()


def total(page):
    return int(re.match(r"(\d+) case", page.locator(".result-count").inner_text()).group(1))


def chips(page):
    return page.locator(".chip").all_inner_texts()


def current_page(page):
    return page.locator(".pagination [aria-current=page]").inner_text()


def click(page, role, name):
    page.get_by_role(role, name=name, exact=True).click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", [1280, 390])
@pytest.mark.parametrize("start", ["/cases/", FILTERED])
def test_next_pages_through_every_result_keeping_filters_search_and_sort(
    site, new_page, start, width
):
    page = new_page(width=width)
    page.goto(site + start)
    expected, first_chips = total(page), chips(page)
    pages = [titles(page)]
    while page.get_by_role("link", name="Next page", exact=True).count():
        click(page, "link", "Next page")
        assert current_page(page) == str(len(pages) + 1)
        assert chips(page) == first_chips
        assert total(page) == expected
        assert page.locator("#id_sort").input_value() == (
            "title" if "sort" in start else "relevance"
        )
        assert page.locator(".sort-note").inner_text() == (
            "Sorted by title a–z." if "sort" in start else "Sorted by newest first."
        )
        pages.append(titles(page))
    shown = [title for titles_ in pages for title in titles_]
    assert len(pages) == math.ceil(expected / settings.CASES_PER_PAGE) > 1
    assert len(shown) == len(set(shown)) == expected


def test_page_numbers_and_previous(site, new_page):
    page = new_page()
    page.goto(site + "/cases/")
    last = math.ceil(total(page) / settings.CASES_PER_PAGE)
    first_titles = titles(page)
    click(page, "link", f"Page {last}")
    assert current_page(page) == str(last)
    assert not page.get_by_role("link", name="Next page", exact=True).count()
    click(page, "link", "Previous page")
    assert current_page(page) == str(last - 1)
    click(page, "link", "Page 1")
    assert titles(page) == first_titles
    assert not page.get_by_role("link", name="Previous page", exact=True).count()


def test_chips_and_remove_all(site, new_page):
    page = new_page()
    page.goto(site + FILTERED)
    click(page, "link", "Next page")
    narrowed = total(page)
    page.locator(".chip", has_text="Who benefits: Collective").click()
    page.wait_for_load_state()
    assert "Who benefits: Collective" not in " ".join(chips(page))
    assert any(c.startswith("Phase: Co-delivery") for c in chips(page))
    assert any(c.startswith("Search: community") for c in chips(page))
    assert page.locator("#id_sort").input_value() == "title"
    assert total(page) >= narrowed
    assert not page.locator(".pagination [aria-current=page]").count() or current_page(page) == "1"
    click(page, "link", "Remove all filters")
    assert chips(page) == []
    assert total(page) == Case.objects.published().count()


def test_a_facet_option_gives_the_count_it_shows(site, new_page):
    page = new_page()
    page.goto(site + "/cases/?phase=co-deliver")
    option = page.locator("label[for='f-type-collective']")
    promised = int(re.search(r"\((\d+)", option.inner_text()).group(1))
    option.click()
    click(page, "button", "Apply filters")
    assert total(page) == promised
    assert len(chips(page)) == 2
    assert any(c.startswith("Who benefits: Collective") for c in chips(page))


def test_sorting_is_chosen_in_the_form_and_kept(site, new_page):
    page = new_page()
    page.goto(site + "/cases/?phase=co-deliver")
    page.locator("#id_sort").select_option("evidence")
    click(page, "button", "Apply filters")
    assert page.locator(".sort-note").inner_text() == "Sorted by strongest evidence first."
    levels = [
        int(re.search(r"Evidence level (\d)", text).group(1))
        for text in page.locator(".tag--evidence").all_inner_texts()
    ]
    assert levels == sorted(levels, reverse=True)
    click(page, "link", "Next page")
    assert page.locator("#id_sort").input_value() == "evidence"


def test_loosening_suggestions_lead_to_the_cases_they_promise(site, new_page):
    page = new_page()
    page.goto(site + "/cases/?country=BR&phase=co-assess")
    assert total(page) == 0
    suggestion = page.locator(".empty li a").first
    promised = int(re.search(r"to see (\d+) case", page.locator(".empty li").first.inner_text())[1])
    suggestion.click()
    page.wait_for_load_state()
    assert total(page) == promised > 0
    assert len(chips(page)) == 1


def test_download_links_give_the_cases_on_the_list(site, new_page):
    page = new_page()
    page.goto(site + FILTERED)
    click(page, "link", "Next page")
    expected, downloads = total(page), page.locator(".downloads")
    api = page.request.get(site + downloads.get_by_role("link", name="API").get_attribute("href"))
    assert api.json()["count"] == expected
    assert "page=" not in downloads.get_by_role("link", name="JSON").get_attribute("href")
    with page.expect_download() as download:
        downloads.get_by_role("link", name="JSON").click()
    document = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    assert document["count"] == expected == len(document["results"])
    with page.expect_download() as download:
        downloads.get_by_role("link", name="CSV").click()
    rows = Path(download.value.path()).read_text(encoding="utf-8").strip().splitlines()
    assert rows[0].startswith("slug,")


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_phone_the_results_come_first_and_the_filters_open_on_demand(
    site, new_page, javascript
):
    page = new_page(**PHONE, javascript=javascript)
    page.goto(site + FILTERED)
    assert page.locator(".case-card").first.bounding_box()["y"] < PHONE["height"]
    assert page.locator(".result-count").is_visible() and len(chips(page)) == 3
    assert not page.locator("#id_q").is_visible()
    page.get_by_text("Filter cases (3 chosen)").click()
    assert page.locator("#id_q").is_visible()
    page.locator("label[for='f-type-any']").click()
    click(page, "button", "Apply filters")
    assert len(chips(page)) == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_wide_screen_the_filters_stand_beside_the_list(site, new_page, javascript):
    page = new_page(width=1280, javascript=javascript)
    page.goto(site + "/cases/")
    search, first_card = page.locator("#id_q"), page.locator(".case-card").first
    assert search.is_visible()
    assert search.bounding_box()["x"] < first_card.bounding_box()["x"]
    assert first_card.bounding_box()["y"] < 900
