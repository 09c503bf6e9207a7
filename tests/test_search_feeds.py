"""A feed for any search: the case list's "Follow this search" link gives an Atom feed of the
newest published cases that match, which a feed reader can read, whose entries lead to the case
pages, and which shows a case as soon as an editor publishes it."""

from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import feedparser
import pytest
from django.urls import reverse

from catalogue import services
from catalogue.models import Case
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SEARCH = "/cases/?phase=co-assess&area=health&sort=title&page=1"


class Links(HTMLParser):
    """The page's <a> elements (href and text) and its <link> elements (attributes)."""

    def __init__(self, html):
        super().__init__()
        self.anchors, self.heads, self._open = [], [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a":
            self._open = [attrs.get("href"), ""]
        elif tag == "link":
            self.heads.append(attrs)

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open[0], " ".join(self._open[1].split())))
            self._open = None


def follow_link(client, list_url, text="Follow this search"):
    """The href of the list page's link with this text, as the page renders it."""
    page = client.get(list_url)
    assert page.status_code == 200
    hrefs = [href for href, label in Links(page.content.decode()).anchors if label == text]
    assert len(hrefs) == 1, f"one “{text}” link on {list_url}"
    return hrefs[0]


def read_feed(client, href):
    """The feed as a feed reader sees it (feedparser), after checking it is well-formed Atom
    with the elements Atom requires."""
    response = client.get(href)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == f"{ATOM}feed"
    for name in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{name}").text
    assert root.find(f"{ATOM}author/{ATOM}name").text
    for entry in root.findall(f"{ATOM}entry"):
        for name in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{name}").text
        assert entry.find(f"{ATOM}link[@rel='alternate']").get("href")
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def slug_of(link):
    path = urlsplit(link).path
    assert path.startswith("/cases/") and path.endswith("/")
    return path.removeprefix("/cases/").strip("/")


def newest_first(cases):
    return [c.slug for c in sorted(cases, key=lambda c: (c.published_at, c.pk), reverse=True)]


def matching(phase="co-assess", area="health"):
    return Case.objects.published().filter(phases__slug=phase, service_areas__slug=area)


def test_follow_this_search_gives_the_lists_cases_newest_first_linking_to_their_pages(
    client, seed_catalogue
):
    href = follow_link(client, SEARCH)
    assert parse_qs(urlsplit(href).query) == {"phase": ["co-assess"], "area": ["health"]}
    feed = read_feed(client, href)
    assert feed.feed.title.endswith("cases with phase: Co-assessment; service area: Health")
    assert "phase: Co-assessment; service area: Health" in feed.feed.subtitle
    expected = newest_first(matching())
    assert expected, "the seed catalogue has co-assessed health cases"
    assert [slug_of(entry.link) for entry in feed.entries] == expected
    for entry in feed.entries:
        page = client.get(urlsplit(entry.link).path)
        assert page.status_code == 200
        assert entry.title in page.content.decode()
        assert entry.id == entry.link


def test_the_list_head_offers_the_same_feed_to_feed_readers(client, seed_catalogue):
    page = client.get(SEARCH).content.decode()
    feeds = [
        link["href"]
        for link in Links(page).heads
        if link.get("rel") == "alternate" and link.get("type") == "application/atom+xml"
    ]
    assert follow_link(client, SEARCH) in feeds


def test_the_whole_catalogue_feed_holds_the_newest_fifty(client, seed_catalogue):
    feed = read_feed(client, follow_link(client, "/cases/", "Follow new cases"))
    assert [slug_of(e.link) for e in feed.entries] == newest_first(Case.objects.published())[:50]


def test_a_search_feed_holds_at_most_fifty_cases(client, make_case):
    for n in range(53):
        make_case(slug=f"assessed-{n}", phases=["co-assess"])
    feed = read_feed(client, follow_link(client, "/cases/?phase=co-assess"))
    assert len(feed.entries) == 50
    assert [slug_of(e.link) for e in feed.entries] == newest_first(matching())[:50]


def test_a_bad_parameter_is_ignored_and_the_feed_says_so(client, seed_catalogue):
    href = follow_link(client, "/cases/?phase=co-nothing&area=health")
    feed = read_feed(client, href)
    assert "“co-nothing” was not understood and has been ignored" in feed.feed.subtitle
    health = Case.objects.published().filter(service_areas__slug="health")
    assert [slug_of(e.link) for e in feed.entries] == newest_first(health)[:50]
    assert "not understood" in client.get(href)["X-Catalogue-Notice"]


@pytest.mark.parametrize(
    "query",
    [
        "phase=%00",
        "q=%01%1b%7f%c2%85",
        "year_from=99999999999999999999",
        "evidence_min=-1",
        "country=ZZ",
        "q=" + "word " * 400,
        "area=x&area=y&" + "&".join(f"phase=p{n}" for n in range(30)),
        "sort=nonsense&page=-4",
    ],
)
def test_hostile_parameters_give_a_readable_feed(client, seed_catalogue, query):
    read_feed(client, f"{reverse('feed')}?{query}")


def test_sort_and_page_do_not_change_the_feed(client, seed_catalogue):
    plain = read_feed(client, "/feeds/cases/?phase=co-design")
    sorted_ = read_feed(client, "/feeds/cases/?phase=co-design&sort=title&page=3")
    assert [e.link for e in plain.entries] == [e.link for e in sorted_.entries]


def test_a_case_published_in_the_admin_appears_in_the_feed_at_once(client, seed_catalogue, editor):
    """A practitioner follows a search; an editor publishes a matching submission through the
    admin's Publish action; the next read of the feed has it first. A case that does not match
    the search stays out of it."""
    href = follow_link(client, SEARCH)
    before = read_feed(client, href)
    document = case_doc(
        title="Tenants rate their health visitors",
        phases=["co-assess"],
        service_areas=["health"],
    )
    document.pop("slug")
    contact = services.Contact(name="Sam", email="sam@council.example")
    case, _token = services.case_submit(document=document, contact=contact)
    other, _token = services.case_submit(
        document={**document, "title": "Tenants design a garden", "phases": ["co-design"]},
        contact=contact,
    )
    assert slug_of_any(read_feed(client, href)) == slug_of_any(before), "unpublished: not shown"

    client.force_login(editor)
    response = client.post(
        reverse("admin:catalogue_case_changelist") + "?queue=all",
        {"action": "publish", "_selected_action": [case.pk, other.pk]},
    )
    assert response.status_code == 302
    client.logout()

    after = read_feed(client, href)
    assert after.entries[0].title == "Tenants rate their health visitors"
    assert slug_of(after.entries[0].link) == Case.objects.get(pk=case.pk).slug
    assert Case.objects.get(pk=other.pk).slug not in slug_of_any(after)
    assert slug_of_any(after)[1:] == slug_of_any(before)[: len(after.entries) - 1]


def slug_of_any(feed):
    return [slug_of(entry.link) for entry in feed.entries]
