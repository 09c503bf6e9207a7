"""The guided submission's data: its steps, the draft kept in the session, and the mappings
between the officer's answers, the case document (docs/case-format.md) and the check page.

The answers of each step are kept exactly as typed, so nothing is lost on an error, a refused
combination or the back button. catalogue/submission.py holds the views that use these.
"""

import secrets
import time
from dataclasses import dataclass
from functools import cache, cached_property

from django import forms
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext, pgettext
from django.utils.translation import gettext_lazy as _

from catalogue import vocabulary as v
from catalogue.forms import (
    MAX_ROWS,
    ROWS_SHOWN,
    AboutForm,
    ContactChangeForm,
    ContactForm,
    EvidenceForm,
    OutcomeForm,
    OutcomesAndSources,
    ParticipationForm,
    SourceForm,
    WhoForm,
)
from catalogue.models import Case, ModerationEvent

SESSION_KEY = "submission"


@dataclass(frozen=True)
class Step:
    slug: str
    form: type
    label: str


STEPS = [
    Step("who", WhoForm, _("Who plans and who delivers")),
    Step("participation", ParticipationForm, _("How citizens take part")),
    Step("evidence", EvidenceForm, _("Evidence")),
    Step("about", AboutForm, _("About the service")),
    Step("outcomes", OutcomesAndSources, _("Outcomes and sources")),
    Step("contact", ContactForm, _("Your contact details")),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}


ROW_SETS = {"outcomes": OutcomeForm, "sources": SourceForm}  # the prefixes of the rows' step
SLACK = 100  # characters kept beyond a field's limit, so its error shows what was typed


def _field_limits(field):
    """(most values, most characters per value) kept for a form field."""
    if isinstance(field, forms.ModelMultipleChoiceField):
        return 100, 100
    if isinstance(field, forms.MultipleChoiceField):
        return len(field.choices), 100
    return 1, (getattr(field, "max_length", None) or 100) + SLACK


@cache
def limits(step):
    """{field name: (most values, most characters per value)} for every field the step has;
    anything else posted is not kept, so a whole draft is bounded."""
    if step.form is not OutcomesAndSources:
        return {name: _field_limits(f) for name, f in step.form.base_fields.items()}
    found = {}
    for prefix, form in ROW_SETS.items():
        for name in ("TOTAL_FORMS", "INITIAL_FORMS", "MIN_NUM_FORMS", "MAX_NUM_FORMS"):
            found[f"{prefix}-{name}"] = (1, 10)
        for row in range(MAX_ROWS):
            for name, f in form.base_fields.items():
                found[f"{prefix}-{row}-{name}"] = _field_limits(f)
    return found


class Draft:
    """The answers so far, kept in the session exactly as typed."""

    def __init__(self, session):
        self.session = session
        self.data = session.get(SESSION_KEY) or {
            "steps": {},
            "started": time.time(),
            "case_id": None,
        }

    @property
    def nonce(self):
        """A random value of this draft, from which its tracking token is made (services)."""
        if not self.data.get("nonce"):
            self.data["nonce"] = secrets.token_urlsafe(24)
            self.save()
        return self.data["nonce"]

    def save(self):
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def clear(self):
        self.session.pop(SESSION_KEY, None)

    @property
    def exists(self):
        return SESSION_KEY in self.session

    @cached_property
    def case(self):
        """The case being edited after an editor asked for changes, or None for a new one."""
        case_id = self.data.get("case_id")
        return Case.objects.filter(pk=case_id).first() if case_id else None

    @property
    def editor_reason(self):
        """During a resubmission: what the editor asked to change."""
        case = self.case
        if case is None:
            return ""
        event = case.events.filter(action=ModerationEvent.Action.REQUEST_CHANGES).last()
        return event.reason if event else ""

    def refused_cell(self):
        """The matrix cell of the first step's answers if the catalogue refuses it, else None."""
        saved = self.data["steps"].get(STEPS[0].slug) or {}
        cell = v.cell_for(*((saved.get(k) or [None])[0] for k in ("planning", "delivery")))
        return cell if cell and cell.refused else None

    def answers(self, step):
        saved = self.data["steps"].get(step.slug)
        return MultiValueDict(saved) if saved is not None else None

    def store(self, step, post):
        """Keep the step's answers: only its own fields, each within its limits (see `limits`).
        "Add another" (`add` naming a set of rows) adds an empty row to that set."""
        answers = {}
        for key, (max_values, max_length) in limits(step).items():
            values = [str(value)[:max_length] for value in post.getlist(key)[:max_values]]
            if values:
                answers[key] = values
        if (added := post.get("add")) in ROW_SETS:
            key = f"{added}-TOTAL_FORMS"
            shown = int(answers[key][0]) if answers.get(key, [""])[0].isdigit() else ROWS_SHOWN
            answers[key] = [str(min(shown + 1, MAX_ROWS))]
        self.data["steps"][step.slug] = answers
        self.save()

    def form(self, step, data=None):
        form_class = ContactChangeForm if step.slug == "contact" and self.editing else step.form
        return form_class(data if data is not None else self.answers(step))

    @property
    def editing(self):
        """Whether this draft edits a case an editor sent back (not a new submission)."""
        return bool(self.data.get("case_id"))

    def forms(self):
        """Every step's form bound to its answers; unanswered steps are unbound."""
        return {step.slug: self.form(step) for step in STEPS}

    def first_incomplete(self, forms=None):
        forms = forms or self.forms()
        for step in STEPS:
            form = forms[step.slug]
            if not form.is_bound or not form.is_valid():
                return step
        return None


def document_from(forms):
    """The case document (docs/case-format.md) the answers describe."""
    who, part, evidence, about, rows = (
        forms[s].cleaned_data for s in ("who", "participation", "evidence", "about", "outcomes")
    )
    return {
        "title": about["title"],
        "summary": about["summary"],
        "description": about["description"],
        "country": about["country"],
        "locality": about["locality"],
        "lead_organisations": about["lead_organisations"],
        "service_areas": [t.slug for t in about["service_areas"]],
        "co_producers": [t.slug for t in about["co_producers"]],
        "phases": part["phases"],
        "activities": part["activities"],
        "planning": who["planning"],
        "delivery": who["delivery"],
        "benefits": part["benefits"],
        "evidence": {
            "level": int(forms["evidence"].proposed_level),
            "direction": evidence["direction"],
            "design": evidence["design"],
            "independent": evidence["independent"],
            "rationale": evidence["rationale"],
        },
        "start_year": about["start_year"],
        "end_year": about["end_year"],
        "ongoing": about["ongoing"],
        "outcomes": rows["outcomes"],
        "costs": about["costs"],
        "lessons": about["lessons"],
        "sources": rows["sources"],
    }


def answers_from_case(case):
    """A case's current content as step answers, so the submitter can edit it."""
    outcomes, sources = list(case.outcomes.all()), list(case.sources.all())
    rows = {}
    for prefix, found in (("outcomes", outcomes), ("sources", sources)):
        # Every row the case has (an editor may have added more than a submission shows), and
        # an empty one to add another.
        shown = min(max(ROWS_SHOWN, len(found) + 1), max(MAX_ROWS, len(found)))
        rows |= {f"{prefix}-TOTAL_FORMS": [str(shown)], f"{prefix}-INITIAL_FORMS": ["0"]}
    for i, o in enumerate(outcomes):
        rows |= {
            f"outcomes-{i}-statement": [o.statement],
            f"outcomes-{i}-figure": [o.figure],
            f"outcomes-{i}-benefit_group": [o.benefit_group],
        }
    for i, s in enumerate(sources):
        rows |= {
            f"sources-{i}-citation": [s.citation],
            f"sources-{i}-year": [str(s.year or "")],
            f"sources-{i}-url": [s.url],
            f"sources-{i}-kind": [s.kind],
            f"sources-{i}-locator": [s.locator],
        }
    statements = (case.proposal or {}).get("evidence", {}).get("statements")
    level = case.evidence_level
    return {
        "who": {"planning": [case.planning], "delivery": [case.delivery]},
        "participation": {
            "phases": [p.slug for p in case.phases.all()],
            "activities": [a.slug for a in case.activities.all()],
            "benefits": [b.value for b in case.benefits],
        },
        "evidence": {
            "statements": statements or [str(n) for n in range(1, level + 1)],
            "direction": [case.evidence_direction],
            "design": [case.evaluation_design],
            "independent": ["yes" if case.independent_evaluation else "no"],
            "rationale": [case.evidence_rationale],
        },
        "about": {
            "title": [case.title],
            "summary": [case.summary],
            "description": [case.description],
            "country": [case.country.code],
            "locality": [case.locality],
            "lead_organisations": [case.lead_organisations],
            "service_areas": [a.slug for a in case.service_areas.all()],
            "co_producers": [p.slug for p in case.co_producers.all()],
            "start_year": [str(case.start_year or "")],
            "end_year": [str(case.end_year or "")],
            **({"ongoing": ["on"]} if case.ongoing else {}),
            "costs": [case.costs],
            "lessons": [case.lessons],
        },
        "outcomes": rows,
        "contact": {},  # not shown again: empty keeps the details given before
    }


def check_summary(forms, document):
    """The answers as (step, [(question, answer)]) for the check-your-answers page, in the
    current language."""
    _ = gettext
    not_given = _("Not given")
    about = forms["about"].cleaned_data
    contact = forms["contact"].cleaned_data
    evidence = forms["evidence"]
    cell = v.cell_for(document["planning"], document["delivery"])
    statements = forms["evidence"].cleaned_data["statements"]
    return [
        (
            STEP_BY_SLUG["who"],
            [
                (
                    v.Planning.QUESTION,
                    v.plain_answer("planning", v.Planning(document["planning"]), _("matrix row")),
                ),
                (
                    v.Delivery.QUESTION,
                    v.plain_answer(
                        "delivery", v.Delivery(document["delivery"]), _("matrix column")
                    ),
                ),
                (_("Matrix cell"), cell.name),
            ],
        ),
        (
            STEP_BY_SLUG["participation"],
            [
                (
                    _("At which stages citizens take part"),
                    "\n".join(v.plain_answer("phases", v.Phase(p)) for p in document["phases"]),
                ),
                (
                    _("Activities"),
                    "\n".join(v.plain_activity(a) for a in document["activities"])
                    or _("None chosen"),
                ),
                (
                    _("Who benefits"),
                    "\n".join(
                        v.plain_answer("benefits", v.Benefit(b)) for b in document["benefits"]
                    ),
                ),
            ],
        ),
        (
            STEP_BY_SLUG["evidence"],
            [
                (
                    _("What is true"),
                    "\n".join(str(v.EVIDENCE_QUESTIONS[n - 1]) for n in sorted(statements))
                    or _("None of the statements: there is a description only so far"),
                ),
                (
                    _("Proposed evidence level"),
                    f"{evidence.proposed_level.value}: {evidence.proposed_level.label}",
                ),
                (_("What it found"), v.Direction(document["evidence"]["direction"]).label),
                (
                    _("How it was evaluated"),
                    v.EvaluationDesign(document["evidence"]["design"]).label,
                ),
                (
                    _("Independent evaluation"),
                    pgettext("independent evaluation", "Yes")
                    if document["evidence"]["independent"]
                    else _("No, or not known"),
                ),
                (_("What the evidence shows"), document["evidence"]["rationale"]),
            ],
        ),
        (
            STEP_BY_SLUG["about"],
            [
                (_("Name"), about["title"]),
                (_("Summary"), about["summary"]),
                (_("Description"), about["description"]),
                (
                    _("Where"),
                    ", ".join(
                        x
                        for x in (
                            about["locality"],
                            dict(AboutForm.base_fields["country"].choices)[about["country"]],
                        )
                        if x
                    ),
                ),
                (_("Lead organisation(s)"), about["lead_organisations"] or not_given),
                (_("Service areas"), ", ".join(t.name for t in about["service_areas"])),
                (_("Who takes part"), ", ".join(t.name for t in about["co_producers"])),
                (_("When"), period(about)),
                (_("Costs and savings"), about["costs"] or not_given),
                (_("Obstacles and lessons"), about["lessons"] or not_given),
            ],
        ),
        (
            STEP_BY_SLUG["outcomes"],
            [
                *[
                    (
                        _("Outcome %(number)s") % {"number": i},
                        f"{o['statement']}{' (' + o['figure'] + ')' if o['figure'] else ''}",
                    )
                    for i, o in enumerate(document["outcomes"], 1)
                ],
                *[
                    (_("Source %(number)s") % {"number": i}, s["citation"])
                    for i, s in enumerate(document["sources"], 1)
                ],
            ],
        ),
        (
            STEP_BY_SLUG["contact"],
            [(_("Contact details"), _("Unchanged (kept private, so not shown here)"))]
            if not forms["contact"].changed_contact
            else [
                (_("Name"), contact["name"]),
                (_("Email"), contact["email"]),
                (_("Organisation"), contact["organisation"] or not_given),
                (_("Role"), contact["role"] or not_given),
            ],
        ),
    ]


def period(about):
    """When the service ran, in words of the current language."""
    start, end = about.get("start_year"), about.get("end_year")
    if start and about.get("ongoing"):
        return gettext("Since %(start)s, still running") % {"start": start}
    if start and end:
        return gettext("%(start)s to %(end)s") % {"start": start, "end": end}
    if start:
        return str(start)
    return gettext("Still running") if about.get("ongoing") else gettext("Not given")
