"""The case list's parameters: one FilterSet, used by the list, the exports and the API alike.

Its filters come from catalogue/dimensions.py, one per dimension, plus `sort`. A parameter that
cannot be read is ignored, with a plain message (`error_messages`), never an error page.
"""

from dataclasses import dataclass, field
from functools import cached_property

import django_filters
import numpy as np
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from catalogue import facetindex, search
from catalogue.dimensions import BY_PARAM, DIMENSIONS

# The named orders of `sort` (a public contract), each a read on CaseQuerySet that walks an index.
SORTS = {
    "relevance": (_("Relevance"), lambda cases, q: cases.ranked(q)),
    "newest": (_("Newest first"), lambda cases, q: cases.newest()),
    "title": (_("Title A–Z"), lambda cases, q: cases.by_title()),
    "evidence": (_("Strongest evidence first"), lambda cases, q: cases.strongest_evidence()),
}
SORT_LABELS = {name: label for name, (label, _order) in SORTS.items()}
WIDENED = _("No case has all of these words; showing cases with some of them.")
CORRECTED = _(
    "No case has the word “%(typed)s”: showing cases with “%(better)s”, the nearest word in the "
    "catalogue."
)


@dataclass
class Found:
    """What a search found: the query as searched (corrected or widened, or as typed), the ids
    and ranks of the cases that match it, and what was done to it."""

    searched: str
    ids: np.ndarray
    ranks: np.ndarray
    corrections: list = field(default_factory=list)  # [(word as typed, replacement)]
    widened: bool = False


class SortFilter(django_filters.OrderingFilter):
    """`sort`: one of the named orders of SORTS, by relevance only when searching. Without it,
    the list is by relevance when searching and newest first otherwise."""

    def __init__(self, **kwargs):
        super().__init__(fields={name: name for name in SORTS}, field_labels=SORT_LABELS, **kwargs)

    def build_choices(self, fields, labels):
        # Only the names themselves: no descending variants ("-title") beside them.
        return [(name, labels[name]) for name in fields]

    def filter(self, qs, value):
        order = self.parent.sort_order
        return SORTS[order][1](qs, self.parent.searched)


class CaseFilterBase(django_filters.FilterSet):
    def __init__(self, data=None, *args, **kwargs):
        self.capped = []
        if data is not None and hasattr(data, "getlist"):
            data = self._capped(data)
        super().__init__(data, *args, **kwargs)

    def _capped(self, data):
        """The parameters with each repeatable one given at most its MAX_VALUES distinct values
        (the first ones), so no request costs more than that; the rest are named in a notice."""
        data = data.copy()
        for dimension in DIMENSIONS:
            if not dimension.repeatable or dimension.param not in data:
                continue
            values = list(dict.fromkeys(data.getlist(dimension.param)))
            if len(values) > dimension.MAX_VALUES:
                self.capped.append((dimension, len(values)))
                values = values[: dimension.MAX_VALUES]
            data.setlist(dimension.param, values)
        return data

    # The words exactly as typed, never corrected or widened: for alerts, which must send only
    # cases that have every word, even while no published case has them yet.
    exact = False

    @property
    def form(self):
        # Values are checked against the terms of this request's facet index snapshot
        # (dimensions.Related, through facetindex.held): read it first.
        self.snapshot  # noqa: B018
        return super().form

    @property
    def query(self):
        """The search words, as searched ("" when there is no valid search)."""
        valid = self.is_valid_field("q")
        return search.clean_query(self.form.cleaned_data["q"]) if valid else ""

    @property
    def searching(self):
        return bool(self.query)

    @property
    def searched(self):
        """The query as searched: as typed, or, when no published case matches it, with its
        typos corrected or widened to any of its words (`_search`)."""
        return self._search.searched

    def is_valid_field(self, name):
        self.errors  # noqa: B018 - runs validation once
        return name in self.form.cleaned_data and name not in self.form.errors

    @property
    def sort_choice(self):
        """The order the visitor chose, or "relevance" (the default: by relevance when searching,
        newest first otherwise). The form shows this, so that a search typed into it is sorted
        by relevance unless another order was chosen."""
        chosen = self.form.cleaned_data.get("sort") if self.is_valid_field("sort") else None
        return chosen[0] if chosen else "relevance"

    @property
    def sort_order(self):
        """The order the list is in."""
        chosen = self.sort_choice
        if chosen == "relevance" and not self.searching:
            return "newest"
        return chosen

    def search_words(self, cases, name, value):
        """The search's filter in the database (Search.make_filter): the words as searched."""
        return cases.search(self.searched)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if "sort" not in self.form.cleaned_data:  # an unreadable sort: the default order
            queryset = self.filters["sort"].filter(queryset, None)
        return queryset

    # The list in memory (facetindex.py): the same parameters over the facet index snapshot.

    @cached_property
    def snapshot(self):
        """The facet index snapshot this request reads: one for the whole request."""
        return facetindex.current()

    @cached_property
    def _masks(self):
        """{parameter: the snapshot's cases it keeps}, for each valid parameter given. The search
        asks the database's full-text index once (search.py), in relevance order if sorted so."""
        self.is_valid()
        masks = {}
        for name, value in self.form.cleaned_data.items():
            if name == "sort" or name in self.form.errors or value in (None, "", []):
                continue
            if name == "q":
                mask = self.snapshot.nothing()
                mask[self.snapshot.positions(self._matches[0])] = True
            else:
                mask = BY_PARAM[name].mask(self.snapshot, value)
            if mask is not None:
                masks[name] = mask
        return masks

    @cached_property
    def _search(self):
        """What the search found (Found): the cases that match it, ranked if sorted by
        relevance. No dead end: a search no published case matches has its typos corrected
        (search.corrected), then, if it has several words, is widened to any of them
        (search.any_of_the_words)."""
        if not self.searching:
            return Found("", np.zeros(0, dtype=np.int64), np.zeros(0))
        ranked = self.sort_order == "relevance"
        seen = {}

        def matches_of(text):  # each word's matches are read once, for checking and widening
            if text not in seen:
                seen[text] = search.matches(text, ranked=ranked)
            return seen[text]

        def found(ids):
            return len(self.snapshot.positions(ids)) > 0

        ids, ranks = matches_of(self.query)
        if found(ids) or self.exact:
            return Found(self.query, ids, ranks)
        query, corrections = search.corrected(
            self.query, known=lambda word: found(matches_of(word)[0])
        )
        if corrections:
            fixed_ids, fixed_ranks = matches_of(query)
            if found(fixed_ids):
                return Found(query, fixed_ids, fixed_ranks, corrections)
        wider, words, excluded = search.any_of_the_words(query or self.query)
        if wider:
            wider_ids, wider_ranks = search.matches_by_words(words, excluded, matches_of, ranked)
            if found(wider_ids):
                return Found(wider, wider_ids, wider_ranks, corrections, widened=True)
        return Found(self.query, ids, ranks)

    @property
    def widened(self):
        """Whether the search was widened to any of its words."""
        return self._search.widened

    def search_notes(self):
        """What the search did besides looking for the words as typed, in plain words."""
        found = self._search
        notes = [
            CORRECTED % {"typed": typed, "better": better} for typed, better in found.corrections
        ]
        return notes + ([str(WIDENED)] if found.widened else [])

    @property
    def _matches(self):
        return self._search.ids, self._search.ranks

    def sharing_search(self, other):
        """Take another filterset's snapshot, and its full-text matches when the search is the
        same: an empty list's suggestions differ from it by one filter, not by the search."""
        self.__dict__["snapshot"] = other.snapshot
        if self.query == other.query and "_search" in other.__dict__:
            self.__dict__["_search"] = other._search
        return self

    def matching(self, excluded=None):
        """The snapshot's cases that every valid parameter keeps, except `excluded` (for facet
        counts), as a bool array."""
        result = self.snapshot.everything()
        for name, mask in self._masks.items():
            if name != excluded:
                result &= mask
        return result

    def count(self):
        """How many cases the parameters give."""
        return int(np.count_nonzero(self.matching()))

    def page_ids(self, start, stop):
        """The ids of the matching cases at [start:stop] in the chosen order."""
        if self.sort_order == "relevance":
            return self.snapshot.relevance_page(self.matching(), self._matches, start, stop)
        order = self.snapshot.order(self.sort_order)
        return self.snapshot.page(self.matching(), order, start, stop)

    def error_messages(self):
        """Plain messages for parameters that were ignored."""
        messages = [
            gettext(
                "%(label)s: %(given)s different values were given; only the first %(max)s are used."
            )
            % {"label": dimension.label, "given": given, "max": dimension.MAX_VALUES}
            for dimension, given in self.capped
        ]
        for name, errors in self.form.errors.items():
            label = self.filters[name].label if name in self.filters else name
            value = (
                self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name)
            )
            shown = ", ".join(str(x)[:40] for x in value) if isinstance(value, list) else value
            messages.append(
                gettext(
                    "%(label)s: “%(value)s” was not understood and has been ignored (%(error)s)"
                )
                % {"label": label, "value": shown, "error": errors[0]}
            )
        return messages


# One filter per dimension, named by its parameter, then the sort order (applied last).
CaseFilter = type(
    "CaseFilter",
    (CaseFilterBase,),
    {
        **{d.param: d.make_filter() for d in DIMENSIONS},
        "sort": SortFilter(label=_("Sort by")),
        "__doc__": "The case list's parameters, one per dimension, and the sort order.",
    },
)
