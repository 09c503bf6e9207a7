"""Baselines for `make bench` (bench/run.py), served only when DJANGO_BENCHMARK is on: then
catalogue/urls.py adds `urlpatterns` below.

B0 returns a few bytes through the full middleware stack. B1 renders the real
list and case templates from cases held in memory, with no database query:
the ceiling the real pages are compared with.
"""

from datetime import UTC, datetime

from django.conf import settings
from django.core.paginator import Paginator
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import path

from catalogue import vocabulary as v
from catalogue.dimensions import FACETED
from catalogue.filters import SORT_LABELS, CaseFilter
from catalogue.models import Activity, Case, CoProducer, Outcome, Phase, ServiceArea, Source
from catalogue.views import case_context

AREAS = [ServiceArea(id=i, slug=f"area-{i}", name=f"Service area {i}") for i in range(1, 15)]
PRODUCERS = [CoProducer(id=i, slug=f"producer-{i}", name=f"Co-producer {i}") for i in range(1, 7)]
PHASES = [Phase(id=i, slug=p.value) for i, p in enumerate(v.Phase, start=1)]


def _case(n):
    cell = [c for c in v.MATRIX.values() if not c.refused][n % 7]
    case = Case(
        id=n,
        slug=f"in-memory-{n}",
        title=f"In-memory case {n}: peer support in a city",
        summary="Residents and staff plan and deliver a service together; " * 2,
        description="A description of what happens and who takes part. " * 20,
        country="GB",
        locality="Bristol",
        lead_organisations="Bristol City Council",
        start_year=2015,
        ongoing=True,
        planning=cell.planning,
        delivery=cell.delivery,
        individual=True,
        collective=n % 2 == 0,
        evidence_level=n % 6,
        evidence_rationale="Monitoring data show a change.",
        status=v.Status.PUBLISHED,
        published_at=datetime(2024, 1, 1, tzinfo=UTC),
        updated_at=datetime(2024, 6, 1, tzinfo=UTC),
    )
    phases = PHASES[: 1 + n % 3]
    activity = Activity(id=n, slug=v.Activity.CO_PERFORMING.value)
    activity.phase = PHASES[2]
    case._prefetched_objects_cache = {
        "phases": phases,
        "service_areas": AREAS[:2],
        "co_producers": PRODUCERS[:2],
        "activities": [activity],
        "outcomes": [
            Outcome(statement="More people took part.", figure="40%", benefit_group="citizens")
        ],
        "sources": [
            Source(citation="A report (2020).", kind="evaluation", year=2020, locator="p. 4")
        ],
    }
    return case


CASES = [_case(n) for n in range(1, 101)]


def _facets():
    """Every faceted dimension, its first dozen options with made-up counts, over in-memory terms."""
    terms = {"area": AREAS, "producer": PRODUCERS}
    facets = []
    for dimension in FACETED:
        options = dimension.options(terms.get(dimension.param))
        counts = {value: 20 for value, _, _ in options[:12]}
        facets.append(dimension.facet(counts, chosen=set(), terms=terms.get(dimension.param)))
    return facets


FACETS = _facets()


def b0(request):
    return HttpResponse(b"ok", content_type="text/plain")


def b1_list(request):
    filterset = CaseFilter(QueryDict(), queryset=Case.objects.none())
    page = Paginator(CASES, settings.CASES_PER_PAGE).page(1)
    context = {
        "filter": filterset,
        "page": page,
        "page_range": page.paginator.get_elided_page_range(1, on_each_side=1, on_ends=1),
        "facets": FACETS,
        "chips": [],
        "suggestions": [],
        "notices": [],
        "sorts": SORT_LABELS,
        "sort_label": SORT_LABELS["newest"],
    }
    return render(request, "catalogue/case_list.html", context)


def b1_case(request):
    return render(
        request, "catalogue/case_detail.html", case_context(request, CASES[0], CASES[1:5])
    )


urlpatterns = [
    path("bench/b0/", b0),
    path("bench/b1/list/", b1_list),
    path("bench/b1/case/", b1_case),
]
