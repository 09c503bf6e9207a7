"""The views of the guided submission for council officers, their private tracking page, and
problem reports.

The answers live in the session (catalogue/drafts.py) until the officer sends them from the check
page; the case is saved only then, by `services.case_submit` (or `case_resubmit` when the officer
edits a case an editor sent back). Spam guards: catalogue/guards.py.
"""

import json
import logging

from django.conf import settings
from django.contrib import messages
from django.db import DatabaseError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext, ngettext, pgettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from catalogue import guards, services
from catalogue import vocabulary as v
from catalogue.drafts import (
    ROW_SETS,
    STEP_BY_SLUG,
    STEPS,
    Draft,
    answers_from_case,
    check_summary,
    document_from,
)
from catalogue.forms import OutcomesAndSources, ProblemReportForm
from catalogue.interchange import ImportFailed
from catalogue.models import Case, ModerationEvent

logger = logging.getLogger(__name__)


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
        request,
        "submit/refused.html",
        {"reason": reason, "retry": guards.retry(wait)},
        status=status,
    )


DRAFT_DAYS = settings.SESSION_COOKIE_AGE // 86400


def session_expired(request):
    """The browser sent a session that is no longer kept (expired, or cleared by clearsessions)."""
    return (
        bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME)) and not request.session.session_key
    )


def spam_refusal(request):
    """A refusal if the request trips a spam guard, else None."""
    if guards.tripped_honeypot(request):
        return refuse(
            request,
            gettext(
                "The form contained an answer in a field that only automated programs fill in."
            ),
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
        messages.success(request, gettext("Your answers have been deleted from this device."))
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
        level.value: {"name": f"{level.value}: {level.label}", "meaning": str(level.description)}
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
        if not draft.exists and session_expired(request):
            messages.warning(
                request,
                ngettext(
                    "Your earlier answers were deleted from this device %(days)d day after your "
                    "last change. The answers on this page are kept; please answer the others "
                    "again.",
                    "Your earlier answers were deleted from this device %(days)d days after your "
                    "last change. The answers on this page are kept; please answer the others "
                    "again.",
                    DRAFT_DAYS,
                )
                % {"days": DRAFT_DAYS},
            )
        draft.store(step, request.POST)
        form = draft.form(step)
        if (added := request.POST.get("add")) in ROW_SETS:  # "Add another": one row more
            query = "?return=check" if request.POST.get("return") == "check" else ""
            return redirect(reverse("submit_step", args=[step.slug]) + f"{query}#{added}")
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
    if request.method == "POST" and not draft.exists and request.session.get("submitted"):
        return redirect("submit_done")  # sent already: a second click of Send
    forms = draft.forms()
    incomplete = draft.first_incomplete(forms)
    if incomplete:
        if cell := draft.refused_cell():
            messages.error(
                request,
                gettext(
                    "Your answers to the first two questions describe “%(cell)s”, which the "
                    "catalogue does not include. Change them, or find out why the service is "
                    "outside the catalogue."
                )
                % {"cell": cell.name},
            )
        elif draft.exists and draft.data["steps"]:
            messages.warning(
                request, gettext("Some answers are missing. Please complete this page.")
            )
        return redirect("submit_step", step=incomplete.slug)
    editing = draft.case
    if editing and editing.status != v.Status.CHANGES_REQUESTED:
        draft.clear()
        messages.error(request, gettext("This case is no longer waiting for your changes."))
        return redirect("home")
    if request.method == "POST":
        if refusal := spam_refusal(request) or (
            None if editing else new_submission_refusal(request, draft)
        ):
            return refusal
        document = document_from(forms)
        contact = forms["contact"]
        contact = services.Contact(**contact.cleaned_data) if contact.changed_contact else None
        try:
            if editing:
                services.case_resubmit(case=editing, document=document, contact=contact)
                case, token = editing, draft.data.get("token")
            else:
                case, token = services.case_submit(
                    document=document, contact=contact, nonce=draft.nonce
                )
        except (ImportFailed, services.TransitionError) as error:
            messages.error(
                request,
                gettext("Your submission could not be saved: %(error)s") % {"error": error},
            )
            return redirect("submit_check")
        except DatabaseError:
            # Nothing was written (one transaction); the answers are still in the session.
            logger.exception("Submission failed in the database")
            messages.error(
                request,
                gettext(
                    "Sorry, your submission could not be saved just now. Your answers are kept: "
                    "please try sending them again in a few minutes."
                ),
            )
            return redirect("submit_check")
        if not editing:
            guards.count_accepted(request, "submission", settings.SUBMISSION_RATE)
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
    if guards.filled_too_fast(draft.data.get("started", 0)):
        return refuse(
            request,
            gettext(
                "The form was sent faster than a person could fill it in, so it has not been "
                "sent yet. Send it again now."
            ),
            400,
        )
    if wait := guards.seconds_until_allowed(request, "submission", settings.SUBMISSION_RATE):
        limit = int(settings.SUBMISSION_RATE.split("/")[0])
        return refuse(
            request,
            ngettext(
                "Your network has sent %(limit)d new example this hour, the most the catalogue "
                "accepts from one network in an hour, so this one has not been sent yet.",
                "Your network has sent %(limit)d new examples this hour, the most the catalogue "
                "accepts from one network in an hour, so this one has not been sent yet.",
                limit,
            )
            % {"limit": limit},
            429,
            wait=wait,
        )
    return None


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


# The steps of its moderation a submitter sees on the tracking page, in their words.
SUBMITTER_VISIBLE = {
    ModerationEvent.Action.SUBMIT: pgettext_lazy("moderation step", "Submitted"),
    ModerationEvent.Action.RESUBMIT: pgettext_lazy("moderation step", "Resubmitted"),
    ModerationEvent.Action.PUBLISH: pgettext_lazy("moderation step", "Published"),
    ModerationEvent.Action.REQUEST_CHANGES: pgettext_lazy("moderation step", "Changes requested"),
    ModerationEvent.Action.REJECT: pgettext_lazy("moderation step", "Rejected"),
    ModerationEvent.Action.WITHDRAW: pgettext_lazy("moderation step", "Withdrawn"),
}


@never_cache
def track(request, token):
    """The submitter's private page: status, editors' reasons, and a way to edit when asked."""
    case = services.case_for_token(token)
    if case is None:
        raise Http404("No submission has this tracking link")
    events = list(case.events.filter(action__in=SUBMITTER_VISIBLE).order_by("created_at", "id"))
    for event in events:
        event.label = SUBMITTER_VISIBLE[event.action]
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
        messages.error(request, gettext("This submission is not waiting for changes."))
        return redirect("track", token=token)
    draft = Draft(request.session)
    draft.data = {
        "steps": answers_from_case(case),
        "started": 0,  # an edit is not a first fill: the fill-time guard does not apply
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
        refusal, wait, status = guards.refusal(request, "report", settings.REPORT_RATE, "reports")
        if not refusal and form.is_valid():
            services.report_create(case=case, **form.cleaned_data)
            guards.count_accepted(request, "report", settings.REPORT_RATE)
            messages.success(request, gettext("Thank you. An editor will look at your report."))
            return redirect(case)
    return render(
        request,
        "catalogue/report_form.html",
        {
            "case": case,
            "form": form,
            "error_list": [] if refusal else error_list(form),
            "refusal": refusal,
            "retry": guards.retry(wait),
        },
        status=status,
    )
