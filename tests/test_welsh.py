"""Welsh and English: every public page in both, no interface text left in English on a Welsh
page, the switch between them, the reader's choice remembered, and Welsh case texts where they
exist (English ones, marked as English, where they do not)."""

import gettext
import re
import shutil
from pathlib import Path

import polib
import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from catalogue.models import Case

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = ROOT / "locale" / "cy" / "LC_MESSAGES"

# Text that is the same in both languages: names of formats, standards, licences and languages,
# and Welsh words spelled as the English ones. Anything else found unchanged on a Welsh page is
# interface text left untranslated.
SAME_IN_BOTH = {
    "CSV", "JSON", "API", "BibTeX", "RIS", "CSL-JSON", "Atom", "OpenAPI", "OpenAPI 3.1",
    "CC BY 4.0", "English", "Cymraeg", "Nesta", "Bovaird", "Frictionless", "SHA256SUMS",
    "SHA-256", "JSON-LD", "ISO 3166-1 alpha-2", "ISO 8601", "Zotero", "EndNote", "Mendeley",
    "Cell", "Label", "Data",
}  # fmt: skip
# Country names that are the same in Welsh (the CLDR's): Japan, Sweden, Canada...
SAME_IN_BOTH |= {
    entry.msgid
    for entry in polib.pofile(
        str(ROOT / "locale" / "countries" / "cy" / "LC_MESSAGES" / "django.po")
    )
    if entry.msgstr == entry.msgid
}
NOT_WORDS = re.compile(r"^[\W\d_]*$")  # numbers, punctuation, symbols
# Addresses, file names, parameters and slugs, in lists or alone (code, the same in both).
CODE = re.compile(r"^[a-z0-9/][\w./?&=:-]*([,;] [a-z0-9/][\w./?&=:-]*)*$")


def interface_text(text):
    bare = re.sub(r"\(\d[\d,]*\)", "", text).strip("()[].,:;·– ")  # less any count
    return not (NOT_WORDS.match(text) or bare in SAME_IN_BOTH or CODE.match(bare))


def visible_texts(html):
    """The page's interface text: text nodes and the attributes read aloud or shown, leaving out
    what is marked as in another language than the page's (case texts without a Welsh version,
    language names), code, and the data the page quotes."""
    soup = BeautifulSoup(html, "html.parser")
    page_language = soup.html.get("lang")
    for element in soup.select("script, style, code, pre, samp, kbd, [data-verbatim]"):
        element.decompose()
    for element in soup.find_all(lambda e: e.get("lang") and e.get("lang") != page_language):
        element.decompose()
    texts = [" ".join(s.split()) for s in soup.stripped_strings]
    for element in soup.find_all(True):
        for attribute in ("aria-label", "title", "placeholder", "alt"):
            if element.get(attribute):
                texts.append(" ".join(element[attribute].split()))
        if element.name == "input" and element.get("type") in ("submit", "button"):
            texts.append(element.get("value", ""))
    return [t for t in texts if t and interface_text(t)]


def untranslated(client, english_url):
    """Interface text that reads the same on the English page and its Welsh version."""
    english = client.get(english_url)
    assert english.status_code == 200, english_url
    welsh_url = switch_target(english.content.decode())
    welsh = client.get(welsh_url)
    assert welsh.status_code == 200, welsh_url
    assert '<html lang="cy">' in welsh.content.decode()
    client.get(switch_url(welsh.content.decode()))  # back to English for the next page
    same = set(visible_texts(english.content.decode())) & set(visible_texts(welsh.content.decode()))
    return sorted(same)


def switch_url(html):
    link = BeautifulSoup(html, "html.parser").select_one(".language-switch a")
    assert link is not None, "the page has no language switch"
    return link["href"]


def switch_target(html):
    """Where the page's language switch leads: the URL it redirects to."""
    from django.test import Client

    response = Client().get(switch_url(html))
    assert response.status_code == 302
    return response["Location"]


def public_pages(client, case):
    """The pages a reader reaches from the home page's navigation, a case, a search, a filtered
    list and the forms, by following the links the pages show."""
    home = BeautifulSoup(client.get("/").content.decode(), "html.parser")
    pages = ["/"] + [a["href"] for a in home.select("nav[aria-label] a[href^='/']")]
    listing = BeautifulSoup(client.get(reverse("case_list")).content.decode(), "html.parser")
    pages.append(listing.select_one(".case-card a")["href"])
    pages += [a["href"] for a in listing.select("a[href^='/cases/?']")][:3]  # sorts, pages
    pages += [
        reverse("case_list") + "?phase=co-design&type=collective&evidence_min=1",
        reverse("case_list") + "?page=2&sort=title",
        reverse("submit_step", args=["who"]),
        reverse("submit_step", args=["about"]),
        reverse("case_list") + "?q=community+care",
        reverse("case_list") + "?q=zzzzqqq",
        reverse("report_problem", args=[case.slug]),
        reverse("alert_new") + "?q=care",
        reverse("codebook"),
        reverse("api_docs"),
        reverse("compare") + f"?cases={case.slug}",
    ]
    return list(dict.fromkeys(pages))


def test_the_catalogue_has_every_marked_string_translated(tmp_path, settings, monkeypatch):
    """Gather the marked strings afresh (makemessages) from a copy of the templates and the code
    into a copy of the catalogue: every one must be in the committed catalogue, with a Welsh
    translation that is not fuzzy. (A copy: makemessages writes beside the files it reads.)"""
    if shutil.which("xgettext") is None:
        pytest.fail("gettext is needed to check the Welsh catalogue: apt-get install gettext")
    work = tmp_path / "site"
    ignore = shutil.ignore_patterns("__pycache__", "migrations")
    for folder in ("catalogue", "templates"):
        shutil.copytree(ROOT / folder, work / folder, ignore=ignore)
    shutil.copytree(CATALOGUE, work / "locale" / "cy" / "LC_MESSAGES")
    monkeypatch.chdir(work)
    settings.LOCALE_PATHS = [work / "locale"]
    call_command(
        "makemessages",
        locale=["cy"],
        extensions=["html", "txt", "py"],
        no_location=True,
        no_obsolete=True,
        verbosity=0,
    )
    fresh = polib.pofile(str(work / "locale" / "cy" / "LC_MESSAGES" / "django.po"))
    committed = polib.pofile(str(CATALOGUE / "django.po"))
    key = lambda e: (e.msgctxt, e.msgid)  # noqa: E731
    missing = {key(e) for e in fresh} - {key(e) for e in committed if not e.obsolete}
    assert not missing, f"marked but not in locale/cy (run `make messages`): {sorted(missing)[:20]}"
    untranslated_entries = [e.msgid for e in fresh if not e.translated() or "fuzzy" in e.flags]
    assert not untranslated_entries, f"no Welsh yet for: {untranslated_entries[:20]}"
    assert len(fresh) > 900


def test_the_compiled_catalogue_matches_its_source():
    with open(CATALOGUE / "django.mo", "rb") as mo:
        compiled = gettext.GNUTranslations(mo)
    for entry in polib.pofile(str(CATALOGUE / "django.po")).translated_entries():
        msgid = f"{entry.msgctxt}\x04{entry.msgid}" if entry.msgctxt else entry.msgid
        if entry.msgid_plural:
            assert compiled._catalog[(msgid, 0)] == entry.msgstr_plural[0], entry.msgid
        else:
            assert compiled._catalog[msgid] == entry.msgstr, (
                f"django.mo is older than django.po for {entry.msgid!r}: run `make messages`"
            )


def test_every_public_page_is_in_welsh_with_no_english_interface_text_left(client, seed_catalogue):
    case = Case.objects.published().order_by("slug").first()
    found = {page: untranslated(client, page) for page in public_pages(client, case)}
    left = {page: texts for page, texts in found.items() if texts}
    assert not left, f"English left on Welsh pages: {left}"
    assert len(found) >= 20


def test_the_switch_keeps_the_page_and_its_query_and_is_remembered(client, seed_catalogue):
    english = client.get("/cases/?q=care&phase=co-design&page=1")
    welsh_link = switch_url(english.content.decode())
    welsh = client.get(welsh_link, follow=True)
    assert welsh.redirect_chain[-1][0] == "/cy/cases/?q=care&phase=co-design&page=1"
    assert '<html lang="cy">' in welsh.content.decode()
    # Remembered: an English address followed from elsewhere opens in Welsh ...
    response = client.get("/matrix/")
    assert response.status_code == 302 and response["Location"] == "/cy/matrix/"
    assert "Cookie" in response["Vary"]
    # ... but never the data, which has one address.
    assert client.get("/cases.csv").status_code == 200
    # The switch back leads to the same page in English and is remembered too.
    back = client.get(switch_url(welsh.content.decode()), follow=True)
    assert back.redirect_chain[-1][0] == "/cases/?q=care&phase=co-design&page=1"
    assert client.get("/matrix/").status_code == 200


def test_pages_name_their_other_language_version(client, seed_catalogue):
    body = client.get("/cy/cases/?q=care").content.decode()
    links = {
        link["hreflang"]: link["href"]
        for link in BeautifulSoup(body, "html.parser").select("link[rel=alternate][hreflang]")
    }
    assert links == {
        "en-GB": "http://testserver/cases/?q=care",
        "cy": "http://testserver/cy/cases/?q=care",
        "x-default": "http://testserver/cases/?q=care",
    }


def test_a_switch_to_another_site_or_language_goes_nowhere_harmful(client, db):
    assert client.get("/language/fr/?next=/").status_code == 404
    response = client.get("/language/cy/?next=https://elsewhere.example/")
    assert response["Location"] == "/cy/"


def test_a_case_without_welsh_texts_shows_the_english_marked_as_english(client, make_case):
    case = make_case(title="Peer support in Newport", summary="People helping each other.")
    body = client.get(f"/cy/cases/{case.slug}/").content.decode()
    soup = BeautifulSoup(body, "html.parser")
    heading = soup.select_one("h1")
    assert heading.get_text(strip=True) == "Peer support in Newport"
    assert heading.find_parent(attrs={"lang": "en-GB"}) or heading.get("lang") == "en-GB"
    assert soup.select_one("[data-no-welsh]") is not None  # the note that no Welsh version exists


def test_a_case_with_welsh_texts_shows_them_on_the_welsh_page(client, make_case):
    case = make_case(
        title="Peer support in Newport",
        title_cy="Cymorth gan gymheiriaid yng Nghasnewydd",
        summary="People helping each other.",
        summary_cy="Pobl yn helpu ei gilydd.",
        description="A description.",
        description_cy="Disgrifiad.",
    )
    welsh = client.get(f"/cy/cases/{case.slug}/").content.decode()
    assert "Cymorth gan gymheiriaid yng Nghasnewydd" in welsh
    assert "Pobl yn helpu ei gilydd." in welsh
    assert "data-no-welsh" not in welsh
    english = client.get(f"/cases/{case.slug}/").content.decode()
    assert "Peer support in Newport" in english and "Cymorth gan" not in english


def test_search_finds_cases_by_their_welsh_texts(client, make_case):
    make_case(slug="newport", title="Peer support", title_cy="Cymorth gan gymheiriaid")
    make_case(slug="other", title="Something else")
    body = client.get("/cy/cases/?q=gymheiriaid").content.decode()
    assert "/cy/cases/newport/" in body and "/cy/cases/other/" not in body
    english = client.get("/cases/?q=gymheiriaid").content.decode()
    assert "/cases/newport/" in english


def test_open_data_carries_the_welsh_texts_beside_the_english(client, make_case):
    make_case(slug="newport", title="Peer support", title_cy="Cymorth gan gymheiriaid")
    document = client.get("/api/cases/newport/").json()
    assert document["title"] == "Peer support"
    assert document["title_cy"] == "Cymorth gan gymheiriaid"
    assert document["summary_cy"] == ""
    csv = b"".join(client.get("/cases.csv").streaming_content).decode()
    header = csv.splitlines()[0].split(",")
    assert {"title_cy", "summary_cy", "description_cy"} <= set(header)


@pytest.mark.parametrize(
    "ask, expected",
    [
        ({"data": {"lang": "cy"}}, "cy"),
        ({"HTTP_ACCEPT_LANGUAGE": "cy,en;q=0.5"}, "cy"),
        ({"HTTP_ACCEPT_LANGUAGE": "fr"}, "en-gb"),
        ({}, "en-gb"),
    ],
)
def test_the_api_gives_vocabulary_labels_in_the_language_asked(client, make_case, ask, expected):
    make_case(slug="newport", planning="co-planning", delivery="community")
    response = client.get(
        "/api/cases/newport/", ask.get("data"), **{k: v for k, v in ask.items() if k != "data"}
    )
    assert response.status_code == 200
    assert response["Content-Language"] == expected
    with translation.override(expected):
        from catalogue import vocabulary as v

        assert response.json()["matrix_cell"]["name"] == str(
            v.MATRIX["co-planning", "community"].name
        )


def test_the_api_refuses_a_language_it_does_not_have(client, make_case):
    make_case(slug="newport")
    response = client.get("/api/cases/newport/", {"lang": "fr"})
    assert response.status_code == 400
    assert "lang" in response.json()["error"]


def test_a_missing_page_says_so_in_the_language_of_its_address(client, db):
    english = client.get("/cases/no-such-case/")
    welsh = client.get("/cy/cases/no-such-case/")
    assert english.status_code == welsh.status_code == 404
    assert "<h1>Page not found</h1>" in english.content.decode()
    body = welsh.content.decode()
    assert '<html lang="cy">' in body and "<h1>Page not found</h1>" not in body


def test_a_server_error_page_speaks_both_languages(rf):
    from django.views.defaults import server_error

    body = server_error(rf.get("/cy/cases/")).content.decode()
    assert "Sorry, there is a problem with the service" in body
    assert '<div lang="cy">' in body and "Mae'n ddrwg gennym" in body


def test_a_browser_that_asks_for_welsh_first_gets_welsh_until_its_reader_chooses(client, db):
    welsh_first = {"HTTP_ACCEPT_LANGUAGE": "cy,en-GB;q=0.8"}
    response = client.get("/cases/?q=gofal", **welsh_first)
    assert response.status_code == 302 and response["Location"] == "/cy/cases/?q=gofal"
    assert "Accept-Language" in response["Vary"]
    english_first = {"HTTP_ACCEPT_LANGUAGE": "en-GB,cy;q=0.8"}
    assert client.get("/cases/?q=gofal", **english_first).status_code == 200
    # The reader's own choice wins over the browser's.
    switch = switch_url(client.get("/cy/cases/?q=gofal").content.decode())
    client.get(switch)
    assert client.get("/cases/?q=gofal", **welsh_first).status_code == 200


def test_a_form_refused_for_its_security_check_says_why_in_the_page_language(db):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/cy/cases/tackley-village-shop/report/", {"reason": "other"})
    assert response.status_code == 403
    body = response.content.decode()
    assert '<html lang="cy">' in body and "The form could not be sent" not in body
    english = strict.post("/cases/tackley-village-shop/report/", {"reason": "other"})
    assert "The form could not be sent" in english.content.decode()
