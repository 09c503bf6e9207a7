"""Facet counts and chips for the case list: how many cases each option would give, and the
chosen options as removable chips. The dimensions themselves are in catalogue/dimensions.py.

For a single-valued parameter (planning, delivery, type, evidence, country) choosing an option
replaces the current choice, so its counts apply every other parameter. For a repeatable one
(phase, area, producer) each choice narrows the list further, so its counts apply every
parameter. Either way the count beside an option is the number of results after choosing it.
Counted in memory over the facet index (facetindex.py): no query per facet, whatever the number
of cases.
"""

from dataclasses import dataclass

from django.urls import reverse

from catalogue.dimensions import DIMENSIONS, FACETED


def chosen(filterset, dimension):
    """The dimension's valid chosen values, as a set of option values."""
    if not filterset.is_valid_field(dimension.param):
        return set()
    return dimension.chosen(filterset.form.cleaned_data.get(dimension.param))


def facet_counts(filterset):
    """Every faceted dimension with its options and counts, for the current parameters."""
    facets = []
    for dimension in FACETED:
        matching = filterset.matching(None if dimension.repeatable else dimension.param)
        counts = dimension.tally(filterset.snapshot, matching)
        terms = filterset.snapshot.term_objects.get(dimension.param)
        facets.append(dimension.facet(counts, chosen(filterset, dimension), terms))
    return facets


@dataclass
class Chip:
    label: str
    remove_query: str

    @property
    def href(self):
        """The case list without this choice (and back on its first page)."""
        path = reverse("case_list")
        return f"{path}?{self.remove_query}" if self.remove_query else path


def chips(facets, filterset):
    """The chosen parameters as removable chips, each with the query string that removes it."""
    params = filterset.data.copy()
    params.pop("page", None)
    labels = {f.name: {o.value: o.label for o in f.options} for f in facets}
    result = []
    for dimension in DIMENSIONS:
        for value in sorted(chosen(filterset, dimension)):
            without = params.copy()
            kept = [x for x in params.getlist(dimension.param) if x != value]
            without.setlist(dimension.param, kept if dimension.repeatable else [])
            label = labels.get(dimension.param, {}).get(value) or dimension.option_label(value)
            result.append(Chip(f"{dimension.short}: {label}", without.urlencode()))
    return result
