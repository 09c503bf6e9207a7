"""Cite this case: the text citation and the BibTeX, RIS and CSL-JSON downloads of a case and of
its sources, read back by the parsers reference managers use."""

import functools
import json
import re

import bibtexparser
import pybtex.database
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle
from citeproc import formatter as citeproc_formatter
from citeproc.source.json import CiteProcJSON

from catalogue import citations
from catalogue.models import Case

TRICKY_TITLE = "Café {braces} at 50% & co_op #1: Łódź, São Paulo and Århus ~ $5 \\ back"
TRICKY_SOURCE = (
    "Müller, J. and O'Brien, S. (2019) 'Co-production {revisited}: 100% & more_than "
    "“expected”', Journal of Public Services, 3(2): 1–20."
)


def links(body, section_id):
    """The download links (href, text) of one section of a case page."""
    section = re.search(rf'<section aria-labelledby="{section_id}".*?</section>', body, re.S)
    return dict(
        (text, href)
        for href, text in re.findall(r'<a href="([^"]+)" download>([^<]+)</a>', section[0])
    )


def parse_bibtex(text, decode=True):
    """The entries of a BibTeX file, read by bibtexparser (LaTeX decoded) and pybtex."""
    middleware = [LatexDecodingMiddleware()] if decode else []
    library = bibtexparser.parse_string(text, append_middleware=middleware)
    assert not library.failed_blocks, [block.error for block in library.failed_blocks]
    assert len(pybtex.database.parse_string(text, "bibtex").entries) == len(library.entries)
    return library.entries


@functools.cache
def harvard():
    return CitationStylesStyle("harvard-cite-them-right", validate=False)


def render_csl(items):
    """The bibliography citeproc-py writes from CSL-JSON items, in a Harvard style."""
    source = CiteProcJSON(items)
    bibliography = CitationStylesBibliography(harvard(), source, citeproc_formatter.plain)
    for item in items:
        bibliography.register(Citation([CitationItem(item["id"])]))
    return [str(entry) for entry in bibliography.bibliography()]


def download(client, href):
    response = client.get(href)
    assert response.status_code == 200
    return response


@pytest.mark.django_db
def test_every_published_case_offers_citations_that_reference_parsers_read(client, seed_catalogue):
    cases = list(Case.objects.published())
    assert cases
    for case in cases:
        page = client.get(case.get_absolute_url())
        body = page.content.decode()
        url = f"http://testserver{case.get_absolute_url()}"
        cite = links(body, "cite-heading")
        assert list(cite) == ["BibTeX", "RIS", "CSL-JSON"]
        assert page.context["catalogue_citation"] in body.replace("&#x27;", "'")

        [entry] = parse_bibtex(download(client, cite["BibTeX"]).content.decode())
        assert entry["title"] == case.title
        assert entry["url"] == url
        assert entry["author"] == "Co-production Case Catalogue"
        assert entry["year"] == str(case.published_at.year)

        [record] = rispy.loads(download(client, cite["RIS"]).content.decode())
        assert record["type_of_reference"] == "ELEC"
        assert record["title"] == case.title
        assert record["urls"] == [url]

        items = json.loads(download(client, cite["CSL-JSON"]).content)
        assert items[0]["title"] == case.title and items[0]["URL"] == url
        [rendered] = render_csl(items)
        assert case.title in rendered

        sources = links(body, "sources-heading")
        count = case.sources.count()
        bib = download(client, sources["BibTeX"]).content.decode()
        assert len(parse_bibtex(bib, decode=False)) == count
        assert len(rispy.loads(download(client, sources["RIS"]).content.decode())) == count
        items = json.loads(download(client, sources["CSL-JSON"]).content)
        assert all(
            " ".join(s.citation.split()) in item["note"]
            for s, item in zip(case.sources.all(), items, strict=True)
        )
        assert len(render_csl(items)) == count


def test_special_characters_and_accents_survive_every_format(client, make_case):
    case = make_case(
        title=TRICKY_TITLE,
        sources=[
            {
                "citation": TRICKY_SOURCE,
                "year": 2019,
                "url": "https://example.org/a%20b#p2",
                "kind": "academic",
                "locator": "p. 5",
            },
        ],
    )
    body = client.get(case.get_absolute_url()).content.decode()
    cite = links(body, "cite-heading")
    bib = download(client, cite["BibTeX"]).content.decode()
    # No character BibTeX treats specially is left bare in the title (a bare % ends the line).
    title_line = next(line for line in bib.splitlines() if line.strip().startswith("title"))
    assert not re.search(r"(?<!\\)[%&_#$]", title_line)
    [entry] = parse_bibtex(bib)
    assert entry["title"] == TRICKY_TITLE
    [record] = rispy.loads(download(client, cite["RIS"]).content.decode())
    assert record["title"] == TRICKY_TITLE
    assert json.loads(download(client, cite["CSL-JSON"]).content)[0]["title"] == TRICKY_TITLE

    sources = links(body, "sources-heading")
    [entry] = parse_bibtex(download(client, sources["BibTeX"]).content.decode())
    assert entry["title"] == "Co-production {revisited}: 100% & more_than “expected”"
    assert entry["author"] == "Müller, J. and O'Brien, S."
    assert entry["url"].replace("\\", "") == "https://example.org/a%20b#p2"
    [record] = rispy.loads(download(client, sources["RIS"]).content.decode())
    assert record["authors"] == ["Müller, J.", "O'Brien, S."]
    assert record["urls"] == ["https://example.org/a%20b#p2"]
    [item] = json.loads(download(client, sources["CSL-JSON"]).content)
    assert item["author"] == [
        {"family": "Müller", "given": "J."},
        {"family": "O'Brien", "given": "S."},
    ]
    assert "Journal of Public Services" in item["note"] and "p. 5" in item["note"]


def test_downloads_name_their_format_and_file(client, make_case):
    case = make_case(slug="named-case")
    body = client.get(case.get_absolute_url()).content.decode()
    expected = {
        "BibTeX": ("application/x-bibtex", "named-case.bib"),
        "RIS": ("application/x-research-info-systems", "named-case.ris"),
        "CSL-JSON": ("application/vnd.citationstyles.csl+json", "named-case.json"),
    }
    for name, href in links(body, "cite-heading").items():
        response = download(client, href)
        content_type, filename = expected[name]
        assert response["Content-Type"].split(";")[0] == content_type
        assert response["Content-Disposition"] == f'attachment; filename="{filename}"'
    for href in links(body, "sources-heading").values():
        assert "named-case-sources." in download(client, href)["Content-Disposition"]


def test_unknown_and_unpublished_cases_have_no_citation(client, make_case):
    hidden = make_case(slug="hidden-case", status="submitted")
    for path in ["cite.bib", "cite.ris", "cite.json", "sources.bib", "sources.ris", "sources.json"]:
        assert client.get(f"/cases/no-such-case/{path}").status_code == 404
        assert client.get(f"{hidden.get_absolute_url()}{path}").status_code == 404
    assert client.get("/cases/no-such-case/cite.pdf").status_code == 404
    assert client.get(f"/cases/{'x' * 5000}/cite.bib").status_code == 404


def test_the_text_citation_names_publisher_title_address_and_dates(client, make_case):
    case = make_case(title="Village shop")
    response = client.get(case.get_absolute_url())
    text = response.context["catalogue_citation"]
    assert text.startswith(
        f"Co-production Case Catalogue ({case.published_at.year}) ‘Village shop’."
    )
    assert "Available at: http://testserver/cases/" in text and "(accessed " in text
    assert 'id="catalogue-citation"' in response.content.decode()


@pytest.mark.parametrize(
    ("text", "authors", "others", "title"),
    [
        (
            "Knapp, M., Bauer, A., Perkins, M. and Snell, T. (2009) Building Community Capacity:"
            " Making an Economic Case. PSSRU Discussion Paper 2772. London: PSSRU.",
            [("Knapp", "M."), ("Bauer", "A."), ("Perkins", "M."), ("Snell", "T.")],
            False,
            "Building Community Capacity: Making an Economic Case",
        ),
        (
            "Poll, C. et al. (2006) A report on In Control's first phase 2003–2005. London: In Control.",
            [("Poll", "C.")],
            True,
            "A report on In Control's first phase 2003–2005",
        ),
        (
            "Cabinet Office (2012) Community commissioning case studies. London: Cabinet Office.",
            ["Cabinet Office"],
            False,
            "Community commissioning case studies",
        ),
        (
            "Governance International, case study 'Well London: communities working together'.",
            [],
            False,
            "Governance International, case study 'Well London: communities working together'",
        ),
    ],
)
def test_authors_and_title_are_read_from_a_harvard_citation(text, authors, others, title):
    names, more, read_title = citations.read_citation(text)
    assert [n.literal or (n.family, n.given) for n in names] == authors
    assert (more, read_title) == (others, title)
