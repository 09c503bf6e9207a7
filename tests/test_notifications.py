"""E-mail outside the request: every message is recorded, sent after the commit (in the
background when a mail server is involved), retried, and never lost silently."""

import socket
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import OperationalError
from django.urls import reverse
from django.utils import timezone

from catalogue import notifications
from catalogue.models import Case, Notification
from tests.test_submission import ANSWERS, fill_in, send

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_wait(settings):
    settings.SUBMISSION_MIN_SECONDS = 0


def test_a_failing_mail_server_loses_nothing(
    client, vocabularies, monkeypatch, django_capture_on_commit_callbacks
):
    def broken(*args, **kwargs):
        raise ConnectionRefusedError("mail server down")

    monkeypatch.setattr("catalogue.notifications.send_mail", broken)
    fill_in(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client)
    assert response.status_code == 302
    assert Case.objects.get().status == "submitted"
    assert client.get(reverse("submit_done")).status_code == 200
    waiting = Notification.objects.get(recipients=[ANSWERS["contact"]["email"]])
    assert (waiting.status, waiting.attempts) == ("queued", 1)
    assert "mail server down" in waiting.last_error
    assert waiting.next_attempt_at > timezone.now()

    # The server comes back; the scheduler's command sends it once its pause is over.
    monkeypatch.undo()
    call_command("send_queued_mail")
    assert not mail.outbox
    Notification.objects.update(next_attempt_at=timezone.now())
    call_command("send_queued_mail")
    waiting.refresh_from_db()
    assert waiting.status == "sent" and waiting.sent_at
    assert [m.to for m in mail.outbox] == [[ANSWERS["contact"]["email"]]]


def test_a_message_that_keeps_failing_is_marked_failed_after_its_tries(make_case, monkeypatch):
    monkeypatch.setattr(
        "catalogue.notifications.send_mail",
        lambda *a, **k: (_ for _ in ()).throw(OSError("no route")),
    )
    notification = Notification.objects.create(recipients=["a@b.example"], subject="S", body="B")
    for _ in range(notifications.MAX_ATTEMPTS):
        Notification.objects.update(next_attempt_at=timezone.now())
        notifications.send_due()
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("failed", notifications.MAX_ATTEMPTS)
    assert "no route" in notification.last_error


def test_a_message_another_sender_holds_is_not_sent_twice(db):
    held = Notification.objects.create(
        recipients=["a@b.example"], subject="S", body="B", status="sending"
    )
    assert notifications.send_due() == 0 and not mail.outbox
    # A sender that died mid-message leaves it "sending": after a while it is sent again.
    Notification.objects.filter(pk=held.pk).update(
        next_attempt_at=timezone.now() - notifications.STALE - timedelta(seconds=1)
    )
    assert notifications.send_due() == 1 and len(mail.outbox) == 1


def test_a_background_sender_that_finds_the_database_locked_tries_again(db, monkeypatch):
    Notification.objects.create(recipients=["a@b.example"], subject="S", body="B")
    send_due, calls = notifications.send_due, []

    def locked_at_first():
        calls.append(1)
        if len(calls) < 3:
            raise OperationalError("database table is locked: catalogue_notification")
        return send_due()

    monkeypatch.setattr(notifications, "send_due", locked_at_first)
    monkeypatch.setattr(notifications, "close_old_connections", lambda: None)
    monkeypatch.setattr("catalogue.notifications.time.sleep", lambda seconds: None)
    notifications._send_in_background()
    assert len(calls) == 3 and len(mail.outbox) == 1
    assert Notification.objects.get().status == "sent"
    # A database that stays locked leaves the message queued for the scheduler, raising nothing.
    Notification.objects.create(recipients=["c@d.example"], subject="S", body="B")
    calls.clear()
    monkeypatch.setattr(
        notifications, "send_due", lambda: (_ for _ in ()).throw(OperationalError("locked"))
    )
    notifications._send_in_background()
    assert Notification.objects.filter(status="queued").count() == 1


def test_the_acknowledgement_repeats_nothing_the_sender_wrote(
    client, vocabularies, django_capture_on_commit_callbacks
):
    fill_in(client)
    with django_capture_on_commit_callbacks(execute=True):
        send(client)
    acknowledgement = mail.outbox[0]
    assert acknowledgement.to == [ANSWERS["contact"]["email"]]
    text = acknowledgement.subject + acknowledgement.body
    assert ANSWERS["about"]["title"] not in text
    assert ANSWERS["contact"]["name"] not in text
    assert Case.objects.get().reference in text


class SilentMailServer:
    """Accepts connections and never answers, as a hung mail server does."""

    def __init__(self):
        self.socket = socket.socket()
        self.socket.bind(("127.0.0.1", 0))
        self.socket.listen(20)
        self.port = self.socket.getsockname()[1]
        self.accepted = []
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                self.accepted.append(self.socket.accept()[0])
            except OSError:
                return

    def close(self):
        for connection in self.accepted:
            connection.close()
        self.socket.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_mail_server_that_never_answers_holds_no_request(client, vocabularies, settings):
    server = SilentMailServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", server.port, 3
    settings.EMAIL_USE_TLS = False
    try:
        fill_in(client)
        response = send(client)
        assert response.status_code == 302
        # The answer came back while the mail server was still being waited for.
        at_response = list(Notification.objects.values_list("status", "attempts"))
        assert at_response and all(attempts == 0 for _, attempts in at_response), at_response
        for thread in threading.enumerate():
            if thread.name.startswith("notifications"):
                thread.join(timeout=30)
        after = Notification.objects.get(recipients=[ANSWERS["contact"]["email"]])
        assert (after.status, after.attempts) == ("queued", 1)
        assert "timed out" in after.last_error
    finally:
        server.close()


def test_editors_see_the_outbox_and_send_a_failed_message_again(django_app, editor):
    failed = Notification.objects.create(
        recipients=["officer@council.example"],
        subject="We have received your example: CP-1",
        body="Your private tracking link: https://example.org/track/secret/",
        status="failed",
        attempts=6,
        last_error="ConnectionRefusedError: mail server down",
    )
    index = django_app.get("/admin/", user=editor)
    outbox = index.click("E-mails")
    assert "We have received your example: CP-1" in outbox.text
    detail = outbox.click(href=f"notification/{failed.pk}/change/")
    assert "mail server down" in detail.text
    assert "/track/secret/" not in detail.text  # the body, with its private link, is not shown
    form = outbox.forms["changelist-form"]
    form["action"] = "send_again"
    form.get("_selected_action", index=0).checked = True
    form.submit().follow()
    failed.refresh_from_db()
    assert failed.status == "sent"
    assert mail.outbox[-1].to == ["officer@council.example"]


def test_sent_messages_are_deleted_after_ninety_days(db):
    old, recent, _failed = (
        Notification.objects.create(recipients=["a@b.example"], subject=s, body="B", status=st)
        for s, st in (("old", "sent"), ("recent", "sent"), ("failed", "failed"))
    )
    Notification.objects.filter(pk=old.pk).update(sent_at=timezone.now() - timedelta(days=91))
    Notification.objects.filter(pk=recent.pk).update(sent_at=timezone.now() - timedelta(days=89))
    call_command("send_queued_mail")
    assert set(Notification.objects.values_list("subject", flat=True)) == {"recent", "failed"}
