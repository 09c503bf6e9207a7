"""Pages for practitioners weighing up their own situation: "Find cases like mine" (/match/, a
GET form whose answers matching.py ranks the published cases against) and the side-by-side
comparison of up to three cases (/compare/?cases=a,b,c, and the same rows as CSV)."""

import csv
import re

from django import forms
from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import content_disposition_header, urlencode
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from catalogue import facetindex, matching
from catalogue import vocabulary as v
from catalogue.bilingual import Text, english_only, localised
from catalogue.forms import CleanText, plain_choices
from catalogue.models import Case, CoProducer, ServiceArea
from catalogue.submission import error_list
from catalogue.tabular import _neutralise
from catalogue.views import cached_case

# /match/ ------------------------------------------------------------------------------------


class MatchForm(CleanText, forms.Form):
    """The situation, in the plain words of the submission's questions."""

    areas = forms.ModelMultipleChoiceField(
        label=_("Which service area is it in?"),
        queryset=ServiceArea.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick one, or a few if it spans them."),
        error_messages={"required": _("Tick at least one service area.")},
    )
    producers = forms.ModelMultipleChoiceField(
        label=_("Who are the people who would take part alongside professionals?"),
        queryset=CoProducer.objects.all(),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one group of people who would take part.")},
    )
    planning = forms.ChoiceField(
        label=_("Who would plan or design the service?"),
        choices=plain_choices("planning", v.Planning),
        widget=forms.RadioSelect,
        error_messages={"required": _("Say who would plan or design the service.")},
    )
    delivery = forms.ChoiceField(
        label=_("Who would deliver it day to day?"),
        choices=plain_choices("delivery", v.Delivery),
        widget=forms.RadioSelect,
        error_messages={"required": _("Say who would deliver the service day to day.")},
    )
    benefits = forms.MultipleChoiceField(
        label=_("Who should benefit?"),
        choices=plain_choices("benefits", v.Benefit),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick both if you want both."),
        error_messages={"required": _("Say who should benefit: tick one or both.")},
    )
    phases = forms.MultipleChoiceField(
        label=_("At which stages would citizens take part? (optional)"),
        choices=plain_choices("phases", v.Phase),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    country = forms.ChoiceField(
        label=_("Country (optional)"),
        required=False,
        help_text=_(
            "Cases in this country rank a little higher; others are still shown. "
            "Only countries with published cases are listed."
        ),
    )

    def __init__(self, *args, snapshot=None, **kwargs):
        super().__init__(*args, **kwargs)
        held = set(snapshot.labels.get("country", [])) if snapshot is not None else set()
        self.fields["country"].choices = [
            ("", gettext("Any country")),
            *((code, name) for code, name in countries if code in held),
        ]

    def clean(self):
        data = super().clean()
        cell = v.cell_for(data.get("planning"), data.get("delivery"))
        if cell and cell.refused:
            self.add_error(
                "delivery",
                gettext(
                    "%(explanation)s Choose who else would plan it, or who would help deliver it."
                )
                % {"explanation": cell.explanation},
            )
        return data

    def situation(self):
        data = self.cleaned_data
        return matching.Situation(
            areas=tuple(area.slug for area in data["areas"]),
            producers=tuple(producer.slug for producer in data["producers"]),
            planning=data["planning"],
            delivery=data["delivery"],
            benefits=tuple(data["benefits"]),
            phases=tuple(data["phases"]),
            country=data["country"],
        )


def match(request):
    """Find cases like mine: the form, and once answered the ten closest published cases."""
    answered = any(name in request.GET for name in MatchForm.base_fields)
    snapshot = facetindex.current()
    form = MatchForm(request.GET if answered else None, snapshot=snapshot)
    results = None
    if answered and form.is_valid():
        situation = form.situation()
        results = matching.matches(
            snapshot,
            situation,
            lambda ids: snapshot.with_terms(Case.objects.in_order(ids)),
        )
    return render(
        request,
        "catalogue/match.html",
        {
            "form": form,
            "error_list": error_list(form) if answered else [],
            "results": results,
            "criteria": matching.CRITERIA,
            "tie_breaks": matching.TIE_BREAKS,
            "limit": matching.RESULTS,
        },
    )


# /compare/ ----------------------------------------------------------------------------------

MAX_CASES = 3
MAX_READ = 10  # addresses read from one request; any more are ignored unread
SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,120}$")


def chosen_slugs(values):
    """The distinct case addresses in `cases` values (comma-separated or repeated), in order;
    at most MAX_READ are read, each as at most 120 characters."""
    slugs, more = [], False
    for value in values[:MAX_READ]:
        for slug in value[: MAX_READ * 121].split(","):
            slug = slug.strip()
            if not slug or slug in slugs:
                continue
            if len(slugs) == MAX_READ:
                more = True
                break
            slugs.append(slug[:121])
    return slugs, more or len(values) > MAX_READ


def comparison(values):
    """(cases, notices): the published cases among the chosen addresses, at most three, and what
    was left out and why."""
    slugs, more = chosen_slugs(values)
    cases, notices, unknown, extra = [], [], [], []
    for slug in slugs:
        found = cached_case(slug) if SLUG.match(slug) else None
        case = found[0] if found else None
        if case is None:
            unknown.append(slug)
        elif len(cases) == MAX_CASES:
            extra.append(case.title)
        else:
            cases.append(case)
    if unknown:
        names = ", ".join(f"“{slug[:60]}”" for slug in unknown)
        notices.append(
            gettext("No published case has the address %(names)s: left out.") % {"names": names}
        )
    if extra or more:
        left = f" ({'; '.join(extra)})" if extra else ""
        notices.append(
            gettext(
                "You can compare at most %(most)s cases: the first %(most)s are shown, "
                "the others%(left)s were left out."
            )
            % {"most": MAX_CASES, "left": left}
        )
    return cases, notices


def compare_query(slugs):
    """The query string of a comparison of these cases ("" for none)."""
    return "?" + urlencode({"cases": ",".join(slugs)}) if slugs else ""


def _join(items):
    return "; ".join(str(item) for item in items)


def _cell(value):
    """A cell of the comparison: a list of texts (one for most rows, one per outcome or source);
    a case's own texts keep their language (bilingual.Text)."""
    if isinstance(value, list):
        return [item if isinstance(item, Text) else str(item) for item in value if item]
    return [value if isinstance(value, Text) else str(value)] if value else []


def _outcomes(case, group):
    texts = []
    for outcome in case.outcomes.all():
        if outcome.benefit_group == group:
            statement = localised(outcome, "statement")
            text = f"{outcome.figure}: {statement}" if outcome.figure else str(statement)
            texts.append(Text(text, statement.lang, statement.fallback))
    return texts


def _sources(case):
    return [
        english_only(source.citation + (f" ({source.locator})" if source.locator else ""))
        for source in case.sources.all()
    ]


def comparison_rows(cases):
    """[(group, [(row label, [cell for each case])])]: what the page's table and the CSV show;
    each cell is a list of texts (`_cell`), in the current language (the CSV's is English)."""

    def row(label, value):
        return (label, [_cell(value(case)) for case in cases])

    groups = [
        (
            gettext("About the case"),
            [
                row(gettext("Summary"), lambda c: localised(c, "summary")),
                row(
                    gettext("Where"),
                    lambda c: ", ".join(x for x in (c.locality, c.country.name) if x),
                ),
                row(gettext("When"), lambda c: c.period or ""),
                row(gettext("Lead organisation(s)"), lambda c: english_only(c.lead_organisations)),
            ],
        ),
        (
            gettext("Classification"),
            [
                row(gettext("Matrix cell"), lambda c: c.cell.name),
                row(gettext("Who planned it"), lambda c: c.get_planning_display()),
                row(gettext("Who delivers it"), lambda c: c.get_delivery_display()),
                row(gettext("Phases"), lambda c: _join(p.label for p in c.phases.all())),
                row(gettext("Type"), lambda c: _join(b.label for b in c.benefits)),
                row(
                    gettext("Service areas"),
                    lambda c: _join(a.label for a in c.service_areas.all()),
                ),
                row(
                    gettext("Co-producers"),
                    lambda c: _join(p.label for p in c.co_producers.all()),
                ),
            ],
        ),
        (
            gettext("Evidence"),
            [
                row(gettext("Level"), lambda c: f"{c.evidence_level}: {c.evidence.label}"),
                row(gettext("Evaluation design"), lambda c: c.get_evaluation_design_display()),
                row(gettext("Direction of findings"), lambda c: c.get_evidence_direction_display()),
                row(
                    gettext("Independent evaluation"),
                    lambda c: (
                        pgettext("evaluation exists", "Yes")
                        if c.independent_evaluation
                        else pgettext("evaluation exists", "No")
                    ),
                ),
                row(
                    gettext("Rating"),
                    lambda c: (
                        gettext("Confirmed by an editor")
                        if c.evidence_confirmed
                        else gettext("Proposed")
                    ),
                ),
                row(
                    gettext("What the evidence shows"),
                    lambda c: english_only(c.evidence_rationale),
                ),
            ],
        ),
        (
            gettext("Outcomes by who benefits"),
            [
                row(group.label, lambda c, group=group: _outcomes(c, group.value))
                for group in v.BenefitGroup
                if any(_outcomes(c, group.value) for c in cases)
            ],
        ),
        (
            gettext("Costs and lessons"),
            [
                row(gettext("Costs and savings"), lambda c: english_only(c.costs)),
                row(gettext("Obstacles and lessons"), lambda c: english_only(c.lessons)),
            ],
        ),
        (gettext("Sources"), [row(gettext("Sources"), _sources)]),
    ]
    return [(group, rows) for group, rows in groups if rows]


def compare(request):
    """Up to three published cases side by side, with links to remove each and to add more."""
    cases, notices = comparison(request.GET.getlist("cases"))
    slugs = [case.slug for case in cases]
    columns = [
        {
            "case": case,
            "remove": reverse("compare") + compare_query([s for s in slugs if s != case.slug]),
        }
        for case in cases
    ]
    return render(
        request,
        "catalogue/compare.html",
        {
            "columns": columns,
            "rows": comparison_rows(cases),
            "notices": notices,
            "query": compare_query(slugs),
            "slugs": ",".join(slugs),
            "full": len(cases) >= MAX_CASES,
            "max_cases": MAX_CASES,
        },
    )


def compare_csv(request):
    """The comparison's rows as CSV: one column per case, cells safe to open in a spreadsheet;
    in English whatever the reader's language, like the other downloads."""
    with translation.override(settings.LANGUAGE_CODE):
        return _compare_csv(request)


def _compare_csv(request):
    cases, _ = comparison(request.GET.getlist("cases"))
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, "comparison.csv")
    writer = csv.writer(response, lineterminator="\r\n")
    writer.writerow([_neutralise(text) for text in ["Group", "Field", *(c.title for c in cases)]])
    address = request.build_absolute_uri
    writer.writerow(["About the case", "Address", *(address(c.get_absolute_url()) for c in cases)])
    for group, rows in comparison_rows(cases):
        for label, values in rows:
            texts = [group, label, *("\n".join(cell) for cell in values)]
            writer.writerow([_neutralise(text) for text in texts])
    return response
