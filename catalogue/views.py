from django.conf import settings
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, render

from catalogue import vocabulary as v
from catalogue.models import Case


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


def home(request):
    """What co-production is, the matrix with live counts, and the newest cases."""
    published = Case.objects.published()
    newest = published.for_listing().order_by("-published_at", "title")[:6]
    return render(
        request,
        "catalogue/home.html",
        {"newest": newest, **matrix_context(published.cell_counts())},
    )


def case_list(request):
    """Published cases, paginated."""
    cases = Case.objects.published().for_listing()
    page = Paginator(cases, settings.CASES_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "catalogue/case_list.html", {"page": page})


def case_detail(request, slug):
    """One published case; anything unpublished is 404."""
    case = get_object_or_404(Case.objects.published().for_page(), slug=slug)
    return render(
        request,
        "catalogue/case_detail.html",
        {"case": case, "evidence_caveat": v.EVIDENCE_CAVEAT, **matrix_context()},
    )
