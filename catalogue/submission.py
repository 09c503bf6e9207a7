"""The guided submission for council officers, their private tracking page, and problem reports.

The answers of each step are kept in the session as they were typed, so nothing
is lost on an error, a refused combination or the back button; the case is
saved only at the end, by `services.case_submit` (or `case_resubmit` when the
officer edits a case an editor sent back).
"""

import json
import logging
import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_ratelimit.core import get_usage

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


def refuse(request, reason, status, *, wait=None):
    """A refusal page: nothing was sent, the answers are still in the session, and a button sends
    them again. `wait`: seconds until this network may send again (rate limit)."""
    return render(
        request, "submit/refused.html", {"reason": reason, "retry": retry(wait)}, status=status
    )


@dataclass(frozen=True)
class Retry:
    at: datetime  # local time, rounded up to the minute, so "after 14:05" is never too early
    minutes: int


def retry(wait):
    """When a refused form may be sent again, `wait` seconds from now; None without a wait."""
    if not wait:
        return None
    moment = datetime.fromtimestamp(time.time() + wait, tz=UTC)
    if moment.second or moment.microsecond:
        moment = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return Retry(timezone.localtime(moment), math.ceil(wait / 60))


def seconds_until_allowed(request, group, rate):
    """0 if this address may send another form of this kind now, else how many seconds until it
    may (the real end of django-ratelimit's current window). Only accepted forms count."""
    usage = get_usage(request, group=group, key="ip", rate=rate, method="POST")
    if usage is None or usage["count"] < usage["limit"]:
        return 0
    # A negative time left means the cache could not be read: ask for a few minutes.
    return usage["time_left"] if usage["time_left"] > 0 else 300


def count_accepted(request, group, rate):
    """Count one accepted form against this address's allowance."""
    get_usage(request, group=group, key="ip", rate=rate, method="POST", increment=True)


def spam_refusal(request):
    """A refusal if the request trips a spam guard, else None."""
    if request.POST.get(HONEYPOT):
        return refuse(
            request,
            "The form contained an answer in a field that only automated programs fill in.",
            400,
        )
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
    """Delete the saved answers: to start again, or (`leave`) to leave the submission."""
    Draft(request.session).clear()
    if request.POST.get("leave"):
        messages.success(request, "Your answers have been deleted from this device.")
        return redirect("home")
    return redirect("submit_step", step=STEPS[0].slug)


@never_cache
def submit_outside(request):
    """Why a service whose planning and delivery the catalogue refuses is outside it."""
    draft = Draft(request.session)
    cell = draft.refused_cell() if draft.exists else None
    return render(
        request,
        "submit/outside.html",
        {"cells": [cell] if cell else v.REFUSED_CELLS, "has_answers": draft.exists},
    )


def step_context(draft, step):
    """What every step and the check page show besides the form: the matrix cell of the first
    answers (or why they are refused), and during a resubmission the editor's request."""
    who = draft.form(STEPS[0])
    cell = (
        v.cell_for(*(who.cleaned_data[k] for k in ("planning", "delivery")))
        if who.is_bound and who.is_valid()
        else None
    )
    return {
        "cell": cell if step != STEPS[0] else None,
        "refused_cell": draft.refused_cell(),
        "editing": draft.case,
        "editor_reason": draft.editor_reason,
    }


def evidence_context(form):
    """The evidence step's proposed level, and every level's meaning for the live update."""
    levels = {
        level.value: {"name": f"{level.value}: {level.label}", "meaning": level.description}
        for level in v.EvidenceLevel
    }
    return {
        "level": form.proposed_level,
        "skipped": form.skipped_statements,
        "levels_json": json.dumps(levels, ensure_ascii=False),
    }


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
    return render(
        request,
        "submit/step.html",
        {
            "step": step,
            "form": form,
            "number": index + 1,
            "total": len(STEPS),
            "previous": STEPS[index - 1] if index else None,
            "returning": request.GET.get("return") == "check"
            or request.POST.get("return") == "check",
            "error_list": error_list(form) if request.method == "POST" else [],
            **step_context(draft, step),
            **(evidence_context(form) if step.slug == "evidence" else {}),
        },
    )


@never_cache
def submit_check(request):
    draft = Draft(request.session)
    forms = draft.forms()
    incomplete = draft.first_incomplete(forms)
    if incomplete:
        if cell := draft.refused_cell():
            messages.error(
                request,
                f"Your answers to the first two questions describe “{cell.name}”, which the "
                "catalogue does not include. Change them, or find out why the service is outside "
                "the catalogue.",
            )
        elif draft.exists and draft.data["steps"]:
            messages.warning(request, "Some answers are missing. Please complete this page.")
        return redirect("submit_step", step=incomplete.slug)
    editing = draft.case
    if editing and editing.status != v.Status.CHANGES_REQUESTED:
        draft.clear()
        messages.error(request, "This case is no longer waiting for your changes.")
        return redirect("home")
    if request.method == "POST":
        if refusal := spam_refusal(request) or (
            None if editing else new_submission_refusal(request, draft)
        ):
            return refusal
        document = document_from(forms)
        contact = services.Contact(**forms["contact"].cleaned_data)
        try:
            if editing:
                services.case_resubmit(case=editing, document=document, contact=contact)
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
        if not editing:
            count_accepted(request, "submission", settings.SUBMISSION_RATE)
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
            "level": forms["evidence"].proposed_level,
            "summary": check_summary(forms, document),
            "previous": STEPS[-1],
            "resembling": Case.objects.published()
            .exclude(pk=editing.pk if editing else None)
            .resembling(document["title"], document["locality"]),
            **step_context(draft, None),
        },
    )


def new_submission_refusal(request, draft):
    """A refusal if a new submission trips the fill-time guard or the network's hourly
    allowance, else None. Resubmissions and corrections never reach here."""
    if time.time() - draft.data.get("started", 0) < settings.SUBMISSION_MIN_SECONDS:
        return refuse(
            request,
            "The form was sent faster than a person could fill it in, so it has not been sent "
            "yet. Send it again now.",
            400,
        )
    if wait := seconds_until_allowed(request, "submission", settings.SUBMISSION_RATE):
        limit = settings.SUBMISSION_RATE.split("/")[0]
        return refuse(
            request,
            f"Your network has sent {limit} new examples this hour, the most the catalogue "
            "accepts from one network in an hour, so this one has not been sent yet.",
            429,
            wait=wait,
        )
    return None


def check_summary(forms, document):
    """The answers as (step, [(question, answer)]) for the check-your-answers page."""
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
                    plain("planning", document["planning"], v.Planning, "matrix row"),
                ),
                (
                    v.Delivery.QUESTION,
                    plain("delivery", document["delivery"], v.Delivery, "matrix column"),
                ),
                ("Matrix cell", cell.name),
            ],
        ),
        (
            STEP_BY_SLUG["participation"],
            [
                (
                    "At which stages citizens take part",
                    "\n".join(plain("phases", p, v.Phase) for p in document["phases"]),
                ),
                (
                    "Activities",
                    "\n".join(
                        plain("activities", a, v.Activity, f"part of {v.ACTIVITY_PHASE[a].label}")
                        for a in document["activities"]
                    )
                    or "None chosen",
                ),
                (
                    "Who benefits",
                    "\n".join(plain("benefits", b, v.Benefit) for b in document["benefits"]),
                ),
            ],
        ),
        (
            STEP_BY_SLUG["evidence"],
            [
                (
                    "What is true",
                    "\n".join(v.EVIDENCE_QUESTIONS[n - 1] for n in sorted(statements))
                    or "None of the statements: there is a description only so far",
                ),
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


def plain(key, slug, vocabulary, note=""):
    """An answer in the plain words the officer chose, with its classification beside it."""
    term = vocabulary(slug)
    return f"{v.PLAIN_ANSWERS[key][slug]} ({term.label}{', ' + note if note else ''})"


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
    """A reader reports a problem with a published case. A refused report is shown again with
    what was typed and why it was not sent."""
    case = get_object_or_404(Case.objects.published(), slug=slug)
    form = ProblemReportForm(request.POST or None)
    refusal, wait, status = "", 0, 200
    if request.method == "POST":
        if request.POST.get(HONEYPOT):
            refusal, status = (
                "The form contained an answer in a field that only automated programs fill in, "
                "so it has not been sent.",
                400,
            )
        elif wait := seconds_until_allowed(request, "report", settings.REPORT_RATE):
            refusal, status = (
                "Your network has sent the most reports the catalogue accepts in an hour, so "
                "this one has not been sent yet.",
                429,
            )
        elif form.is_valid():
            services.report_create(case=case, **form.cleaned_data)
            count_accepted(request, "report", settings.REPORT_RATE)
            messages.success(request, "Thank you. An editor will look at your report.")
            return redirect(case)
    return render(
        request,
        "catalogue/report_form.html",
        {
            "case": case,
            "form": form,
            "error_list": [] if refusal else error_list(form),
            "refusal": refusal,
            "retry": retry(wait),
        },
        status=status,
    )
