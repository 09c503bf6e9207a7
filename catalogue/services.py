"""Every write with side effects, each in one transaction: submissions and the moderation
workflow, imports, editors' saves in the admin, erasure, problem reports and search alerts.

Views, admin actions and commands call these functions; nothing else changes a case's status.
Each workflow step is recorded as a ModerationEvent (who, when, from, to, why), and its e-mails
are queued in the same transaction (catalogue/notifications.py sends them after the commit), so
a failing or slow mail server never loses, delays or rolls back a submission or a decision.
"""

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from catalogue import notifications
from catalogue import vocabulary as v
from catalogue.cache import bump_catalogue_version
from catalogue.interchange import (
    EVIDENCE_FIELDS,
    RELATIONS,
    SCALAR_FIELDS,
    ImportFailed,
    validate_documents,
)
from catalogue.languages import current_language
from catalogue.models import (
    Case,
    ModerationEvent,
    Outcome,
    ProblemReport,
    SearchAlert,
    SentAlertCase,
    Source,
)
from catalogue.search import refresh_words

logger = logging.getLogger(__name__)
Status = v.Status
Action = ModerationEvent.Action
REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: easy to read out


class TransitionError(Exception):
    """A workflow step that is not allowed from the case's current status, or lacks a reason."""


@dataclass(frozen=True)
class Transition:
    sources: tuple
    target: str
    reason_required: bool = False


TRANSITIONS = {
    Action.PUBLISH: Transition(
        (Status.SUBMITTED, Status.DRAFT, Status.WITHDRAWN), Status.PUBLISHED
    ),
    Action.REQUEST_CHANGES: Transition((Status.SUBMITTED,), Status.CHANGES_REQUESTED, True),
    Action.REJECT: Transition((Status.SUBMITTED, Status.CHANGES_REQUESTED), Status.REJECTED, True),
    Action.WITHDRAW: Transition((Status.PUBLISHED,), Status.WITHDRAWN, True),
}


@dataclass(frozen=True)
class Contact:
    name: str
    email: str
    organisation: str = ""
    role: str = ""


def token_hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _derive_token(nonce, secret):
    return salted_hmac("catalogue.tracking", nonce, secret=secret, algorithm="sha256").hexdigest()


def tracking_token(case):
    """The case's private tracking token, made again from its nonce; "" if it has none (erased,
    or made under a secret key that is no longer in SECRET_KEY_FALLBACKS)."""
    if not (case.tracking_nonce and case.tracking_token_hash):
        return ""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        token = _derive_token(case.tracking_nonce, secret)
        if constant_time_compare(token_hash(token), case.tracking_token_hash):
            return token
    return ""


def tracking_url(case):
    """The tracking link at the site's public address (for emails), or ""."""
    token = tracking_token(case)
    return f"{settings.SITE_URL}{reverse('track', args=[token])}" if token else ""


def case_for_token(token):
    """The case a private tracking link points to, or None."""
    if not token or len(token) > 100:
        return None
    return Case.objects.filter(tracking_token_hash=token_hash(token)).first()


def _new_reference():
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
        reference = f"CP-{code[:4]}-{code[4:]}"
        if not Case.objects.filter(reference=reference).exists():
            return reference


def _unique_slug(title):
    base = slugify(title)[:100] or "case"
    slug, n = base, 2
    while Case.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


def _record(case, action, *, actor, from_status, reason=""):
    return ModerationEvent.objects.create(
        case=case,
        action=action,
        actor=actor,
        from_status=from_status,
        to_status=case.status,
        reason=reason,
    )


def _parse(document):
    parsed, errors = validate_documents([document])
    if errors:
        raise ImportFailed(errors)
    return parsed[0]


def case_submit(
    *, document: dict, contact: Contact, nonce: str = "", language: str | None = None
) -> tuple[Case, str]:
    """Save a new submission; returns the case and its private tracking token. `language` (the
    current one if not given) is the one it was written in: its e-mails are in it.

    `nonce` (the draft's) makes it idempotent: the same draft sent twice, as by a double click,
    gives the same token, whose hash is unique, so the second sending returns the first case."""
    nonce = nonce or secrets.token_urlsafe(24)
    token = _derive_token(nonce, settings.SECRET_KEY)
    if sent := Case.objects.filter(tracking_token_hash=token_hash(token)).first():
        return sent, token
    for attempt in range(SUBMIT_ATTEMPTS):
        try:
            return _submit(document, contact, nonce, token, language or current_language()), token
        except IntegrityError:
            # Sent at the same moment by another request of the same draft: that is the case.
            if sent := Case.objects.filter(tracking_token_hash=token_hash(token)).first():
                return sent, token
            # Or another submission took the same address (two examples of the same title at
            # once) or reference in the meantime: both are chosen afresh on the next attempt.
            if attempt == SUBMIT_ATTEMPTS - 1:
                raise


SUBMIT_ATTEMPTS = 3


def _submit(document, contact, nonce, token, language):
    with transaction.atomic():
        document = {
            **document,
            "slug": _unique_slug(document.get("title", "")),
            "status": Status.SUBMITTED,
        }
        document["evidence"] = {**document.get("evidence", {}), "confirmed": False}
        document["reviewed_at"] = None
        item = _parse(document)
        case = item.case
        if case.pk is not None:
            # Another submission took the address after it was chosen: never write over it.
            raise IntegrityError(f"the address {document['slug']} was taken meanwhile")
        case.reference = _new_reference()
        case.tracking_token_hash = token_hash(token)
        case.tracking_nonce = nonce
        case.proposal = document
        case.language = language
        _set_contact(case, contact)
        case.submitted_at = timezone.now()
        _write_case(item, now=case.submitted_at)
        _record(case, Action.SUBMIT, actor=None, from_status=Status.DRAFT)
        _notify(case, "submitted")
    return case


def _set_contact(case, contact):
    case.submitter_name = contact.name
    case.submitter_email = contact.email
    case.submitter_organisation = contact.organisation
    case.submitter_role = contact.role


def case_resubmit(
    *, case: Case, document: dict, contact: Contact | None = None, language: str | None = None
) -> Case:
    """Replace a case's content (and the submitter's contact details, if given) with the
    submitter's edited version and send it back for review. The case's language becomes the one
    the submitter edited it in (`language`, or the current one)."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status != Status.CHANGES_REQUESTED:
            raise TransitionError("Only a case with changes requested can be resubmitted.")
        document = {**document, "slug": case.slug, "status": Status.SUBMITTED}
        document["evidence"] = {**document.get("evidence", {}), "confirmed": False}
        document["reviewed_at"] = None  # the submitter's new version has not been reviewed
        item = _parse(document)
        item.case.reviewed_by = None
        item.case.proposal = document
        item.case.language = language or current_language()
        if contact:
            _set_contact(item.case, contact)
        item.case.submitted_at = timezone.now()
        item.case.version += 1
        _write_case(item, now=item.case.submitted_at)
        _record(item.case, Action.RESUBMIT, actor=None, from_status=Status.CHANGES_REQUESTED)
        _notify(item.case, "resubmitted")
    return item.case


def _transition(case, action, *, actor, reason=""):
    rule = TRANSITIONS[action]
    reason = (reason or "").strip()
    if rule.reason_required and not reason:
        raise TransitionError(f"Give a reason: the submitter is told why ({action.label.lower()}).")
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        if case.status not in rule.sources:
            raise TransitionError(
                f"“{case.title}” is {case.get_status_display().lower()}: "
                f"it cannot be {action.label.lower()} from there."
            )
        fields = ["status", "published_at", "version", "updated_at"]
        if rule.target == Status.PUBLISHED:
            _check_publishable(case)
            case.published_at = case.published_at or timezone.now()
            if case.evidence_confirmed:
                fields += _reviewed(case, actor)
        from_status = case.status
        case.status = rule.target
        case.version += 1
        case.save(update_fields=fields)
        _record(case, action, actor=actor, from_status=from_status, reason=reason)
        _notify(case, action.value, reason=reason)
    return case


def _check_publishable(case):
    if not case.sources.exists():
        raise TransitionError(f"“{case.title}” names no source: add one before publishing.")
    if not case.phases.exists():
        raise TransitionError(f"“{case.title}” has no phase: choose one before publishing.")


def case_publish(*, case: Case, actor) -> Case:
    """Make a case public."""
    return _transition(case, Action.PUBLISH, actor=actor)


def case_request_changes(*, case: Case, actor, reason: str) -> Case:
    """Ask the submitter to change their submission; they see the reason on their tracking page."""
    return _transition(case, Action.REQUEST_CHANGES, actor=actor, reason=reason)


def case_reject(*, case: Case, actor, reason: str) -> Case:
    """Refuse a submission, with the reason the submitter will see."""
    return _transition(case, Action.REJECT, actor=actor, reason=reason)


def case_withdraw(*, case: Case, actor, reason: str) -> Case:
    """Take a published case down."""
    return _transition(case, Action.WITHDRAW, actor=actor, reason=reason)


def case_confirm_evidence(*, case: Case, actor, level: int | None = None) -> Case:
    """Confirm (and optionally change) the evidence level after checking the sources."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        note = ""
        if level is not None and level != case.evidence_level:
            note = f"Level changed from {case.evidence_level} to {level}."
            case.evidence_level = v.EvidenceLevel(level)
        case.evidence_confirmed = True
        case.version += 1
        fields = ["evidence_level", "evidence_confirmed", "version", "updated_at"]
        case.save(update_fields=fields + _reviewed(case, actor))
        _record(case, Action.CONFIRM_EVIDENCE, actor=actor, from_status=case.status, reason=note)
    return case


def case_mark_reviewed(*, case: Case, actor) -> Case:
    """An editor has checked the case's classification and evidence rating against its sources
    and found them right: the review date is now, and the rating is confirmed."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        note = "" if case.evidence_confirmed else "Evidence rating confirmed."
        case.evidence_confirmed = True
        case.version += 1
        fields = ["evidence_confirmed", "version", "updated_at"]
        case.save(update_fields=fields + _reviewed(case, actor))
        _record(case, Action.REVIEW, actor=actor, from_status=case.status, reason=note)
    return case


def _reviewed(case, actor):
    """Stamp the case as reviewed by `actor` now; returns the fields this changed.

    A review is an editor vouching for the classification and the evidence rating together:
    confirming the rating (the action, or a save that confirms it or changes a confirmed
    rating), publishing a case whose rating is confirmed, or "Mark as reviewed". Other edits
    are not reviews; an import keeps the date its documents give (`_prepare`)."""
    case.reviewed_at = timezone.now().replace(microsecond=0)  # as the case document gives it
    case.reviewed_by = actor if getattr(actor, "pk", None) else None
    return ["reviewed_at", "reviewed_by"]


def case_erase_submitter(*, case: Case, actor) -> Case:
    """Erase the submitter's personal data; the tracking link stops working."""
    with transaction.atomic():
        case = Case.objects.select_for_update().get(pk=case.pk)
        case.submitter_name = case.submitter_email = ""
        case.submitter_organisation = case.submitter_role = ""
        case.tracking_token_hash, case.tracking_nonce = None, ""
        case.submitter_erased_at = timezone.now()
        case.save()
        _record(case, Action.ERASE_SUBMITTER, actor=actor, from_status=case.status)
    return case


def report_create(*, case: Case, reason: str, details: str, email: str = "") -> ProblemReport:
    """Record a reader's problem report and tell the editors after it is saved."""
    with transaction.atomic():
        report = ProblemReport.objects.create(
            case=case, reason=reason, details=details, email=email
        )
        notifications.queue("email/report.txt", {"report": report}, editor_emails())
    return report


def case_save(*, case: Case, created: bool, actor=None) -> Case:
    """An editor's save in the admin: a new version, so a concurrent save of the old one fails.
    A change to the evidence rating (its level or whether it is confirmed) is a moderation step,
    recorded in the moderation log: who, when, the status, and what changed."""
    with transaction.atomic():
        before = None
        if not created:
            before = (
                Case.objects.select_for_update()
                .filter(pk=case.pk)
                .values("evidence_level", "evidence_confirmed")
                .first()
            )
        case.version = 1 if created else (case.version or 0) + 1
        note = _evidence_change(before, case)
        if note and case.evidence_confirmed:
            _reviewed(case, actor)
        case.save()
        if note:
            _record(case, Action.CHANGE_EVIDENCE, actor=actor, from_status=case.status, reason=note)
    return case


def _evidence_change(before, case):
    """What a save changed in the evidence rating, in words; "" if nothing."""
    if not before:
        return ""
    changes = []
    if before["evidence_level"] != case.evidence_level:
        changes.append(f"Level changed from {before['evidence_level']} to {case.evidence_level}.")
    if before["evidence_confirmed"] != case.evidence_confirmed:
        changes.append(
            "Confirmed." if case.evidence_confirmed else "No longer confirmed: a proposal again."
        )
    return " ".join(changes)


def case_refresh_search_text(*, case: Case) -> None:
    """Copy the outcomes, terms and sources into the case's searchable text after they were
    edited."""
    Case.objects.filter(pk=case.pk).update(
        outcome_text=outcome_text(case.outcomes.all()),
        related_text=related_text(
            case.service_areas.all(), case.co_producers.all(), case.sources.all()
        ),
    )


def term_renamed(*, term) -> int:
    """A service area or co-producer saved: the searchable text of its cases follows its name.
    Returns how many cases were brought up to date."""
    cases = list(term.cases.prefetch_related("service_areas", "co_producers", "sources"))
    for case in cases:
        case.related_text = related_text(
            case.service_areas.all(), case.co_producers.all(), case.sources.all()
        )
    Case.objects.bulk_update(cases, ["related_text"], batch_size=IMPORT_BATCH)
    return len(cases)


def related_text(areas, producers, sources):
    """The names of the service areas and co-producers (in English and in Welsh), and the
    sources' citations (their authors and titles), as one searchable text."""
    names = [f"{term.name} {term.name_cy}".strip() for term in (*areas, *producers)]
    return "\n".join([*names, *(source.citation for source in sources)])


def outcome_text(outcomes):
    """The outcome statements, in English and in Welsh, and figures as one searchable text."""
    return "\n".join(
        " ".join(part for part in (o.statement, o.statement_cy, o.figure) if part) for o in outcomes
    )


IMPORT_BATCH = 500
IMPORTED_FIELDS = [
    *SCALAR_FIELDS,
    *EVIDENCE_FIELDS.values(),
    "individual",
    "collective",
    "outcome_text",
    "related_text",
    "published_at",
    "updated_at",
    "reviewed_by",
]


def cases_import(*, documents: list, places=None, progress=None, warn=None) -> int:
    """Create or update cases from documents, by slug: all of them, or none if any is invalid
    (ImportFailed lists every problem by file, row and field). `places` names each document's
    (file, row); `warn` is told what was changed in a text. Returns how many were written."""
    parsed, errors = validate_documents(documents, places)
    if warn:
        for item in filter(None, parsed):
            for warning in item.warnings:
                warn(warning)
    if errors:
        raise ImportFailed(errors)
    now = timezone.now()
    with transaction.atomic():
        for start in range(0, len(parsed), IMPORT_BATCH):
            _write_cases(parsed[start : start + IMPORT_BATCH], now=now)
            if progress:
                progress(min(start + IMPORT_BATCH, len(parsed)), len(parsed))
    bump_catalogue_version()
    refresh_words()  # new words in the imported texts: typo correction knows them at once
    return len(parsed)


def _prepare(item, *, now):
    case = item.case
    if case.status == Status.PUBLISHED and not case.published_at:
        case.published_at = now
    if item.review_undated and case.status == Status.PUBLISHED and case.evidence_confirmed:
        # A document prepared by editors, published with its rating confirmed and no date of
        # review, counts as reviewed when it is published here (migration 0016 does the same
        # for cases published before review dates were kept).
        case.reviewed_at = case.reviewed_at or case.published_at.replace(microsecond=0)
    case.outcome_text = outcome_text(item.outcomes)
    case.related_text = related_text(
        item.relations.get("service_areas", []),
        item.relations.get("co_producers", []),
        item.sources,
    )


def _write_case(item, *, now):
    """Save a validated document's case, its relations, outcomes and sources."""
    case = item.case
    _prepare(item, now=now)
    existed = case.pk is not None
    case.save()
    for key, terms in item.relations.items():
        getattr(case, key).set(terms)
    if existed:
        case.outcomes.all().delete()
        case.sources.all().delete()
    for child in item.outcomes + item.sources:
        child.case = case
    Outcome.objects.bulk_create(item.outcomes)
    Source.objects.bulk_create(item.sources)
    return case


def _write_cases(items, *, now):
    """Save validated documents' cases, relations, outcomes and sources in a few queries each,
    with one history record per case. The outcomes and sources of an updated case are replaced
    without history records of their own: the case's record stands for the import."""
    for item in items:
        _prepare(item, now=now)
        item.case.updated_at = now
    created = [item.case for item in items if item.case.pk is None]
    updated = [item.case for item in items if item.case.pk is not None]
    created_at = {case.pk: case.created_at for case in updated}
    # Existing slugs are updated by the same statement that inserts the new ones.
    Case.objects.bulk_create(
        created + updated,
        update_conflicts=True,
        unique_fields=["slug"],
        update_fields=IMPORTED_FIELDS,
    )
    for case in updated:
        case.created_at = created_at[case.pk]  # stamped by the insert half, not stored
    updated_ids = [case.pk for case in updated]
    for key in RELATIONS:
        relation = getattr(Case, key)
        through, target = relation.through, relation.field.m2m_reverse_field_name()
        through.objects.filter(case_id__in=updated_ids).delete()
        through.objects.bulk_create(
            through(case=item.case, **{target: term})
            for item in items
            for term in item.relations[key]
        )
    for model in (Outcome, Source):
        model.objects.filter(case_id__in=updated_ids)._raw_delete(model.objects.db)
    for item in items:
        for child in item.outcomes + item.sources:
            child.case = item.case
    Outcome.objects.bulk_create(child for item in items for child in item.outcomes)
    Source.objects.bulk_create(child for item in items for child in item.sources)
    _record_history_in_bulk(created, update=False)
    _record_history_in_bulk(updated, update=True)


def _record_history_in_bulk(cases, *, update):
    """One historical record per case, with its relations, as the admin's History shows them."""
    if not cases:
        return
    records = Case.history.bulk_history_create(
        cases, update=update, default_change_reason="Imported"
    )
    by_case = {record.id: record for record in records}
    history = Case.history.model
    for relation in history._history_m2m_fields:
        through = relation.remote_field.through
        m2m_history = HistoricalRecords.m2m_models[relation]
        rows = through.objects.filter(case_id__in=by_case)
        m2m_history.objects.bulk_create(
            m2m_history(
                history=by_case[row.case_id],
                **{f.attname: getattr(row, f.attname) for f in through._meta.fields},
            )
            for row in rows
        )


def _notify(case, event, *, reason=""):
    """Queue the submitter's and (for a submission) the editors' e-mails in the current
    transaction; catalogue/notifications.py sends them after the commit. The submitter's is in
    the language of the submission, whoever acts; the editors' is in English."""
    with translation.override(case.language):
        context = {
            "case": case,
            "event": event,
            "reason": reason,
            "tracking_url": tracking_url(case),
        }
        if case.submitter_email:
            notifications.queue(
                "email/submitter.txt",
                context,
                [case.submitter_email],
                case=case,
                language=case.language,
            )
    if event in ("submitted", "resubmitted"):
        context["resembling"] = Case.objects.duplicates_of(case)
        notifications.queue("email/editors.txt", context, editor_emails(), case=case)


def editor_emails():
    """Where news of submissions goes: the Editors group, plus DJANGO_EDITOR_EMAILS."""
    users = (
        get_user_model().objects.filter(groups__name="Editors", is_active=True).exclude(email="")
    )
    return sorted(set(settings.EDITOR_EMAILS) | set(users.values_list("email", flat=True)))


# Search alerts (catalogue/alerts.py): "Email me new cases like these".

ALERT_PERIODS = {
    SearchAlert.Frequency.DAILY: timedelta(days=1),
    SearchAlert.Frequency.WEEKLY: timedelta(days=7),
}
# A scheduler's daily run starts a little earlier or later each day: an alert is due this much
# before its full period has passed, so a daily digest never skips a day.
ALERT_SLACK = timedelta(hours=2)
PENDING_ALERTS_PER_ADDRESS = 5  # unconfirmed alerts an address may have: no flood of confirmations
UNCONFIRMED_KEPT = timedelta(days=7)  # an alert not confirmed in a week is deleted, its address too


def _alert_token(nonce, secret):
    return salted_hmac("catalogue.alert", nonce, secret=secret, algorithm="sha256").hexdigest()


def alert_token(alert):
    """The alert's private link token, made again from its nonce; "" if made under a secret key
    that is no longer in SECRET_KEY_FALLBACKS."""
    for secret in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        token = _alert_token(alert.nonce, secret)
        if constant_time_compare(token_hash(token), alert.token_hash):
            return token
    return ""


def alert_url(alert, name):
    """The alert's confirm or unsubscribe link at the site's public address."""
    return f"{settings.SITE_URL}{reverse(name, args=[alert_token(alert)])}"


def alert_for_token(token):
    """The alert a private link points to, or None."""
    if not token or len(token) > 100:
        return None
    return SearchAlert.objects.filter(token_hash=token_hash(token)).first()


def alert_subscribe(
    *, email: str, query: str, frequency: str, language: str | None = None
) -> SearchAlert | None:
    """Record an unconfirmed alert and e-mail its confirmation link. An address that already has
    this search unconfirmed is sent its link again; one with too many unconfirmed alerts is sent
    nothing (None), so nobody can flood an inbox that is not theirs. The alert's e-mails are in
    `language` (the current one if not given)."""
    from catalogue.alerts import Search

    language = language or current_language()
    with transaction.atomic():
        pending = SearchAlert.objects.filter(email=email, confirmed_at__isnull=True)
        alert = pending.filter(query=query).first()
        if alert is None:
            if pending.count() >= PENDING_ALERTS_PER_ADDRESS:
                return None
            nonce = secrets.token_urlsafe(32)
            alert = SearchAlert.objects.create(
                email=email,
                query=query,
                frequency=frequency,
                nonce=nonce,
                token_hash=token_hash(_alert_token(nonce, settings.SECRET_KEY)),
                language=language,
            )
        elif (alert.frequency, alert.language) != (frequency, language):
            alert.frequency, alert.language = frequency, language
            alert.save(update_fields=["frequency", "language"])
        with translation.override(alert.language):
            search = Search.of_alert(alert)
            context = {
                "alert": alert,
                "described": search.in_words(),
                "confirm_url": alert_url(alert, "alert_confirm"),
            }
            notifications.queue(
                "email/alert_confirm.txt", context, [email], language=alert.language
            )
    return alert


def alert_confirm(*, alert: SearchAlert, now=None) -> SearchAlert:
    """Start the alert: new cases are counted from now. Confirming twice changes nothing."""
    with transaction.atomic():
        alert = SearchAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.confirmed_at is None:
            alert.confirmed_at = now or timezone.now()
            alert.save(update_fields=["confirmed_at"])
    return alert


def alert_unsubscribe(*, alert: SearchAlert) -> None:
    """Delete the alert, its address and the record of what it was sent."""
    with transaction.atomic():
        SearchAlert.objects.filter(pk=alert.pk).delete()


def alerts_send_due(*, now=None) -> int:
    """Queue the digest of every confirmed alert that is due and has new matching cases, each in
    its own transaction with the record of what it lists, so a case is never sent twice to one
    alert, however often this runs. Unconfirmed alerts older than UNCONFIRMED_KEPT are deleted.
    Returns how many digests were queued. `now` is the clock (tests and `send_alerts --now`)."""
    now = now or timezone.now()
    SearchAlert.objects.filter(
        confirmed_at__isnull=True, created_at__lt=now - UNCONFIRMED_KEPT
    ).delete()
    sent = 0
    for pk in SearchAlert.objects.filter(confirmed_at__isnull=False).values_list("pk", flat=True):
        sent += _send_digest(pk, now)
    return sent


def _send_digest(pk, now):
    from catalogue.alerts import Search

    with transaction.atomic():
        alert = SearchAlert.objects.select_for_update().filter(pk=pk).first()
        if alert is None:  # unsubscribed meanwhile
            return 0
        since = alert.last_sent_at or alert.confirmed_at
        if now - since < ALERT_PERIODS[alert.frequency] - ALERT_SLACK:
            return 0
        with translation.override(alert.language):
            queued = _queue_digest(alert, Search.of_alert(alert), since, now)
        if not queued:
            return 0
        alert.last_sent_at = now
        alert.save(update_fields=["last_sent_at"])
    return 1


def _queue_digest(alert, search, since, now):
    """Queue the alert's digest of the cases published since `since`, in the current language
    (the alert's), and record what it lists; False if there is nothing new."""
    from catalogue.alerts import DIGEST_SIZE

    cases = search.published_since(since).filter(published_at__lte=now)
    cases = cases.exclude(pk__in=alert.sent.values("case_id"))
    listed = list(cases[: DIGEST_SIZE + 1])
    if not listed:
        return False
    more = cases.count() - DIGEST_SIZE if len(listed) > DIGEST_SIZE else 0
    listed = listed[:DIGEST_SIZE]
    context = {
        "alert": alert,
        "cases": listed,
        "more": more,
        "described": search.in_words(),
        "list_url": search.list_url(),
        "unsubscribe_url": alert_url(alert, "alert_unsubscribe"),
    }
    notifications.queue("email/alert_digest.txt", context, [alert.email], language=alert.language)
    SentAlertCase.objects.bulk_create(
        [SentAlertCase(alert=alert, case=case, sent_at=now) for case in listed],
        ignore_conflicts=True,
    )
    return True
