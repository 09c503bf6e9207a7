"""Structured metadata for pages: schema.org JSON-LD and Open Graph, built here as plain dicts.

A page passes the dict to `templates/includes/jsonld.html`, which writes it in a
`<script type="application/ld+json">` element carrying the response's CSP nonce, escaped for a
script element by the `jsonld` filter (templatetags/metadata.py, `script_json` below). Addresses
are absolute, built from the request, so they name the host the site is served under.
"""

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from catalogue.bilingual import localised
from catalogue.citations import LICENCE_URL
from catalogue.languages import WELSH

SITE_NAME = _("Co-production Case Catalogue")  # settings.SITE_NAME, in the page's language

# What a script element must not contain in its text: "</script>" or "<!--" would end or
# change it. The same escapes as Django's json_script filter.
SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def script_json(data):
    """`data` as JSON that is safe inside a <script> element."""
    text = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=1)
    return mark_safe(text.translate(SCRIPT_ESCAPES))  # escaped for a script element above


def publisher(request):
    return {
        "@type": "Organization",
        "name": str(SITE_NAME),
        "url": request.build_absolute_uri(reverse("home")),
    }


def case_jsonld(request, case, references):
    """A schema.org Article about the practice a case describes. `references` are the case's
    sources as citations.source_reference gives them, in the page's order."""
    url = request.build_absolute_uri(case.get_absolute_url())
    title = localised(case, "title")
    guide = request.build_absolute_uri(reverse("guide"))
    published = case.published_at or case.updated_at
    place = {"@type": "Place", "address": {"@type": "PostalAddress"}}
    place["address"]["addressCountry"] = str(case.country)
    if case.locality:
        place["name"] = f"{case.locality}, {case.country.name}"
        place["address"]["addressLocality"] = case.locality
    else:
        place["name"] = str(case.country.name)
    about = [
        {
            "@type": "DefinedTerm",
            "name": phase.label,
            "description": phase.description,
            "termCode": phase.slug,
            "inDefinedTermSet": f"{guide}#phases",
        }
        for phase in case.phases.all()
    ]
    about.append(
        {
            "@type": "DefinedTerm",
            "name": case.cell.name,
            "description": case.cell.explanation,
            "termCode": case.cell.slug,
            "inDefinedTermSet": f"{guide}#matrix",
        }
    )
    about += [{"@type": "Thing", "name": area.label} for area in case.service_areas.all()]
    data = {
        "@context": "https://schema.org",
        "@type": "Article",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": title.text,
        "name": title.text,
        "description": localised(case, "summary").text,
        "about": about,
        "spatialCoverage": place,
        "citation": [source_jsonld(ref) for ref in references],
        "license": LICENCE_URL,
        "datePublished": published.isoformat(),
        "dateModified": case.updated_at.isoformat(),
        "inLanguage": title.lang,
        "publisher": publisher(request),
        "author": publisher(request),
        "isPartOf": {
            "@type": "WebSite",
            "name": str(SITE_NAME),
            "url": request.build_absolute_uri(reverse("home")),
        },
    }
    if case.start_year:
        end = case.end_year or ".."
        data["temporalCoverage"] = f"{case.start_year}/{end}"
    return data


def source_jsonld(ref):
    work = {"@type": "CreativeWork", "name": ref.title, "description": ref.text}
    if ref.authors:
        work["author"] = [
            {"@type": "Organization", "name": n.literal}
            if n.literal
            else {"@type": "Person", "familyName": n.family, "givenName": n.given}
            for n in ref.authors
        ]
    if ref.year:
        work["datePublished"] = str(ref.year)
    if ref.url:
        work["url"] = ref.url
    return work


def case_open_graph(request, case):
    """Open Graph properties of a case page, as (property, content) pairs."""
    published = case.published_at or case.updated_at
    title = localised(case, "title")
    locales = ["cy_GB", "en_GB"] if translation.get_language() == WELSH else ["en_GB", "cy_GB"]
    return [
        ("og:type", "article"),
        ("og:title", title.text),
        ("og:description", localised(case, "summary").text),
        ("og:url", request.build_absolute_uri(case.get_absolute_url())),
        ("og:site_name", str(SITE_NAME)),
        ("og:locale", locales[0]),
        ("og:locale:alternate", locales[1]),
        ("article:published_time", published.isoformat()),
        ("article:modified_time", case.updated_at.isoformat()),
    ]
