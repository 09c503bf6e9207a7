"""A case page printed from Chromium: one or two A4 pages of the case itself, with its matrix
picture, sources and citation, a footer with the page's address and the day printed, and none
of the site's navigation, forms or buttons."""

import io
import os
import unicodedata
from pathlib import Path

import pytest
from django.db.models.functions import Length
from django.utils import timezone
from pypdf import PdfReader

from catalogue.models import Case

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Set to a folder to keep the PDFs and page pictures for a look at them.
SHOTS = os.environ.get("CATALOGUE_PRINT_SHOTS")


def longest_case():
    """The published seed case with the most text: the hardest to fit on two pages."""
    return (
        Case.objects.published()
        .annotate(size=Length("description") + Length("lessons") + Length("costs"))
        .order_by("-size")
        .first()
    )


def printed(new_page, url, width=1280):
    page = new_page(width=width)
    page.goto(url)
    page.emulate_media(media="print")
    pdf = page.pdf(format="A4", print_background=False)
    return page, pdf


@pytest.mark.parametrize("width", [1280, 390])
def test_a_long_case_prints_on_at_most_two_pages_with_its_citation(
    live_server, new_page, seed_catalogue, width
):
    case = longest_case()
    screen = new_page(width=width)
    screen.goto(live_server.url + "/cases/")
    screen.get_by_role("link", name=case.title, exact=True).first.click()
    url = screen.url
    page, pdf = printed(new_page, url, width)
    if SHOTS:
        folder = Path(SHOTS)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"print-{width}.pdf").write_bytes(pdf)
    reader = PdfReader(io.BytesIO(pdf))
    # NFKC: the PDF writes "ffl" and other ligatures as one glyph.
    text = unicodedata.normalize("NFKC", " ".join(p.extract_text() for p in reader.pages))
    words = " ".join(text.split())
    assert len(reader.pages) <= 2, len(reader.pages)

    assert "Cite this case" in words
    citation = " ".join(page.locator("#catalogue-citation").inner_text().split())
    assert citation[:60] in words
    assert "Sources" in words
    for source in page.locator(".sources .citation").all():
        assert " ".join(source.inner_text().split())[:40] in words
    assert "Bovaird's planner/deliverer matrix" in words
    assert page.locator(".matrix__cell--marked").is_visible()
    today = timezone.localdate().strftime("%-d %B %Y")
    assert f"Printed from the Co-production Case Catalogue on {today}" in words
    assert url in words.replace(" ", "") or url in text.replace("\n", "")
    for navigation in [
        "Skip to main content",
        "Submit a case",
        "Report a problem",
        "Open data:",
        "Related cases",
        "Copy citation",
        "Add to comparison",
        "Download these sources",
    ]:
        assert navigation not in words, navigation


def test_the_print_footer_is_not_shown_on_screen(live_server, new_page, seed_catalogue):
    case = longest_case()
    page = new_page()
    page.goto(live_server.url + case.get_absolute_url())
    assert not page.locator(".print-footer").is_visible()
