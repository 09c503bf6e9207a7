"""The public pages: home, the case list, case pages, the matrix explorer and the guide.

Each view reads through CaseQuerySet (models.py), the FilterSet (filters.py), the facet helpers
(facets.py) and the facet index (facetindex.py), which gives every count and the list's order; case
pages and the matrix's and guide's examples are cached until the catalogue changes (cache.py).
"""

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext

from catalogue import citations, facetindex, gapmap, metadata, search
from catalogue import vocabulary as v
from catalogue.cache import cached
from catalogue.dimensions import BY_PARAM
from catalogue.facets import chips, facet_counts
from catalogue.filters import SORT_LABELS, CaseFilter
from catalogue.models import Case, read_details

EXAMPLES = 3  # example cases shown for each cell of the matrix and each phase of the guide
RELATED = 4  # cases like it shown on a case page
# The terms a case card (templates/includes/case_card.html) shows: lists of cards take only these
# from the facet index (Snapshot.with_terms), not all four kinds for each card.
CARD_TERMS = ("phases",)


def matrix_context(counts=None):
    """Template context for the matrix: rows of (cell, count) and the column headings."""
    counts = counts or {}
    return {
        "matrix_rows": v.matrix_rows(),
        "matrix_counts": [
            (planning, [(cell, counts.get((cell.planning, cell.delivery), 0)) for cell in cells])
            for planning, cells in v.matrix_rows()
        ],
        "delivery_terms": list(v.Delivery),
    }


def whole_catalogue(snapshot, param):
    """{option: number of published cases} for one dimension, from the facet index."""
    return BY_PARAM[param].tally(snapshot, snapshot.everything())


def home(request):
    """What co-production is, the matrix with live counts, and the newest cases."""
    snapshot = facetindex.current()
    counts = whole_catalogue(snapshot, "phase")
    newest = snapshot.page(snapshot.everything(), snapshot.newest, 0, 6)
    return render(
        request,
        "catalogue/home.html",
        {
            "newest": snapshot.with_terms(Case.objects.in_order(newest), CARD_TERMS),
            "phases": [(phase, counts.get(phase.value, 0)) for phase in v.Phase],
            **matrix_context(snapshot.cell_counts()),
        },
    )


def case_list(request):
    """Published cases, filtered on every dimension at once, searched, sorted and paginated."""
    filterset = CaseFilter(request.GET, queryset=Case.objects.published())
    notices = filterset.error_messages()
    page = paginate(request, filterset.qs, notices, count=filterset.count())
    page.object_list = page_cases(filterset, page.start_index() - 1, page.end_index())
    if filterset.searching:
        page.object_list = search.add_headlines(page.object_list, filterset.searched)
    facets = facet_counts(filterset)
    chosen = chips(facets, filterset)
    return render(
        request,
        "catalogue/case_list.html",
        {
            "filter": filterset,
            "page": page,
            "page_range": page.paginator.get_elided_page_range(
                page.number, on_each_side=1, on_ends=1
            ),
            "facets": facets,
            "chips": chosen,
            "suggestions": [] if page.paginator.count else loosening(chosen, filterset),
            "notices": notices,
            "search_notes": filterset.search_notes(),
            "sorts": SORT_LABELS,
            "sort_label": SORT_LABELS[filterset.sort_order],
        },
    )


def page_cases(filterset, start, stop):
    """The cases at [start:stop] of the list: which ids, and their terms, from the facet index;
    the cases, by primary key."""
    ids = filterset.page_ids(max(start, 0), stop)
    return filterset.snapshot.with_terms(Case.objects.in_order(ids), CARD_TERMS)


def loosening(chosen, filterset, limit=5):
    """For an empty result: how many cases removing each chosen filter would give (the search
    is not run again)."""
    suggestions = []
    for chip in chosen[:limit]:
        without = CaseFilter(QueryDict(chip.remove_query), queryset=Case.objects.published())
        count = without.sharing_search(filterset).count()
        if count:
            suggestions.append((chip, count))
    return suggestions


def paginate(request, queryset, notices, count):
    """The requested page (Paginator.get_page: the last page when past the end, the first when
    not a number), with a notice when that is not the page asked for. `count` is the number of
    matches, counted more cheaply than the sorted queryset would."""
    paginator = Paginator(queryset, settings.CASES_PER_PAGE)
    paginator.count = count
    requested = request.GET.get("page")
    page = paginator.get_page(requested)
    if requested is not None and requested != str(page.number):
        if requested.lstrip("-").isdigit():
            notices.append(
                gettext("There is no page %(requested)s: showing page %(number)s.")
                % {"requested": requested[:20], "number": page.number}
            )
        else:
            notices.append(
                gettext("Page “%(requested)s” is not a page number: showing page %(number)s.")
                % {"requested": requested[:20], "number": page.number}
            )
    return page


def case_detail(request, slug):
    """One published case and the cases like it; anything unpublished is 404."""
    case, related = published_or_404(slug, RELATED)
    return render(request, "catalogue/case_detail.html", case_context(request, case, related))


def case_context(request, case, related):
    """What the case page shows. The case (and related cases) come from the cache; everything
    that depends on the request (absolute addresses, the access date, the CSP nonce of the
    JSON-LD) is made here, for it. `make bench` renders its baseline case page with it too."""
    reference = case_reference(request, case)
    sources = citations.case_source_references(case)
    return {
        "case": case,
        "related": related,
        "evidence_caveat": v.EVIDENCE_CAVEAT,
        "catalogue_citation": reference.text,
        "jsonld": metadata.case_jsonld(request, case, sources),
        "open_graph": metadata.case_open_graph(request, case),
        "cite_formats": CITE_FORMATS,
        # The printed page's footer (print only): its address and the day it was printed.
        "page_url": request.build_absolute_uri(case.get_absolute_url()),
        "printed_on": timezone.localdate(),
        **matrix_context(),
    }


def published_or_404(slug, related=0):
    """(the published case at this address, the cases like it), as `cached_case`, or 404."""
    found = cached_case(slug, related)
    if found is None:
        raise Http404("No published case has this address")
    return found


def cached_case(slug, related=0):
    """`published_case_and_related`, cached until the catalogue changes."""
    return cached("case", (slug, related), lambda: published_case_and_related(slug, related))


def published_case(slug):
    """The published case at this address, with all a case page shows, or None."""
    found = published_case_and_related(slug, related=0)
    return found[0] if found else None


def published_case_and_related(slug, related=RELATED):
    """(the published case at this address, with all a case page shows; up to `related` cases
    like it, as facetindex.Snapshot.related picks them), or None. The facet index knows which
    case is at the address, so the case and those like it are read in one query, and the case's
    outcomes and sources in one more (models.read_details); their terms and activities come from
    the index (for those like it, what their cards show). Where the index does not know the
    address, or names a case the database does not have there, the database is asked for the
    case by its address."""
    snapshot = facetindex.current()
    found = snapshot.case_with_slug(slug)
    cases = []
    if found is not None:
        # By primary key alone: with "published" in the query too, SQLite reads every
        # published case's entry in the status index (17 ms at 100,000 cases), so it is checked
        # here.
        cases = Case.objects.in_order([found, *snapshot.related(found, related)])
    first = cases[0] if cases else None
    if first is None or (first.pk, first.slug, first.status) != (found, slug, v.Status.PUBLISHED):
        case = Case.objects.published().filter(slug=slug).first()
        if case is None:
            return None
        cases = [case, *Case.objects.in_order(snapshot.related(case.pk, related))]
    case, *like = cases
    snapshot.with_terms([case])
    snapshot.with_terms(like, CARD_TERMS)
    read_details([case])
    return case, like


def case_reference(request, case):
    """How to cite this entry of the catalogue, read today at the address it was asked for."""
    url = request.build_absolute_uri(case.get_absolute_url())
    return citations.case_reference(case, url, accessed=timezone.localdate())


# (file extension, name shown on the page), in the order the page offers them.
CITE_FORMATS = [("bib", "BibTeX"), ("ris", "RIS"), ("json", "CSL-JSON")]


def case_cite(request, slug, fmt):
    """/cases/<slug>/cite.bib|.ris|.json: the citation of a published case, as a file."""
    case, _ = published_or_404(slug)
    return citation_file([case_reference(request, case)], fmt, f"{case.slug}.{fmt}")


def case_sources_cite(request, slug, fmt):
    """/cases/<slug>/sources.bib|.ris|.json: the sources a published case names, as a file."""
    case, _ = published_or_404(slug)
    references = citations.case_source_references(case)
    return citation_file(references, fmt, f"{case.slug}-sources.{fmt}")


def citation_file(references, fmt, filename):
    response = HttpResponse(
        citations.FORMATS[fmt](references), content_type=citations.CONTENT_TYPES[fmt]
    )
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


def matrix(request):
    """Bovaird's matrix explained cell by cell, with example cases and counts."""
    published = Case.objects.published()
    counts = facetindex.current().cell_counts()
    cells = [
        {
            "cell": cell,
            "count": counts.get((cell.planning, cell.delivery), 0),
            "examples": []
            if cell.refused
            else cached(
                "cell-examples",
                cell.slug,
                lambda cell=cell: list(
                    published.filter(
                        planning=cell.planning, delivery=cell.delivery
                    ).strongest_evidence()[:EXAMPLES]
                ),
            ),
        }
        for cell in v.MATRIX.values()
    ]
    return render(
        request,
        "catalogue/matrix.html",
        {"cells": cells, "planning_terms": list(v.Planning), **matrix_context(counts)},
    )


def evidence_map(request):
    """The evidence-gap map: phases against matrix cells (or service areas), each with its
    cases' evidence levels, under the list's other filters (gapmap.py)."""
    found = gapmap.gap_map(request.GET)
    facets = {f.name: f for f in facet_counts(found.filterset)}
    shown = ("country", "area", "type", "evidence_min")
    return render(
        request,
        "catalogue/evidence_map.html",
        {
            "map": found,
            "views": gapmap.VIEWS,
            "filters": [facets[name] for name in shown if name not in gapmap.AXES[found.view]],
            "applied": [chip.label for chip in chips(list(facets.values()), found.filterset)],
            "hidden": [
                (name, value)
                for name, values in found.kept.lists()
                if name not in shown
                for value in values
            ],
            "levels": list(v.EvidenceLevel),
            "refused_cells": v.REFUSED_CELLS,
            "evidence_caveat": v.EVIDENCE_CAVEAT,
        },
    )


def guide(request):
    """Every term of the classification in plain words, with examples from the catalogue."""
    published = Case.objects.published()
    snapshot = facetindex.current()
    counts = whole_catalogue(snapshot, "phase")
    examples = {
        phase.value: cached(
            "phase-examples",
            phase.value,
            lambda phase=phase: list(
                published.filter(phases__slug=phase.value).strongest_evidence()[:EXAMPLES]
            ),
        )
        for phase in v.Phase
    }
    level_counts = snapshot.level_counts()
    type_counts = whole_catalogue(snapshot, "type")
    return render(
        request,
        "catalogue/guide.html",
        {
            "phases": [
                {
                    "term": phase,
                    "count": counts.get(phase.value, 0),
                    "activities": [a for a in v.Activity if a.phase == phase],
                    "examples": examples[phase.value],
                }
                for phase in v.Phase
            ],
            "benefits": [(b, type_counts[b.value]) for b in v.Benefit],
            "levels": [(level, level_counts.get(level.value, 0)) for level in v.EvidenceLevel],
            "evidence_caveat": v.EVIDENCE_CAVEAT,
            "cells": list(v.MATRIX.values()),
            "vocabularies": [
                (gettext("Direction of findings"), v.Direction),
                (gettext("Evaluation design"), v.EvaluationDesign),
                (gettext("Who benefits from an outcome"), v.BenefitGroup),
                (gettext("Level (Needham and Carr)"), v.Level),
                (gettext("Scenario"), v.Scenario),
                (gettext("Main driver"), v.Driver),
            ],
        },
    )
