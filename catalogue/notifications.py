"""E-mail outside the request: every message is first a Notification row, written in the same
transaction as the change it reports, then sent after the commit.

With a mail server (settings.EMAIL_HOST) the sending happens in a background thread of the worker,
so no visitor or editor waits for it, with a short connection timeout (EMAIL_TIMEOUT). Without one
(development, tests) it is sent at once through the local backend. A message that cannot be sent
is tried again later, with growing pauses, by `manage.py send_queued_mail` (run every minute by
the scheduler: docs/deployment.md); after MAX_ATTEMPTS it is marked failed, and editors see it in
the admin. Claiming a message is one conditional UPDATE, so two senders never send the same one.
"""

import logging
import threading
import time
from datetime import timedelta

from django.conf import settings
from django.core.mail import get_connection, send_mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import OperationalError, close_old_connections, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from catalogue.models import Notification

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6  # about an hour of tries: 1, 2, 4, 8, 16 minutes apart
STALE = timedelta(minutes=10)
KEEP_SENT_DAYS = 90  # a message "being sent" this long ago was interrupted
LOCKED_TRIES = 5  # a background sender that finds the database locked waits 0.1, 0.2, 0.4... s
Status = Notification.Status
_sending = threading.Lock()  # one background sender at a time in a process


def queue(template, context, recipients, *, case=None, language=None):
    """Record an e-mail (the template's first line is its subject) to send after the commit,
    written in `language` (settings.LANGUAGE_CODE if not given): its text, dates and the links
    its template makes (a Welsh one's under /cy/), whatever the language of the request."""
    recipients = sorted(set(recipients))
    if not recipients:
        return None
    with translation.override(language or settings.LANGUAGE_CODE):
        text = render_to_string(template, {**context, "site_url": settings.SITE_URL})
    subject, _, body = text.strip().partition("\n")
    notification = Notification.objects.create(
        recipients=recipients, subject=subject.strip()[:300], body=body.strip() + "\n", case=case
    )
    transaction.on_commit(dispatch)
    return notification


def purge_sent(days=KEEP_SENT_DAYS):
    """Delete messages sent more than `days` ago (their bodies hold private tracking links);
    returns how many. Unsent and failed ones stay until someone looks at them."""
    cutoff = timezone.now() - timedelta(days=days)
    return Notification.objects.filter(status=Status.SENT, sent_at__lt=cutoff).delete()[0]


def dispatch():
    """Send what is due: in the background when a mail server is involved, else at once."""
    if settings.EMAIL_HOST:
        threading.Thread(target=_send_in_background, name="notifications", daemon=True).start()
    else:
        send_due()


def _send_in_background():
    """Send what is due, one sender at a time. A database that stays locked (SQLite, while another
    connection writes) is tried again a few times; after that the scheduler's run takes over."""
    with _sending:
        try:
            for attempt in range(LOCKED_TRIES):
                try:
                    send_due()
                    return
                except OperationalError as error:
                    if attempt == LOCKED_TRIES - 1:
                        logger.warning("Left queued mail to the scheduler: %s", error)
                        return
                    time.sleep(0.1 * 2**attempt)
        finally:
            close_old_connections()


def send_due(limit=100):
    """Send up to `limit` due messages, one by one; returns how many were sent."""
    now = timezone.now()
    due = Notification.objects.filter(
        Q(status=Status.QUEUED, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, next_attempt_at__lte=now - STALE)
    ).values_list("id", flat=True)[:limit]
    connection = get_connection(timeout=settings.EMAIL_TIMEOUT)
    return sum(_send_one(pk, connection) for pk in list(due))


def _send_one(pk, connection):
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(status=Status.QUEUED) | Q(status=Status.SENDING, next_attempt_at__lte=now - STALE), pk=pk
    ).update(status=Status.SENDING, next_attempt_at=now)
    if not claimed:
        return 0  # another sender has it
    notification = Notification.objects.get(pk=pk)
    notification.attempts += 1
    try:
        send_mail(
            notification.subject,
            notification.body,
            None,
            notification.recipients,
            connection=connection,
        )
    except Exception as error:  # any failure of the mail server: record it, try again later
        logger.warning("Could not send notification %s: %s", pk, error)
        notification.last_error = f"{type(error).__name__}: {error}"[:1000]
        if notification.attempts >= MAX_ATTEMPTS:
            notification.status = Status.FAILED
        else:
            notification.status = Status.QUEUED
            pause = timedelta(minutes=2 ** (notification.attempts - 1))
            notification.next_attempt_at = timezone.now() + pause
        notification.save(update_fields=["status", "attempts", "last_error", "next_attempt_at"])
        return 0
    notification.status, notification.sent_at = Status.SENT, timezone.now()
    notification.save(update_fields=["status", "attempts", "sent_at"])
    return 1


class NoMailServer(BaseEmailBackend):
    """Production without DJANGO_EMAIL_HOST: nothing is sent or logged; each message stays in the
    outbox, marked with this error, until a mail server is configured."""

    def send_messages(self, email_messages):
        raise ConnectionError("No mail server is configured (DJANGO_EMAIL_HOST).")
