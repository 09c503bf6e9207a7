"""axe-core in a real Chromium on every page type: no serious or critical violations,
and the filters and the submission form work with the keyboard alone."""

import pytest

from catalogue import services
from tests.conftest import EDITOR_PASSWORD, case_doc

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        options={
            "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]
        },
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']} – {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.fixture
def site(live_server, seed_catalogue, editor, settings):
    settings.SUBMISSION_MIN_SECONDS = 0
    doc = case_doc()
    doc.pop("slug")
    case, token = services.case_submit(
        document=doc, contact=services.Contact(name="A", email="a@example.org")
    )
    services.case_request_changes(case=case, actor=None, reason="Please add a figure.")
    return live_server.url, token


PUBLIC_PAGES = [
    "/",
    "/cases/",
    "/cases/?phase=co-deliver&type=collective&q=village",
    "/cases/?q=nothingmatchesthis",
    "/cases/?evidence_min=abc&page=999",
    "/cases/tackley-village-shop/",
    "/cases/tackley-village-shop/report/",
    "/matrix/",
    "/guide/",
    "/submit/",
    "/submit/who/",
    "/submit/about/",
    "/submit/outcomes/",
    "/codebook/",
    "/api/",
    "/data/",
    "/evidence/",
    "/evidence/?view=area&country=GB",
    "/match/",
    "/match/?areas=older-people&producers=volunteers&planning=professional&delivery=co-delivery&benefits=collective",
    "/compare/?cases=tackley-village-shop,porto-alegre-participatory-budgeting",
    "/alerts/new/?phase=co-assess",
]


@pytest.mark.parametrize("width, language", [(1280, ""), (390, ""), (1280, "/cy"), (390, "/cy")])
def test_public_pages_have_no_serious_violations(site, new_page, width, language):
    """Every page type, in English and in Welsh (`language`: the Welsh pages' prefix)."""
    base, token = site
    found = {}
    page = new_page()
    page.set_viewport_size({"width": width, "height": 900})
    for path in [*PUBLIC_PAGES, f"/track/{token}/"]:
        page.goto(base + language + path)
        if problems := violations(page):
            found[language + path] = problems
    # Pages showing errors: a refused combination and an empty required step.
    page.goto(base + language + "/submit/who/")
    page.locator("input[name=delivery][value=professional]").check()
    page.locator("main form button[type=submit]").last.click()
    if problems := violations(page):
        found["submit/who with errors"] = problems
    page.goto(base + language + "/cases/tackley-village-shop/report/")
    page.locator("main form button[type=submit]").last.click()
    if problems := violations(page):
        found["report with errors"] = problems
    assert not found, found


def test_no_public_page_scrolls_sideways_on_a_phone(site, new_page):
    """At 390 px nothing sticks out of the page; wide tables scroll inside their own region.
    One case page from each matrix cell, since each marks a different cell of the small matrix."""
    from catalogue.models import Case

    base, _ = site
    cells = Case.objects.published().order_by().values_list("planning", "delivery").distinct()
    case_pages = [
        Case.objects.published().filter(planning=p, delivery=d).first().get_absolute_url()
        for p, d in cells
    ]
    assert len(case_pages) == 7
    too_wide = {}
    page = new_page()
    page.set_viewport_size({"width": 390, "height": 900})
    for path in [*PUBLIC_PAGES, *case_pages]:
        for language in ("", "/cy"):  # Welsh words run longer
            page.goto(base + language + path)
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                too_wide[language + path] = width
    assert not too_wide, too_wide


def test_editor_pages_have_no_serious_violations(site, new_page):
    base, _ = site
    page = new_page()
    page.goto(base + "/admin/login/")
    assert not violations(page)
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(base + "/admin/catalogue/case/?queue=all")
    assert page.locator("#result_list").count() == 1
    assert not violations(page)
    # Every column of the queue fits at 1366 px, without scrolling the table sideways.
    results = page.locator("#changelist-form .results")
    assert results.evaluate("el => el.scrollWidth <= el.clientWidth")
    for heading in page.locator("#result_list thead th").all():
        box = heading.bounding_box()
        assert box["x"] + box["width"] <= 1366


def test_filters_work_with_the_keyboard_alone(site, new_page):
    base, _ = site
    page = new_page()
    page.goto(base + "/cases/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")
    page.locator("#id_q").focus()
    page.keyboard.type("village")
    page.locator("#f-planning-co-planning").focus()
    page.keyboard.press("Space")
    page.locator("button.button", has_text="Apply filters").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/cases/?**")
    assert "planning=co-planning" in page.url and "q=village" in page.url
    assert "tackley-village-shop" in page.content()
    chip = page.locator(".chip", has_text="Planned by")
    chip.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "planning=co-planning" not in url)
    assert page.locator(".chip").count() == 1


def test_submission_form_works_with_the_keyboard_alone(site, new_page):
    base, _ = site
    page = new_page()
    page.goto(base + "/submit/who/")
    page.locator("#id_planning_1").focus()
    page.keyboard.press("Space")
    page.locator("#id_delivery_1").focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/submit/participation/")
    assert "Full user/professional co-production" in page.content()
    # An error summary link moves focus to the field it names.
    page.keyboard.press("Tab")
    page.locator("button.button").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    page.locator(".error-summary").wait_for()
    assert page.evaluate("document.activeElement.className") == "error-summary"
    link = page.locator(".error-summary a").first
    link.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("location.hash") == "#id_phases_0"
