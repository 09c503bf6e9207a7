"""The case list's dimensions, declared once: each filter parameter with its labels, its values and
how it narrows the cases: in the database (`make_filter`, for the exports) and over the facet
index (`mask`, for the list, its counts and the API), and how it counts there (`tally`). The two
must agree; tests/test_facet_index.py checks that they do.

The FilterSet (filters.py), the facet counts and chips (facets.py), the API documentation and the
codebook (opendata.py), the guide (views.py) and the benchmark's in-memory page
(bench/baselines.py) all read DIMENSIONS. Adding a filter is one entry in DIMENSIONS; a new kind
of value is one new class below.
"""

from dataclasses import dataclass, field
from decimal import Decimal

import django_filters
import numpy as np
from django.db.models import Count, Q
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from catalogue import facetindex
from catalogue import vocabulary as v
from catalogue.facetindex import NO_YEAR
from catalogue.models import Case

YEARS = {"min_value": 1800, "max_value": 2100}
ANY = _("Any")


def _interpolated(message, **values):
    """`message % values`, translated each time it is shown rather than once at import."""
    return lazy(lambda: str(message) % values, str)()


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool
    description: str = ""


@dataclass
class Facet:
    """A dimension's options with the number of cases each would give."""

    name: str
    label: str
    options: list = field(default_factory=list)
    multiple: bool = False

    @property
    def selected(self):
        return [o for o in self.options if o.selected]


class Dimension:
    """One filter of the case list.

    `param` is the URL parameter (a public contract), `label` the filter's heading, `short` its
    name on a chip, `values` what the API documentation says it accepts.
    """

    repeatable = False  # may be given several times, each value narrowing the list further
    faceted = True  # the filter panel lists its options, each with a count

    def __init__(self, param, label, *, short="", values=""):
        self.param, self.label, self.short, self.values = param, label, short or label, values

    def make_filter(self):
        """The django-filter Filter that parses and applies the parameter."""
        raise NotImplementedError

    def mask(self, snapshot, cleaned):
        """The cases of a facet index snapshot (facetindex.py) that the parameter's cleaned value
        keeps, as a bool array: what the filter keeps in the database, in memory."""
        raise NotImplementedError

    def tally(self, snapshot, mask):
        """{option value: number of the masked cases of the snapshot it matches}."""
        raise NotImplementedError

    def options(self, terms=None):
        """[(value, label, description)] in the order the page shows them."""
        raise NotImplementedError

    def option_label(self, value):
        return dict((value, label) for value, label, _ in self.options()).get(value, value)

    def chosen(self, cleaned):
        """The parameter's cleaned value as a set of option values."""
        if cleaned in (None, "", []):
            return set()
        if isinstance(cleaned, list | tuple) or hasattr(cleaned, "model"):
            return {str(getattr(item, "slug", item)) for item in cleaned}
        return {str(cleaned)}

    def facet(self, counts, chosen, terms=None):
        return Facet(
            self.param,
            self.label,
            [
                Option(value, label, counts.get(value, 0), value in chosen, description)
                for value, label, description in self.options(terms)
            ],
            multiple=self.repeatable,
        )


class FieldChoice(Dimension):
    """A case field with a fixed vocabulary, one value at a time (who planned, who delivers)."""

    def __init__(self, param, vocabulary, label, *, short=""):
        super().__init__(param, label, short=short, values=", ".join(vocabulary.values))
        self.vocabulary = vocabulary

    def make_filter(self):
        return django_filters.ChoiceFilter(
            field_name=self.param,
            label=self.label,
            choices=self.vocabulary.choices,
            empty_label=ANY,
        )

    def mask(self, snapshot, cleaned):
        return snapshot.equal(self.param, cleaned)

    def tally(self, snapshot, mask):
        return snapshot.tally_labels(self.param, mask)

    def options(self, terms=None):
        return self.vocabulary.terms()


class Related(Dimension):
    """Terms related to the case: repeatable, each value narrowing the list (phases, service
    areas, co-producers). A fixed vocabulary gives the terms, or else an editable model (its
    terms as the facet index read them).

    However many values are given, the filter is one subquery (the cases that have all of them,
    grouped and counted on the link table), never a join per value; at most MAX_VALUES are used
    (filters.py says so to the reader)."""

    repeatable = True
    MAX_VALUES = 10

    def __init__(self, param, relation, label, *, vocabulary=None, values=""):
        values = values or (", ".join(vocabulary.values) if vocabulary else _("a slug"))
        super().__init__(param, label, values=values)
        self.relation, self.vocabulary = relation, vocabulary

    def make_filter(self):
        choices = self.vocabulary.choices if self.vocabulary else self.term_choices
        return django_filters.MultipleChoiceFilter(
            choices=choices, label=self.label, method=self.having_all
        )

    def term_choices(self):
        """The editable terms, as the facet index read them: checking a value costs no query."""
        return [(slug, name) for slug, name, _ in self.options()]

    def having_all(self, cases, name, values):
        slugs = self.chosen(values)
        if not slugs:
            return cases
        relation = getattr(Case, self.relation)
        term = relation.field.m2m_reverse_field_name()
        having = (
            relation.through.objects.filter(**{f"{term}__slug__in": slugs})
            .values("case_id")
            .annotate(n=Count(term, distinct=True))
            .filter(n=len(slugs))
            .values("case_id")
        )
        return cases.filter(id__in=having)

    def mask(self, snapshot, cleaned):
        slugs = self.chosen(cleaned)
        return snapshot.having_all(self.param, sorted(slugs)) if slugs else None

    def tally(self, snapshot, mask):
        return snapshot.tally_terms(self.param, mask)

    def options(self, terms=None):
        if self.vocabulary:
            return self.vocabulary.terms()
        if terms is None:
            terms = facetindex.held().term_objects[self.param]
        return [(t.slug, t.label, t.meaning) for t in terms]  # in the page's language


class Flags(Dimension):
    """Yes/no fields of the case named by a vocabulary's slugs; a case matches each one it has
    (who benefits: individual, collective)."""

    def __init__(self, param, vocabulary, label):
        super().__init__(param, label, values=", ".join(vocabulary.values))
        self.vocabulary = vocabulary

    def make_filter(self):
        return django_filters.ChoiceFilter(
            label=self.label,
            choices=self.vocabulary.choices,
            method=lambda cases, name, value: cases.filter(**{value: True}),
            empty_label=ANY,
        )

    def mask(self, snapshot, cleaned):
        return snapshot.columns[cleaned].copy()

    def tally(self, snapshot, mask):
        return {
            flag: int(np.count_nonzero(snapshot.columns[flag] & mask))
            for flag in self.vocabulary.values
        }

    def options(self, terms=None):
        return self.vocabulary.terms()


class AtLeast(Dimension):
    """A level of an integer scale or higher (evidence at least)."""

    def __init__(self, param, field_name, vocabulary, label):
        values = _interpolated(
            _("%(lowest)s to %(highest)s"),
            lowest=min(vocabulary.values),
            highest=max(vocabulary.values),
        )
        super().__init__(param, label, values=values)
        self.field_name, self.vocabulary = field_name, vocabulary

    def make_filter(self):
        return django_filters.ChoiceFilter(
            field_name=self.field_name,
            lookup_expr="gte",
            label=self.label,
            choices=[
                (str(level), format_lazy("{}: {}", level, label))
                for level, label in self.vocabulary.choices
            ],
            empty_label=ANY,
        )

    def mask(self, snapshot, cleaned):
        return snapshot.columns[self.field_name] >= int(cleaned)

    def tally(self, snapshot, mask):
        found = np.bincount(snapshot.columns[self.field_name][mask])
        per_level = {level: int(n) for level, n in enumerate(found)}
        return {
            str(level): sum(n for found, n in per_level.items() if found >= level)
            for level in self.vocabulary.values
        }

    def options(self, terms=None):
        top = max(self.vocabulary.values)
        return [
            (
                str(m.value),
                gettext("%(level)s: %(label)s or higher") % {"level": m.value, "label": m.label}
                if m.value < top
                else f"{m.value}: {m.label}",
                m.description,
            )
            for m in self.vocabulary
        ]


class Country(Dimension):
    """An ISO 3166 country; the filter offers only the countries that cases have."""

    def make_filter(self):
        return django_filters.ChoiceFilter(
            label=self.label, choices=list(countries), empty_label=ANY
        )

    def mask(self, snapshot, cleaned):
        return snapshot.equal(self.param, cleaned)

    def tally(self, snapshot, mask):
        return snapshot.tally_labels(self.param, mask)

    def options(self, terms=None):
        return [(code, name, "") for code, name in countries]

    def option_label(self, value):
        return countries.name(value) or value

    def facet(self, counts, chosen, terms=None):
        present = sorted(set(counts) | chosen, key=self.option_label)
        options = [Option(c, self.option_label(c), counts.get(c, 0), c in chosen) for c in present]
        return Facet(self.param, self.label, options)


class YearBound(Dimension):
    """A year the case was active from or until; typed in, so it has no options to count."""

    faceted = False

    def __init__(self, param, label, *, short, method, keeps):
        super().__init__(param, label, short=short, values=_("a year, 1800 to 2100"))
        self.method, self.keeps = method, keeps

    def mask(self, snapshot, cleaned):
        return self.keeps(
            snapshot.columns["start_year"], snapshot.columns["end_year"], int(cleaned)
        )

    def make_filter(self):
        return django_filters.NumberFilter(label=self.label, method=self.method, **YEARS)

    def options(self, terms=None):
        return []

    def option_label(self, value):
        return str(int(Decimal(value)))


class Search(Dimension):
    """Words to find (catalogue/search.py); typed in, so it has no options to count."""

    faceted = False

    def make_filter(self):
        from catalogue import search

        return django_filters.CharFilter(
            label=self.label,
            method="search_words",  # filters.CaseFilterBase: the words, widened if need be
            max_length=search.MAX_QUERY_LENGTH * 5,
            help_text=_(
                "Words to find in titles, summaries, descriptions, places, organisations, "
                "outcomes, lessons, service areas, co-producers and sources."
            ),
        )

    def options(self, terms=None):
        return []

    def option_label(self, value):
        return value


def active_from(cases, name, year):
    """Active in or after the year: ended then or later, still going, or end not known."""
    return cases.filter(start_year__isnull=False).filter(
        Q(end_year__gte=int(year)) | Q(end_year__isnull=True)
    )


def active_from_in_memory(start, end, year):
    """active_from over a facet index snapshot's year columns (NO_YEAR where not known)."""
    return (start != NO_YEAR) & ((end >= year) | (end == NO_YEAR))


def active_until(cases, name, year):
    """Started in or before the year."""
    return cases.filter(start_year__lte=int(year))


def active_until_in_memory(start, end, year):
    return (start != NO_YEAR) & (start <= year)


DIMENSIONS = [
    Search(
        "q",
        _("Search"),
        values=_('words; "quotes" for a phrase, -word to leave out, OR'),
    ),
    Related("phase", "phases", _("Phase"), vocabulary=v.Phase),
    FieldChoice("planning", v.Planning, v.Planning.QUESTION, short=_("Planned by")),
    FieldChoice("delivery", v.Delivery, v.Delivery.QUESTION, short=_("Delivered by")),
    Flags("type", v.Benefit, _("Who benefits")),
    AtLeast("evidence_min", "evidence_level", v.EvidenceLevel, _("Evidence at least")),
    Related(
        "area",
        "service_areas",
        _("Service area"),
        values=_("a slug from the codebook"),
    ),
    Related(
        "producer",
        "co_producers",
        _("Co-producers"),
        values=_("a slug from the codebook"),
    ),
    Country("country", _("Country"), values=_("an ISO 3166-1 alpha-2 code, e.g. GB")),
    YearBound(
        "year_from",
        _("Active from (year)"),
        short=_("From"),
        method=active_from,
        keeps=active_from_in_memory,
    ),
    YearBound(
        "year_to",
        _("Active until (year)"),
        short=_("Until"),
        method=active_until,
        keeps=active_until_in_memory,
    ),
]
BY_PARAM = {d.param: d for d in DIMENSIONS}
FACETED = [d for d in DIMENSIONS if d.faceted]
