"""How to cite a case of the catalogue, and the sources it names: as text, BibTeX, RIS and CSL-JSON.

Each citation is described once, as a `Reference`; the three file formats are written from that
description (BibTeX with bibtexparser, its special characters and accents encoded as LaTeX by
pylatexenc; RIS with rispy; CSL-JSON by hand, as it is plain JSON). The case page shows the text
and links to the downloads (views.case_cite, views.case_sources_cite).

A source is stored as its citation text (Harvard style: "Author, A. and Other, B. (2007) Title.
Place: Publisher."), a year, an address and a kind. Where the text follows that pattern the authors
and the title are read from it; otherwise the whole text is the title, so nothing is lost.
"""

import json
import re
from dataclasses import dataclass
from datetime import date

import bibtexparser
import rispy
from bibtexparser.library import Library
from bibtexparser.model import Entry, Field
from django.conf import settings
from pylatexenc.latexencode import UnicodeToLatexEncoder

from catalogue import vocabulary as v

LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"

# The kinds of source, as CSL and RIS name the nearest type; BibTeX has @misc for them all.
SOURCE_TYPES = {
    v.SourceKind.ACADEMIC: ("document", "GEN"),
    v.SourceKind.EVALUATION: ("report", "RPRT"),
    v.SourceKind.PRACTITIONER: ("report", "RPRT"),
    v.SourceKind.NEWS: ("article-newspaper", "NEWS"),
}
OTHER_TYPE = ("document", "GEN")

CONTENT_TYPES = {
    "bib": "application/x-bibtex; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
    "json": "application/vnd.citationstyles.csl+json; charset=utf-8",
}


@dataclass(frozen=True)
class Name:
    """An author: a person (family and given names) or an organisation (`literal`)."""

    family: str = ""
    given: str = ""
    literal: str = ""


@dataclass(frozen=True)
class Reference:
    """One citation, from which every format is written."""

    key: str
    csl_type: str
    ris_type: str
    title: str
    text: str
    authors: tuple[Name, ...] = ()
    others: bool = False  # "et al.": more authors than named
    year: int | None = None
    issued: date | None = None
    modified: date | None = None
    accessed: date | None = None
    publisher: str = ""
    url: str = ""
    note: str = ""


def long_date(day):
    return f"{day.day} {day:%B %Y}"


def case_reference(case, url, accessed):
    """The catalogue's entry for a published case, at `url` (absolute), read on `accessed`."""
    published = (case.published_at or case.updated_at).date()
    modified = case.updated_at.date()
    name = settings.SITE_NAME
    dates = f"Published {long_date(published)}"
    if modified > published:
        dates += f", last updated {long_date(modified)}"
    text = (
        f"{name} ({published.year}) ‘{case.title}’. {dates}. "
        f"Available at: {url} (accessed {long_date(accessed)})."
    )
    return Reference(
        key=f"coproduction-catalogue-{case.slug}",
        csl_type="webpage",
        ris_type="ELEC",
        title=case.title,
        text=text,
        authors=(Name(literal=name),),
        year=published.year,
        issued=published,
        modified=modified,
        accessed=accessed,
        publisher=name,
        url=url,
        note=f"{dates}. Licence: CC BY 4.0 ({LICENCE_URL}).",
    )


def source_reference(source, key):
    """A source a case cites, as far as its citation text says."""
    text = " ".join(source.citation.split())
    authors, others, title = read_citation(text)
    csl_type, ris_type = SOURCE_TYPES.get(source.kind, OTHER_TYPE)
    # The whole citation goes in the note too, as what the authors and title leave out (the
    # journal, pages, place and publisher) is not split into fields.
    locator = source.locator.rstrip(".")
    note = f"{text} Where in the source: {locator}." if locator else text
    return Reference(
        key=key,
        csl_type=csl_type,
        ris_type=ris_type,
        title=title,
        text=text,
        authors=authors,
        others=others,
        year=source.year,
        url=source.url,
        note=note,
    )


def case_source_references(case):
    """The sources of a case, in the page's order."""
    return [
        source_reference(source, f"{case.slug}-source-{number}")
        for number, source in enumerate(case.sources.all(), start=1)
    ]


# "Authors (2007) Rest", where Rest opens with the title, quoted or up to its first full stop.
HARVARD = re.compile(r"^(?P<authors>[^()]{2,300}?)\s*\((?P<year>\d{4})[a-z]?\)\s*(?P<rest>.+)$")
QUOTED_TITLE = re.compile(r"^[‘'“\"](?P<title>.+?)[’'”\"](?=,|\.|\s+in\s|$)")
PLAIN_TITLE = re.compile(r"^(?P<title>.+?[^A-Z])\.(?:\s|$)")
PERSON = re.compile(r"^(?P<family>[^,]+),\s*(?P<given>(?:[A-Z][a-z]?\.\s*-?)+)$")


def read_citation(text):
    """(authors, et al., title) read from a Harvard-style citation; ((), False, text) when it
    does not follow the pattern."""
    match = HARVARD.match(text)
    if not match:
        return (), False, text.rstrip(".")
    rest = match["rest"]
    title = QUOTED_TITLE.match(rest) or PLAIN_TITLE.match(rest)
    title = title["title"].strip() if title else rest.rstrip(".")
    authors, others = read_authors(match["authors"])
    return authors, others, title


def read_authors(written):
    """Names from "Knapp, M., Bauer, A. and Snell, T." or "Poll, C. et al." or "Cabinet Office"."""
    written = written.strip().rstrip(",")
    others = written.endswith("et al.")
    if others:
        written = written.removesuffix("et al.").strip().rstrip(",")
    people = []
    for part in re.split(r"\s+and\s+|\s*&\s*", written):
        people.extend(p for p in re.split(r"(?<=\.),\s*", part) if p)
    names = [PERSON.match(p.strip()) for p in people]
    if people and all(names):
        return tuple(
            Name(family=n["family"].strip(), given=n["given"].strip()) for n in names
        ), others
    return (Name(literal=written),), others


# --- The formats -----------------------------------------------------------------------------


def to_csl(references):
    """CSL-JSON (the citation style language's data format), as a string."""
    return json.dumps([csl_item(r) for r in references], ensure_ascii=False, indent=2)


def csl_item(ref):
    item = {"id": ref.key, "type": ref.csl_type, "title": ref.title}
    if ref.authors:
        item["author"] = [
            {"literal": n.literal} if n.literal else {"family": n.family, "given": n.given}
            for n in ref.authors
        ]
    if ref.issued:
        item["issued"] = csl_date(ref.issued)
    elif ref.year:
        item["issued"] = {"date-parts": [[ref.year]]}
    if ref.accessed:
        item["accessed"] = csl_date(ref.accessed)
    if ref.publisher:
        item["publisher"] = ref.publisher
    if ref.url:
        item["URL"] = ref.url
    note = f"Further authors not named. {ref.note}".strip() if ref.others else ref.note
    if note:
        item["note"] = note
    return item


def csl_date(day):
    return {"date-parts": [[day.year, day.month, day.day]]}


# Every character BibTeX or LaTeX treats specially ({ } % & _ # $ ~ ^ \) and every accent, written
# as LaTeX, so that the file reads the same in BibTeX, biber and any reference manager.
LATEX = UnicodeToLatexEncoder(
    non_ascii_only=False,
    replacement_latex_protection="braces-all",
    unknown_char_policy="keep",
)


def latex(text):
    return LATEX.unicode_to_latex(text)


def bibtex_name(name):
    if name.literal:  # braces keep an organisation's name whole, not "Office, Cabinet"
        return "{" + latex(name.literal) + "}"
    return f"{latex(name.family)}, {latex(name.given)}"


def to_bibtex(references):
    """BibTeX, one @misc entry per reference, as a string."""
    library = Library([bibtex_entry(r) for r in references])
    return bibtexparser.write_string(library)


def bibtex_entry(ref):
    fields = []

    def add(key, value):
        if value:  # bibtexparser writes the value in braces
            fields.append(Field(key, value))

    names = [bibtex_name(n) for n in ref.authors] + (["others"] if ref.others else [])
    add("author", " and ".join(names))
    # Double braces keep the title's capitals as written.
    add("title", "{" + latex(ref.title) + "}")
    add("year", str(ref.year) if ref.year else "")
    if ref.issued:
        add("date", ref.issued.isoformat())
    add("publisher", latex(ref.publisher))
    if ref.url:
        # \url{} in howpublished for plain BibTeX styles; url for biblatex and natbib.
        add("howpublished", "\\url{" + bibtex_url(ref.url) + "}")
        add("url", bibtex_url(ref.url))
    if ref.accessed:
        add("urldate", ref.accessed.isoformat())
    add("note", latex(ref.note))
    return Entry("misc", ref.key, fields)


def bibtex_url(url):
    # Inside \url{} only braces, % and # need care; backslashes are not valid in a URL anyway.
    return (
        url.replace("\\", "%5C")
        .replace("{", "%7B")
        .replace("}", "%7D")
        .replace("%", "\\%")
        .replace("#", "\\#")
    )


class RisWriter(rispy.RisWriter):
    """RIS without rispy's numbered line before each record, which some importers misread."""

    def set_header(self, count):
        return ""


def to_ris(references):
    """RIS (the research information systems format), as a string with CRLF line ends."""
    text = rispy.dumps([ris_record(r) for r in references], implementation=RisWriter)
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def ris_record(ref):
    record = {"type_of_reference": ref.ris_type, "id": ref.key, "title": ref.title}
    if ref.authors:
        record["authors"] = [n.literal or f"{n.family}, {n.given}" for n in ref.authors]
    if ref.year:
        record["year"] = str(ref.year)
    if ref.issued:
        record["date"] = ref.issued.strftime("%Y/%m/%d")
    if ref.accessed:
        record["access_date"] = ref.accessed.strftime("%Y/%m/%d")
    if ref.publisher:
        record["publisher"] = ref.publisher
    if ref.url:
        record["urls"] = [ref.url]
    notes = [ref.note] if ref.note else []
    if ref.others:
        notes.insert(0, "Further authors not named.")
    if notes:
        record["notes"] = notes
    # RIS is one field per line: a value never spans lines.
    return {
        key: [" ".join(x.split()) for x in value]
        if isinstance(value, list)
        else " ".join(value.split())
        for key, value in record.items()
    }


FORMATS = {"bib": to_bibtex, "ris": to_ris, "json": to_csl}
