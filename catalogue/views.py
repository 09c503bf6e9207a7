from django.conf import settings
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import QueryDict
from django.shortcuts import get_object_or_404, render

from catalogue import search
from catalogue import vocabulary as v
from catalogue.facets import chips, facet_counts
from catalogue.filters import SORTS, CaseFilter
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
    """Published cases, filtered on every dimension at once, searched, sorted and paginated."""
    filterset = CaseFilter(request.GET, queryset=Case.objects.published())
    notices = filterset.error_messages()
    page = paginate(request, filterset.sorted_qs().for_listing(), notices)
    if filterset.searching:
        page.object_list = search.add_headlines(page.object_list, filterset.form.cleaned_data["q"])
    facets = facet_counts(filterset)
    chosen = chips(facets, filterset)
    return render(
        request,
        "catalogue/case_list.html",
        {
            "filter": filterset,
            "page": page,
            "facets": facets,
            "chips": chosen,
            "suggestions": [] if page.paginator.count else loosening(chosen),
            "notices": notices,
            "sorts": SORTS,
            "sort_label": SORTS[filterset.sort],
        },
    )


def loosening(chosen, limit=5):
    """For an empty result: how many cases removing each chosen filter would give."""
    suggestions = []
    for chip in chosen[:limit]:
        without = CaseFilter(QueryDict(chip.remove_query), queryset=Case.objects.published())
        count = without.qs.count()
        if count:
            suggestions.append((chip, count))
    return suggestions


def paginate(request, queryset, notices):
    """The requested page; an out-of-range or malformed page number gives the nearest page and a notice."""
    paginator = Paginator(queryset, settings.CASES_PER_PAGE)
    number = request.GET.get("page", "1")
    try:
        return paginator.page(number)
    except PageNotAnInteger:
        notices.append(f"Page “{number[:20]}” is not a page number: showing the first page.")
        return paginator.page(1)
    except EmptyPage:
        if number.lstrip("-").isdigit() and int(number) > 1:
            notices.append(f"There is no page {number[:20]}: showing the last page.")
            return paginator.page(paginator.num_pages)
        if number != "1":
            notices.append(f"There is no page {number[:20]}: showing the first page.")
        return paginator.page(1)


def case_detail(request, slug):
    """One published case; anything unpublished is 404."""
    case = get_object_or_404(Case.objects.published().for_page(), slug=slug)
    return render(
        request,
        "catalogue/case_detail.html",
        {"case": case, "evidence_caveat": v.EVIDENCE_CAVEAT, **matrix_context()},
    )
