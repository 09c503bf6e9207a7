"""The guided submission for council officers, their private tracking page, and problem reports.

The answers of each step are kept in the session as they were typed, so nothing
is lost on an error, a refused combination or the back button; the case is
saved only at the end, by `services.case_submit` (or `case_resubmit` when the
officer edits a case an editor sent back).
"""

import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import is_ratelimited

from catalogue import services
from catalogue import vocabulary as v
from catalogue.forms import (
    AboutForm,
    ContactForm,
    EvidenceForm,
    OutcomesAndSources,
    ParticipationForm,
    ProblemReportForm,
    WhoForm,
)
from catalogue.interchange import ImportFailed
from catalogue.models import Case, ModerationEvent

logger = logging.getLogger(__name__)
SESSION_KEY = "submission"
HONEYPOT = "website"


@dataclass(frozen=True)
class Step:
    slug: str
    form: type
    label: str


STEPS = [
    Step("who", WhoForm, "Who plans and who delivers"),
    Step("participation", ParticipationForm, "How citizens take part"),
    Step("evidence", EvidenceForm, "Evidence"),
    Step("about", AboutForm, "About the service"),
    Step("outcomes", OutcomesAndSources, "Outcomes and sources"),
    Step("contact", ContactForm, "Your contact details"),
]
STEP_BY_SLUG = {step.slug: step for step in STEPS}


class Draft:
    """The answers so far, kept in the session exactly as typed."""

    def __init__(self, session):
        self.session = session
        self.data = session.get(SESSION_KEY) or {
            "steps": {},
            "started": time.time(),
            "case_id": None,
        }

    def save(self):
        self.session[SESSION_KEY] = self.data
        self.session.modified = True

    def clear(self):
        self.session.pop(SESSION_KEY, None)

    @property
    def exists(self):
        return SESSION_KEY in self.session

    @property
    def case(self):
        """The case being edited after an editor asked for changes, or None for a new one."""
        case_id = self.data.get("case_id")
        return Case.objects.filter(pk=case_id).first() if case_id else None

    def answers(self, step):
        saved = self.data["steps"].get(step.slug)
        return MultiValueDict(saved) if saved is not None else None

    def store(self, step, post):
        self.data["steps"][step.slug] = {
            key: post.getlist(key) for key in post if key not in ("csrfmiddlewaretoken", HONEYPOT)
        }
        self.save()

    def form(self, step, data=None):
        return step.form(data if data is not None else self.answers(step))

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
    outcomes = list(case.outcomes.all())[:3]
    sources = list(case.sources.all())[:3]
    rows = {
        "outcomes-TOTAL_FORMS": ["3"],
        "outcomes-INITIAL_FORMS": ["0"],
        "sources-TOTAL_FORMS": ["3"],
        "sources-INITIAL_FORMS": ["0"],
    }
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
        "contact": {
            "name": [case.submitter_name],
            "email": [case.submitter_email],
            "organisation": [case.submitter_organisation],
            "role": [case.submitter_role],
        },
    }


def error_list(form):
    """(anchor, message) for every error of a form, a formset pair or a plain form, in page order."""
    if isinstance(form, OutcomesAndSources):
        return error_list(form.outcomes) + error_list(form.sources)
    if hasattr(form, "forms"):  # a formset
        items = [(f"{form.prefix}-error", e) for e in form.non_form_errors()]
        for row in form.forms:
            items += error_list(row)
        return items
    if not form.is_bound:
        return []
    items = [("main", e) for e in form.non_field_errors()]
    for field in form:
        anchor = f"{field.auto_id}_0" if field.use_fieldset else field.auto_id
        items += [(anchor, e) for e in field.errors]
    return items


def refuse(request, reason, status):
    """A polite refusal page: nothing was saved, and the answers are still in the session."""
    return render(request, "submit/refused.html", {"reason": reason}, status=status)


def too_many(request, group, rate):
    """Whether this address has sent more than `rate` of this kind of form (counts this one)."""
    return is_ratelimited(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def spam_refusal(request):
    """A refusal if the request trips a spam guard, else None."""
    if request.POST.get(HONEYPOT):
        return refuse(request, "The form contained something only automated programs fill in.", 400)
    return None


@never_cache
def submit_start(request):
    draft = Draft(request.session)
    resume = draft.first_incomplete() if draft.exists else None
    return render(
        request,
        "submit/start.html",
        {"draft": draft if draft.exists else None, "resume": resume, "steps": STEPS},
    )


@require_POST
def submit_restart(request):
    Draft(request.session).clear()
    return redirect("submit_step", step="who")


@never_cache
def submit_step(request, step):
    step = STEP_BY_SLUG.get(step)
    if step is None:
        raise Http404("No such step")
    draft = Draft(request.session)
    index = STEPS.index(step)
    if request.method == "POST":
        if refusal := spam_refusal(request):
            return refusal
        draft.store(step, request.POST)
        form = draft.form(step)
        if form.is_valid():
            if request.POST.get("return") == "check" or index == len(STEPS) - 1:
                return redirect("submit_check")
            return redirect("submit_step", step=STEPS[index + 1].slug)
    else:
        if not draft.exists:
            draft.save()
        form = draft.form(step)
    who = draft.form(STEPS[0])
    cell = (
        v.cell_for(*(who.cleaned_data[k] for k in ("planning", "delivery")))
        if who.is_bound and who.is_valid()
        else None
    )
    return render(
        request,
        "submit/step.html",
        {
            "step": step,
            "form": form,
            "number": index + 1,
            "total": len(STEPS),
            "previous": STEPS[index - 1] if index else None,
            "cell": cell if index > 0 else None,
            "returning": request.GET.get("return") == "check"
            or request.POST.get("return") == "check",
            "editing": draft.case,
            "error_list": error_list(form) if request.method == "POST" else [],
        },
    )


@never_cache
def submit_check(request):
    draft = Draft(request.session)
    forms = draft.forms()
    incomplete = draft.first_incomplete(forms)
    if incomplete:
        if draft.exists and draft.data["steps"]:
            messages.warning(request, "Some answers are missing. Please complete this page.")
        return redirect("submit_step", step=incomplete.slug)
    editing = draft.case
    if editing and editing.status != v.Status.CHANGES_REQUESTED:
        draft.clear()
        messages.error(request, "This case is no longer waiting for your changes.")
        return redirect("home")
    if request.method == "POST":
        if refusal := spam_refusal(request):
            return refusal
        if time.time() - draft.data.get("started", 0) < settings.SUBMISSION_MIN_SECONDS:
            return refuse(
                request,
                "The form was sent faster than a person could fill it in. Wait a few seconds "
                "and send it again: your answers are kept.",
                400,
            )
        if too_many(request, "submission", settings.SUBMISSION_RATE):
            return refuse(
                request,
                "Too many submissions have come from your network recently. Please try again in "
                "an hour: your answers are kept until then.",
                429,
            )
        document = document_from(forms)
        contact = services.Contact(**forms["contact"].cleaned_data)
        try:
            if editing:
                services.case_resubmit(case=editing, document=document)
                case, token = editing, draft.data.get("token")
            else:
                case, token = services.case_submit(document=document, contact=contact)
        except (ImportFailed, services.TransitionError) as error:
            messages.error(request, f"Your submission could not be saved: {error}")
            return redirect("submit_check")
        except DatabaseError:
            # Nothing was written (one transaction); the answers are still in the session.
            logger.exception("Submission failed in the database")
            messages.error(
                request,
                "Sorry, your submission could not be saved just now. Your answers are kept: "
                "please try sending them again in a few minutes.",
            )
            return redirect("submit_check")
        draft.clear()
        request.session["submitted"] = {
            "reference": case.reference,
            "token": token,
            "resubmitted": bool(editing),
        }
        return redirect("submit_done")
    document = document_from(forms)
    return render(
        request,
        "submit/check.html",
        {
            "forms": forms,
            "steps": STEPS,
            "document": document,
            "cell": v.cell_for(document["planning"], document["delivery"]),
            "level": forms["evidence"].proposed_level,
            "editing": editing,
            "summary": check_summary(forms, document),
        },
    )


def check_summary(forms, document):
    """The answers as (step, [(question, answer)]) for the check-your-answers page."""
    about = forms["about"].cleaned_data
    contact = forms["contact"].cleaned_data
    evidence = forms["evidence"]
    cell = v.cell_for(document["planning"], document["delivery"])
    return [
        (
            STEP_BY_SLUG["who"],
            [
                (v.Planning.QUESTION, v.PLAIN_ANSWERS["planning"][document["planning"]]),
                (v.Delivery.QUESTION, v.PLAIN_ANSWERS["delivery"][document["delivery"]]),
                ("Matrix cell", cell.name),
            ],
        ),
        (
            STEP_BY_SLUG["participation"],
            [
                ("Stages", "; ".join(str(v.Phase(p).label) for p in document["phases"])),
                (
                    "Activities",
                    "; ".join(str(v.Activity(a).label) for a in document["activities"])
                    or "None chosen",
                ),
                (
                    "Who benefits",
                    " and ".join(str(v.Benefit(b).label) for b in document["benefits"]),
                ),
            ],
        ),
        (
            STEP_BY_SLUG["evidence"],
            [
                (
                    "Proposed evidence level",
                    f"{evidence.proposed_level.value}: {evidence.proposed_level.label}",
                ),
                ("What it found", v.Direction(document["evidence"]["direction"]).label),
                ("How it was evaluated", v.EvaluationDesign(document["evidence"]["design"]).label),
                (
                    "Independent evaluation",
                    "Yes" if document["evidence"]["independent"] else "No, or not known",
                ),
                ("What the evidence shows", document["evidence"]["rationale"]),
            ],
        ),
        (
            STEP_BY_SLUG["about"],
            [
                ("Name", about["title"]),
                ("Summary", about["summary"]),
                ("Description", about["description"]),
                (
                    "Where",
                    ", ".join(
                        x
                        for x in (
                            about["locality"],
                            dict(AboutForm.base_fields["country"].choices)[about["country"]],
                        )
                        if x
                    ),
                ),
                ("Lead organisation(s)", about["lead_organisations"] or "Not given"),
                ("Service areas", ", ".join(t.name for t in about["service_areas"])),
                ("Who takes part", ", ".join(t.name for t in about["co_producers"])),
                ("When", period(about)),
                ("Costs and savings", about["costs"] or "Not given"),
                ("Obstacles and lessons", about["lessons"] or "Not given"),
            ],
        ),
        (
            STEP_BY_SLUG["outcomes"],
            [
                *[
                    (
                        f"Outcome {i}",
                        f"{o['statement']}{' (' + o['figure'] + ')' if o['figure'] else ''}",
                    )
                    for i, o in enumerate(document["outcomes"], 1)
                ],
                *[(f"Source {i}", s["citation"]) for i, s in enumerate(document["sources"], 1)],
            ],
        ),
        (
            STEP_BY_SLUG["contact"],
            [
                ("Name", contact["name"]),
                ("Email", contact["email"]),
                ("Organisation", contact["organisation"] or "Not given"),
                ("Role", contact["role"] or "Not given"),
            ],
        ),
    ]


def period(about):
    start, end = about.get("start_year"), about.get("end_year")
    if start and about.get("ongoing"):
        return f"Since {start}, still running"
    if start and end:
        return f"{start} to {end}"
    return str(start) if start else ("Still running" if about.get("ongoing") else "Not given")


@never_cache
def submit_done(request):
    submitted = request.session.get("submitted")
    if not submitted:
        return redirect("submit_start")
    tracking_url = (
        request.build_absolute_uri(reverse("track", args=[submitted["token"]]))
        if submitted.get("token")
        else None
    )
    return render(
        request, "submit/done.html", {"submitted": submitted, "tracking_url": tracking_url}
    )


SUBMITTER_VISIBLE = {
    ModerationEvent.Action.SUBMIT,
    ModerationEvent.Action.RESUBMIT,
    ModerationEvent.Action.PUBLISH,
    ModerationEvent.Action.REQUEST_CHANGES,
    ModerationEvent.Action.REJECT,
    ModerationEvent.Action.WITHDRAW,
}


@never_cache
def track(request, token):
    """The submitter's private page: status, editors' reasons, and a way to edit when asked."""
    case = services.case_for_token(token)
    if case is None:
        raise Http404("No submission has this tracking link")
    events = list(case.events.filter(action__in=SUBMITTER_VISIBLE).order_by("created_at", "id"))
    context = {
        "case": case,
        "events": events,
        "token": token,
        "status_description": v.Status(case.status).description,
    }
    response = render(request, "submit/track.html", context)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_POST
def track_edit(request, token):
    """Start editing a case an editor sent back: its content becomes the session's draft."""
    case = services.case_for_token(token)
    if case is None:
        raise Http404("No submission has this tracking link")
    if case.status != v.Status.CHANGES_REQUESTED:
        messages.error(request, "This submission is not waiting for changes.")
        return redirect("track", token=token)
    draft = Draft(request.session)
    draft.data = {
        "steps": answers_from_case(case),
        "started": time.time(),
        "case_id": case.pk,
        "token": token,
    }
    draft.save()
    return redirect("submit_check")


def report_problem(request, slug):
    """A reader reports a problem with a published case."""
    case = get_object_or_404(Case.objects.published(), slug=slug)
    form = ProblemReportForm(request.POST or None)
    if request.method == "POST":
        if refusal := spam_refusal(request):
            return refusal
        if too_many(request, "report", settings.REPORT_RATE):
            return refuse(
                request,
                "Too many reports have come from your network recently. Please try again later.",
                429,
            )
        if form.is_valid():
            services.report_create(case=case, **form.cleaned_data)
            messages.success(request, "Thank you. An editor will look at your report.")
            return redirect(case)
    return render(
        request,
        "catalogue/report_form.html",
        {"case": case, "form": form, "error_list": error_list(form)},
    )
