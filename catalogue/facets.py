"""Facet counts for the case list: how many cases each option would give.

For a single-valued parameter (planning, delivery, type, evidence, country)
choosing an option replaces the current choice, so its counts apply every
other parameter. For a repeatable one (phase, area, producer) each choice
narrows the list further, so its counts apply every parameter. Either way the
count beside an option is the number of results after choosing it. One query
per facet, whatever the number of cases or the page size.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.urls import reverse
from django_countries import countries

from catalogue import vocabulary as v
from catalogue.cache import cached
from catalogue.models import Case, CoProducer, ServiceArea


@dataclass
class Option:
    value: str
    label: str
    count: int
    selected: bool
    description: str = ""


@dataclass
class Facet:
    name: str
    label: str
    options: list = field(default_factory=list)
    multiple: bool = False
    short: str = ""

    @property
    def chip_label(self):
        return self.short or self.label

    @property
    def selected(self):
        return [o for o in self.options if o.selected]


def _through_counts(through, column, cases):
    """{term slug: number of cases} for a many-to-many relation, over the given cases."""
    rows = (
        through.objects.filter(case_id__in=cases.order_by().values("id"))
        .values_list(f"{column}__slug")
        .annotate(n=Count("case_id"))
    )
    return dict(rows)


def _value_counts(cases, column):
    return dict(cases.order_by().values_list(column).annotate(n=Count("id")))


def _normal(value):
    if hasattr(value, "__iter__") and not isinstance(value, str):
        return sorted(str(getattr(item, "slug", item)) for item in value)
    return str(value)


def filter_params(filterset):
    """The filterset's valid parameters in a normal form, as a cache key."""
    filterset.is_valid()
    return sorted(
        (name, _normal(filterset.form.cleaned_data.get(name)))
        for name in filterset.filters
        if name != "sort" and filterset.is_valid_field(name)
    )


def match_count(filterset):
    """How many cases the parameters give (cached)."""
    return cached("count", filter_params(filterset), filterset.qs.count)


def facet_counts(filterset):
    """All facets of the list, with counts, for the filterset's current parameters (cached)."""
    return cached("facets", filter_params(filterset), lambda: _facet_counts(filterset))


def _facet_counts(filterset):
    data = filterset.form.cleaned_data
    selected = {name: data.get(name) for name in filterset.FACETS if filterset.is_valid_field(name)}

    def base(name):
        return filterset.filter_except(name if name in filterset.REPLACING else None)

    def chosen(name):
        value = selected.get(name)
        if value in (None, "", []):
            return set()
        if hasattr(value, "__iter__") and not isinstance(value, str):
            return {getattr(x, "slug", x) for x in value}
        return {str(value)}

    facets = []
    phase_counts = _through_counts(Case.phases.through, "phase", base("phase"))
    facets.append(
        Facet(
            "phase",
            "Phase",
            [
                Option(
                    t.value,
                    t.label,
                    phase_counts.get(t.value, 0),
                    t.value in chosen("phase"),
                    t.description,
                )
                for t in v.Phase
            ],
            multiple=True,
        )
    )
    for name, vocabulary, short in (
        ("planning", v.Planning, "Planned by"),
        ("delivery", v.Delivery, "Delivered by"),
    ):
        counts = _value_counts(base(name), name)
        facets.append(
            Facet(
                name,
                vocabulary.QUESTION,
                [
                    Option(
                        t.value,
                        t.label,
                        counts.get(t.value, 0),
                        t.value in chosen(name),
                        t.description,
                    )
                    for t in vocabulary
                ],
                short=short,
            )
        )
    type_counts = base("type").aggregate(
        **{b.value: Count("id", filter=Q(**{b.value: True})) for b in v.Benefit}
    )
    facets.append(
        Facet(
            "type",
            "Who benefits",
            [
                Option(
                    b.value, b.label, type_counts[b.value], b.value in chosen("type"), b.description
                )
                for b in v.Benefit
            ],
        )
    )
    level_counts = _value_counts(base("evidence_min"), "evidence_level")
    facets.append(
        Facet(
            "evidence_min",
            "Evidence at least",
            [
                Option(
                    str(level.value),
                    f"{level.value}: {level.label}" + (" or higher" if level.value < 5 else ""),
                    sum(n for lvl, n in level_counts.items() if lvl >= level.value),
                    str(level.value) in chosen("evidence_min"),
                    level.description,
                )
                for level in v.EvidenceLevel
            ],
        )
    )
    for name, label, through, column, model in (
        ("area", "Service area", Case.service_areas.through, "servicearea", ServiceArea),
        ("producer", "Co-producers", Case.co_producers.through, "coproducer", CoProducer),
    ):
        counts = _through_counts(through, column, base(name))
        facets.append(
            Facet(
                name,
                label,
                [
                    Option(
                        t.slug, t.name, counts.get(t.slug, 0), t.slug in chosen(name), t.description
                    )
                    for t in model.objects.all()
                ],
                multiple=True,
            )
        )
    country_counts = _value_counts(base("country"), "country")
    facets.append(
        Facet(
            "country",
            "Country",
            [
                Option(code, countries.name(code), n, code in chosen("country"))
                for code, n in sorted(country_counts.items(), key=lambda kv: countries.name(kv[0]))
            ],
        )
    )
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
    result = []
    for facet in facets:
        for option in facet.selected:
            without = params.copy()
            without.setlist(
                facet.name, [x for x in params.getlist(facet.name) if x != option.value]
            )
            result.append(Chip(f"{facet.chip_label}: {option.label}", without.urlencode()))
    for name, label in (("q", "Search"), ("year_from", "From"), ("year_to", "Until")):
        if filterset.is_valid_field(name) and filterset.form.cleaned_data.get(name) not in (
            None,
            "",
        ):
            without = params.copy()
            without.pop(name, None)
            value = filterset.form.cleaned_data[name]
            result.append(
                Chip(f"{label}: {int(value) if name != 'q' else value}", without.urlencode())
            )
    return result
