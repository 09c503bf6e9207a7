"""Open data: CSV and JSON exports, the read-only JSON API and the codebook (the Atom feed is
feeds.py).

Published cases only, and only what `interchange.case_document` returns: no
private field can reach any of these. Every export takes the case list's
parameters through the same CaseFilter, so the same URL parameters give the
same cases everywhere.
"""

import csv
import json
import os
import threading
from pathlib import Path

from django.conf import settings
from django.db.models import Count, Max
from django.http import FileResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_safe

from catalogue import vocabulary as v
from catalogue.cache import catalogue_version
from catalogue.dimensions import DIMENSIONS
from catalogue.filters import SORT_LABELS, CaseFilter
from catalogue.interchange import case_document
from catalogue.languages import requested_language
from catalogue.models import Case, CoProducer, ServiceArea, read_details
from catalogue.tabular import COLUMN_NAMES, COLUMNS, row_from_document
from catalogue.text import clean_tree
from catalogue.views import published_case

# As the data carries it (in English); the pages name it in their own language (`licence_shown`).
LICENCE = {
    "name": gettext_noop("Creative Commons Attribution 4.0 International (CC BY 4.0)"),
    "url": "https://creativecommons.org/licenses/by/4.0/",
    "attribution": gettext_noop("Co-production Case Catalogue, and the sources each case names"),
}
API_PAGE_SIZE, API_MAX_PAGE_SIZE = 20, 100
CHUNK = 500


def licence_shown():
    """The licence as a page names it, in the page's language."""
    return {
        **LICENCE,
        "name": gettext(LICENCE["name"]),
        "attribution": gettext(LICENCE["attribution"]),
    }


def _filterset(request):
    filterset = CaseFilter(request.GET, queryset=Case.objects.published())
    return filterset, filterset.error_messages() + filterset.search_notes()


def _open(response, notices=()):
    response["Access-Control-Allow-Origin"] = "*"
    if notices:
        # Header values must be printable ASCII on one line.
        text = " | ".join(notices).encode("ascii", "replace").decode()
        response["X-Catalogue-Notice"] = "".join(c if c.isprintable() else "?" for c in text)[:1000]
    return response


def _document(case):
    """The case's open document, without control characters a text stored earlier may hold."""
    return clean_tree(case_document(case))


def _documents(queryset):
    for case in queryset.for_page().iterator(chunk_size=CHUNK):
        yield _document(case)


class _Echo:
    def write(self, value):
        return value


def _csv_chunks(filterset, notices):
    writer = csv.DictWriter(_Echo(), fieldnames=COLUMN_NAMES, lineterminator="\r\n")
    yield writer.writeheader()
    for doc in _documents(filterset.qs):
        yield writer.writerow(row_from_document(doc))


def _json_chunks(filterset, notices):
    head = {"count": filterset.count(), "licence": LICENCE, "notices": notices}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "results": ['
    for index, doc in enumerate(_documents(filterset.qs)):
        yield ("," if index else "") + json.dumps(doc, ensure_ascii=False)
    yield "]}"


EXPORTS = {
    "csv": (_csv_chunks, "text/csv; charset=utf-8"),
    "json": (_json_chunks, "application/json; charset=utf-8"),
}


def _export(request, kind):
    """Every published case the parameters select. The whole catalogue (no parameters), which
    most re-users take, is written to a file once per state of the published catalogue and then
    served from it; a filtered selection is streamed as it is read."""
    chunks, content_type = EXPORTS[kind]
    filterset, notices = _filterset(request)
    if request.GET:
        response = StreamingHttpResponse(chunks(filterset, notices), content_type=content_type)
    else:
        path = _whole_catalogue_file(kind, lambda: chunks(filterset, notices))
        response = FileResponse(path.open("rb"), content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="coproduction-cases.{kind}"'
    return _open(response, notices)


def _whole_catalogue_file(kind, chunks):
    """The file of the whole published catalogue as it is now, written if it is not there yet.
    Its name says which state it holds: the catalogue version (any change to cases or terms), the
    number of published cases and the last change, so a flushed cache never serves an old file."""
    state = Case.objects.published().aggregate(n=Count("id"), last=Max("updated_at"))
    stamp = (
        f"{catalogue_version()}-{state['n']}-{state['last']:%Y%m%d%H%M%S%f}" if state["n"] else "0"
    )
    folder = Path(settings.EXPORTS_DIR)
    path = folder / f"cases-{stamp}.{kind}"
    if not path.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = folder / f".{path.name}.{os.getpid()}.{threading.get_ident()}"
        with partial.open("w", encoding="utf-8", newline="") as file:
            file.writelines(chunks())
        os.replace(partial, path)  # whole or not at all, even with several writers at once
        for old in folder.glob(f"cases-*.{kind}"):
            if old != path:
                old.unlink(missing_ok=True)
    return path


@require_safe
def cases_csv(request):
    """Every published case the parameters select, as CSV."""
    return _export(request, "csv")


@require_safe
def cases_json(request):
    """Every published case the parameters select, as one JSON document."""
    return _export(request, "json")


def api_document(request, case):
    """The case's open document, with its address and its classification in words, in the
    language the request asked for (`lang` or Accept-Language: languages.requested_language)."""
    cell = case.cell
    return {
        **_document(case),
        "url": request.build_absolute_uri(case.get_absolute_url()),
        "matrix_cell": {"slug": cell.slug, "name": str(cell.name)},
        "labels": labels(case),
        "published_at": case.published_at.isoformat() if case.published_at else None,
    }


def labels(case):
    """The words for each classification value of the case, in the active language."""

    def terms(items):
        return {term.slug: str(term.label) for term in items}

    def choice(value, vocabulary):
        return str(vocabulary(value).label) if value not in ("", None) else ""

    return {
        "phases": terms(case.phases.all()),
        "activities": terms(case.activities.all()),
        "service_areas": terms(case.service_areas.all()),
        "co_producers": terms(case.co_producers.all()),
        "planning": choice(case.planning, v.Planning),
        "delivery": choice(case.delivery, v.Delivery),
        "benefits": {b.value: str(b.label) for b in case.benefits},
        "evidence_level": choice(case.evidence_level, v.EvidenceLevel),
        "evidence_direction": choice(case.evidence_direction, v.Direction),
        "evaluation_design": choice(case.evaluation_design, v.EvaluationDesign),
    }


def _in_language(request, respond):
    """The API's answer with its labels in the language the request asks for, or a 400."""
    try:
        language = requested_language(request)
    except ValueError as error:
        return _api_error(400, str(error))
    with translation.override(language):
        response = respond()
    response["Content-Language"] = language
    return response


def _api_error(status, message):
    return _open(JsonResponse({"error": message}, status=status))


def _positive_int(request, name, default, maximum=None):
    raw = request.GET.get(name, str(default))
    if not raw.isdigit() or int(raw) < 1 or len(raw) > 9:
        raise ValueError(f"'{name}' must be a whole number of 1 or more, not '{raw[:40]}'.")
    value = int(raw)
    if maximum and value > maximum:
        raise ValueError(f"'{name}' can be at most {maximum}.")
    return value


@require_safe
def api_cases(request):
    """GET /api/cases/: published cases, paginated, with the list's parameters."""
    try:
        page = _positive_int(request, "page", 1)
        size = _positive_int(request, "page_size", API_PAGE_SIZE, API_MAX_PAGE_SIZE)
    except ValueError as error:
        return _api_error(400, str(error))
    filterset, notices = _filterset(request)
    count = filterset.count()
    last = max(1, -(-count // size))
    if page > last:
        return _api_error(404, f"There is no page {page}: the last page is {last}.")
    start = (page - 1) * size
    ids = filterset.page_ids(start, start + size)
    cases = read_details(filterset.snapshot.with_terms(Case.objects.in_order(ids)))

    def link(number):
        params = request.GET.copy()
        params["page"] = number
        return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")

    return _in_language(
        request,
        lambda: _open(
            JsonResponse(
                {
                    "count": count,
                    "next": link(page + 1) if page < last else None,
                    "previous": link(page - 1) if page > 1 else None,
                    "notices": notices,
                    "licence": LICENCE,
                    "results": [api_document(request, case) for case in cases],
                },
                json_dumps_params={"ensure_ascii": False},
            )
        ),
    )


@require_safe
def api_case(request, slug):
    """GET /api/cases/<slug>/: one published case."""
    case = published_case(slug)
    if case is None:
        return _api_error(404, "No published case has this slug.")
    return _in_language(
        request,
        lambda: _open(
            JsonResponse(api_document(request, case), json_dumps_params={"ensure_ascii": False})
        ),
    )


def api_docs(request):
    """The API's documentation: its parameters are the list's dimensions (dimensions.py)."""
    return render(
        request,
        "catalogue/api_docs.html",
        {
            "dimensions": DIMENSIONS,
            "sorts": SORT_LABELS,
            "licence": licence_shown(),
            "page_size": API_PAGE_SIZE,
            "max_page_size": API_MAX_PAGE_SIZE,
        },
    )


def codebook(request):
    """Every column of the exports and every value of every vocabulary."""
    vocabularies = [
        ("phases", gettext("Phase"), v.Phase.terms()),
        (
            "activities",
            gettext("Activity (optional, under a phase)"),
            [(a.value, f"{a.label} ({a.phase.label})", a.description) for a in v.Activity],
        ),
        ("planning", gettext("Who planned the service"), v.Planning.terms()),
        ("delivery", gettext("Who delivers it"), v.Delivery.terms()),
        ("benefits", gettext("Type (who benefits)"), v.Benefit.terms()),
        ("evidence_level", gettext("Evidence level"), v.EvidenceLevel.terms()),
        ("evidence_direction", gettext("Direction of findings"), v.Direction.terms()),
        ("evaluation_design", gettext("Evaluation design"), v.EvaluationDesign.terms()),
        (
            "outcomes.benefit_group",
            gettext("Who benefits from an outcome"),
            v.BenefitGroup.terms(),
        ),
        ("sources.kind", gettext("Kind of source"), v.SourceKind.terms()),
        ("level", gettext("Level (Needham and Carr)"), v.Level.terms()),
        ("scenario", gettext("Scenario"), v.Scenario.terms()),
        ("driver", gettext("Main driver"), v.Driver.terms()),
        (
            "service_areas",
            gettext("Service area (editable list)"),
            [(t.slug, t.label, t.meaning) for t in ServiceArea.objects.all()],
        ),
        (
            "co_producers",
            gettext("Co-producers (editable list)"),
            [(t.slug, t.label, t.meaning) for t in CoProducer.objects.all()],
        ),
    ]
    return render(
        request,
        "catalogue/codebook.html",
        {
            "dimensions": DIMENSIONS,
            "sorts": SORT_LABELS,
            "columns": COLUMNS,
            "vocabularies": vocabularies,
            "cells": list(v.MATRIX.values()),
            "licence": licence_shown(),
            "evidence_caveat": v.EVIDENCE_CAVEAT,
        },
    )
