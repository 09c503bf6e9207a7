"""The case list's parameters: one FilterSet, used by the list, exports and API alike."""

import django_filters
from django.db.models import Q
from django_countries import countries

from catalogue import search
from catalogue import vocabulary as v
from catalogue.models import CoProducer, ServiceArea

SORTS = {
    "relevance": "Relevance",
    "newest": "Newest first",
    "title": "Title A–Z",
    "evidence": "Strongest evidence first",
}
ORDERINGS = {
    "newest": ["-published_at", "-id"],
    "title": ["title", "id"],
    "evidence": ["-evidence_level", "title", "id"],
    "relevance": ["-search_rank", "title", "id"],
}
YEAR_FIELD = {"min_value": 1800, "max_value": 2100}


class SlugMultipleChoiceFilter(django_filters.ModelMultipleChoiceFilter):
    """A repeatable parameter naming vocabulary terms by slug; each choice narrows the list."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("to_field_name", "slug")
        kwargs.setdefault("conjoined", True)
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="filter_search",
        max_length=search.MAX_QUERY_LENGTH * 5,
        help_text="Words to find in titles, summaries, descriptions, places, organisations and outcomes.",
    )
    phase = django_filters.MultipleChoiceFilter(
        label="Phase",
        field_name="phases__slug",
        choices=v.Phase.choices,
        conjoined=True,
        distinct=False,
    )
    planning = django_filters.ChoiceFilter(
        label=v.Planning.QUESTION, choices=v.Planning.choices, empty_label="Any"
    )
    delivery = django_filters.ChoiceFilter(
        label=v.Delivery.QUESTION, choices=v.Delivery.choices, empty_label="Any"
    )
    type = django_filters.ChoiceFilter(
        label="Who benefits", choices=v.Benefit.choices, method="filter_type", empty_label="Any"
    )
    evidence_min = django_filters.ChoiceFilter(
        label="Evidence at least",
        choices=[(str(level), f"{level}: {label}") for level, label in v.EvidenceLevel.choices],
        field_name="evidence_level",
        lookup_expr="gte",
        empty_label="Any",
    )
    area = SlugMultipleChoiceFilter(
        label="Service area", field_name="service_areas__slug", queryset=ServiceArea.objects.all()
    )
    country = django_filters.ChoiceFilter(
        label="Country", choices=list(countries), empty_label="Any"
    )
    producer = SlugMultipleChoiceFilter(
        label="Co-producers", field_name="co_producers__slug", queryset=CoProducer.objects.all()
    )
    year_from = django_filters.NumberFilter(
        label="Active from (year)", method="filter_year_from", **YEAR_FIELD
    )
    year_to = django_filters.NumberFilter(
        label="Active until (year)", method="filter_year_to", **YEAR_FIELD
    )
    sort = django_filters.ChoiceFilter(
        label="Sort by", choices=list(SORTS.items()), method="filter_noop", empty_label=None
    )

    # Parameters that narrow the list, in the order the page shows them.
    FACETS = [
        "phase",
        "planning",
        "delivery",
        "type",
        "evidence_min",
        "area",
        "producer",
        "country",
    ]
    # Single-valued parameters: choosing another option replaces the current one.
    REPLACING = {"planning", "delivery", "type", "evidence_min", "country"}

    def filter_search(self, queryset, name, value):
        return search.search(queryset, value) if search.clean_query(value) else queryset

    def filter_type(self, queryset, name, value):
        return queryset.filter(**{value: True})

    def filter_year_from(self, queryset, name, value):
        # Active in or after the year: ended then or later, still going, or end not known.
        year = int(value)
        return queryset.filter(start_year__isnull=False).filter(
            Q(end_year__gte=year) | Q(end_year__isnull=True)
        )

    def filter_year_to(self, queryset, name, value):
        return queryset.filter(start_year__lte=int(value))

    def filter_noop(self, queryset, name, value):
        return queryset

    @property
    def searching(self):
        return bool(self.is_valid_field("q") and search.clean_query(self.form.cleaned_data["q"]))

    def is_valid_field(self, name):
        self.errors  # noqa: B018 - runs validation once
        return name in self.form.cleaned_data and name not in self.form.errors

    @property
    def sort_order(self):
        chosen = self.form.cleaned_data.get("sort") if self.is_valid_field("sort") else ""
        if chosen == "relevance" and not self.searching:
            chosen = ""
        return chosen or ("relevance" if self.searching else "newest")

    def sorted_qs(self):
        queryset = self.qs
        if self.sort_order == "relevance":
            queryset = search.with_rank(queryset, self.form.cleaned_data["q"])
        return queryset.order_by(*ORDERINGS[self.sort_order])

    def filter_except(self, excluded):
        """The queryset with every valid parameter applied except `excluded` (for facet counts)."""
        queryset = self.queryset.all()
        for name, value in self.form.cleaned_data.items():
            if name == excluded or name in self.form.errors or value in (None, "", []):
                continue
            queryset = self.filters[name].filter(queryset, value)
        return queryset

    def error_messages(self):
        """Plain messages for parameters that were ignored."""
        messages = []
        for name, errors in self.form.errors.items():
            label = self.filters[name].label if name in self.filters else name
            value = (
                self.data.getlist(name) if hasattr(self.data, "getlist") else self.data.get(name)
            )
            shown = ", ".join(str(x)[:40] for x in value) if isinstance(value, list) else value
            messages.append(
                f"{label}: “{shown}” was not understood and has been ignored ({errors[0]})"
            )
        return messages
