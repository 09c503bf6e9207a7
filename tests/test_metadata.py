"""Structured metadata: each case page's schema.org JSON-LD (under the CSP nonce) and Open Graph
tags, /sitemap.xml and /robots.txt, as a search engine or a re-user reads them."""

import json
import re
import xml.etree.ElementTree as ET

import pytest

from catalogue import sitemaps
from catalogue.models import Case

SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
HOST = "catalogue.example.org"


def scripts(body):
    """(attributes, text) of every <script> element of a page."""
    return re.findall(r"<script([^>]*)>(.*?)</script>", body, re.S)


def jsonld(response):
    """The page's JSON-LD block, checked to carry the nonce the CSP header names."""
    body = response.content.decode()
    blocks = [(attrs, text) for attrs, text in scripts(body) if "application/ld+json" in attrs]
    assert len(blocks) == 1
    attrs, text = blocks[0]
    nonce = re.search(r'nonce="([^"]+)"', attrs)[1]
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    return json.loads(text)


def open_graph(body):
    return dict(re.findall(r'<meta property="([^"]+)" content="([^"]*)">', body))


@pytest.mark.django_db
def test_every_case_page_has_json_ld_about_the_practice(client, seed_catalogue):
    cases = list(Case.objects.published().prefetch_related("sources"))
    for case in cases:
        response = client.get(case.get_absolute_url())
        data = jsonld(response)
        url = f"http://testserver{case.get_absolute_url()}"
        assert data["@context"] == "https://schema.org" and data["@type"] == "Article"
        assert data["url"] == url and data["headline"] == case.title
        assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
        assert data["dateModified"] == case.updated_at.isoformat()
        assert data["spatialCoverage"]["address"]["addressCountry"] == case.country.code
        phases = {term["termCode"] for term in data["about"] if term["@type"] == "DefinedTerm"}
        assert {p.slug for p in case.phases.all()} | {case.cell.slug} == phases
        assert [c["description"] for c in data["citation"]] == [
            " ".join(s.citation.split()) for s in case.sources.all()
        ]
        og = open_graph(response.content.decode())
        assert og["og:type"] == "article" and og["og:url"] == url
        assert og["og:title"].replace("&#x27;", "'") == case.title
        assert og["og:site_name"] == "Co-production Case Catalogue"


def test_json_ld_is_the_only_inline_script_and_its_nonce_is_new_each_time(client, make_case):
    case = make_case()
    nonces = set()
    for _ in range(2):  # the second request reads the case from the cache
        response = client.get(case.get_absolute_url())
        inline = [attrs for attrs, text in scripts(response.content.decode()) if text.strip()]
        assert len(inline) == 1 and "application/ld+json" in inline[0]
        header = response["Content-Security-Policy"]
        nonce = re.search(r"'nonce-([^']+)'", header)[1]
        assert f'nonce="{nonce}"' in inline[0]
        assert "unsafe-inline" not in header
        nonces.add(nonce)
    assert len(nonces) == 2


def test_pages_without_json_ld_keep_a_policy_without_nonce(client, db):
    response = client.get("/cases/")
    assert "nonce-" not in response["Content-Security-Policy"]
    assert not [text for _, text in scripts(response.content.decode()) if text.strip()]


def test_json_ld_cannot_end_its_script_element(client, make_case):
    title = "</script><script>alert(1)</script> <!-- & more"
    case = make_case(title=title, summary="A summary with </SCRIPT> in it.")
    response = client.get(case.get_absolute_url())
    body = response.content.decode()
    assert "<script>alert(1)" not in body
    data = jsonld(response)
    assert data["headline"] == title and data["description"] == "A summary with </SCRIPT> in it."


def test_addresses_name_the_host_the_page_was_asked_for(client, make_case, settings):
    settings.ALLOWED_HOSTS = [HOST]
    case = make_case()
    response = client.get(case.get_absolute_url(), HTTP_HOST=HOST, secure=True)
    url = f"https://{HOST}{case.get_absolute_url()}"
    assert jsonld(response)["url"] == url
    assert open_graph(response.content.decode())["og:url"] == url


def sitemap_urls(client, url, **extra):
    """{loc: lastmod} of a sitemap, following an index to its sitemaps."""
    response = client.get(url, **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    root = ET.fromstring(response.content)
    if root.tag == f"{SITEMAP}sitemapindex":
        urls = {}
        for loc in root.iter(f"{SITEMAP}loc"):
            urls.update(sitemap_urls(client, loc.text, **extra))
        return urls
    assert root.tag == f"{SITEMAP}urlset"
    return {
        entry.find(f"{SITEMAP}loc").text: getattr(entry.find(f"{SITEMAP}lastmod"), "text", None)
        for entry in root.iter(f"{SITEMAP}url")
    }


def sitemap_from_robots(client, **extra):
    robots = client.get("/robots.txt", **extra)
    assert robots["Content-Type"].startswith("text/plain")
    [address] = re.findall(r"^Sitemap: (\S+)$", robots.content.decode(), re.M)
    return address


@pytest.mark.django_db
def test_the_sitemap_lists_every_published_case_with_its_last_change(
    client, seed_catalogue, settings
):
    settings.ALLOWED_HOSTS = [HOST]
    extra = {"HTTP_HOST": HOST, "secure": True}
    address = sitemap_from_robots(client, **extra)
    assert address == f"https://{HOST}/sitemap.xml"
    urls = sitemap_urls(client, address, **extra)
    published = Case.objects.published()
    for case in published:
        assert (
            urls[f"https://{HOST}{case.get_absolute_url()}"] == case.updated_at.date().isoformat()
        )
    for page in ["/", "/cases/", "/matrix/", "/guide/", "/data/"]:
        assert f"https://{HOST}{page}" in urls
        assert f"https://{HOST}/cy{page}" in urls  # the Welsh page too
    case = published.first()
    body = client.get(address, **extra).content.decode()
    assert f'hreflang="cy" href="https://{HOST}/cy{case.get_absolute_url()}"' in body
    assert f'hreflang="x-default" href="https://{HOST}{case.get_absolute_url()}"' in body
    hidden = Case.objects.exclude(status="published")
    assert not any(f"{case.get_absolute_url()}" in url for case in hidden for url in urls)
    assert all(url.startswith(f"https://{HOST}/") for url in urls)


def test_a_large_catalogue_gets_a_sitemap_index_of_pages(client, make_case, monkeypatch):
    monkeypatch.setattr(sitemaps.RequestSitemap, "limit", 2)
    cases = [make_case() for _ in range(5)]
    root = ET.fromstring(client.get(sitemap_from_robots(client)).content)
    assert root.tag == f"{SITEMAP}sitemapindex"
    urls = sitemap_urls(client, "/sitemap.xml")
    assert {f"http://testserver{case.get_absolute_url()}" for case in cases} <= set(urls)


def test_unknown_sitemap_pages_and_sections_are_not_found(client, make_case):
    make_case()
    assert client.get("/sitemap.xml?p=2").status_code == 404
    assert client.get("/sitemap.xml?p=x").status_code == 404
    assert client.get("/sitemap-cases.xml?p=99999999999999999999").status_code == 404
    assert client.get("/sitemap-nothing.xml").status_code == 404
    assert client.post("/sitemap.xml").status_code == 405
