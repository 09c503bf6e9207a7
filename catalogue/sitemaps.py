"""/sitemap.xml (Django's sitemaps framework) and /robots.txt, which points to it.

The sitemap lists the main public pages and every published case with the date it last changed,
in English and in Welsh, each with its other-language alternate.
Its addresses name the host the request came to: the Sites framework's record (SITE_ID, kept for
django.contrib.redirects) says "example.com" in every deployment, so the sections are given the
request rather than the record. While everything fits in one sitemap (up to `PER_PAGE` addresses
a section) /sitemap.xml lists the addresses itself; past that it becomes a sitemap index of the
sections' pages (/sitemap-cases.xml?p=2...), so no request has to list 100,000 cases.
"""

from functools import partial

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_safe

from catalogue.models import Case

PER_PAGE = 5000

# The main public pages, by URL name.
PAGES = [
    "home",
    "case_list",
    "matrix",
    "guide",
    "data_page",
    "codebook",
    "api_docs",
    "submit_start",
]


class RequestSitemap(Sitemap):
    """A section whose addresses are on the host (and scheme) the request came to, each page in
    English and in Welsh, each naming the other as its alternate (hreflang)."""

    limit = PER_PAGE
    i18n = True
    alternates = True
    x_default = True

    def __init__(self, request):
        self.request = request

    def get_domain(self, site=None):
        return self.request.get_host()


class PageSitemap(RequestSitemap):
    def items(self):
        return PAGES

    def location(self, item):
        return reverse(item)


class CaseSitemap(RequestSitemap):
    def items(self):
        return Case.objects.published().only("slug", "updated_at").order_by("pk")

    def lastmod(self, case):
        return case.updated_at


SECTIONS = {"pages": PageSitemap, "cases": CaseSitemap}


def sections(request):
    return {name: partial(section, request) for name, section in SECTIONS.items()}


@require_safe
def sitemap(request):
    """/sitemap.xml: every address, or an index of the sections' pages when they need several."""
    maps = sections(request)
    pages = {name: make().paginator.num_pages for name, make in maps.items()}
    if request.GET or all(n <= 1 for n in pages.values()):
        return sitemap_views.sitemap(request, maps)
    return sitemap_index(request, pages)


def sitemap_index(request, pages):
    items = []
    for name, count in pages.items():
        url = request.build_absolute_uri(reverse("sitemap_section", kwargs={"section": name}))
        items += [
            sitemap_views.SitemapIndexItem(url if n == 1 else f"{url}?{urlencode({'p': n})}", None)
            for n in range(1, count + 1)
        ]
    return TemplateResponse(
        request, "sitemap_index.xml", {"sitemaps": items}, content_type="application/xml"
    )


@require_safe
def sitemap_section(request, section):
    """/sitemap-<section>.xml (?p=N): one section of the sitemap, a page at a time."""
    if section not in SECTIONS:
        raise Http404("No such section of the sitemap")
    return sitemap_views.sitemap(request, sections(request), section=section)


@require_safe
def robots_txt(request):
    """/robots.txt: where the sitemap is, and the pages that are not for search engines."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /submit/",
        "Disallow: /track/",
        "Disallow: /cy/submit/",
        "Disallow: /cy/track/",
        "Disallow: /language/",
        "",
        f"Sitemap: {request.build_absolute_uri(reverse('sitemap'))}",
    ]
    return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
