"""The submission and the search alerts in Welsh: the pages under /cy/, the errors (the form's own
and Django's), the case and the alert remembering the language they were made in, and the e-mails
to the submitter and the subscriber written in it (text, subject and links under /cy/), whoever
acts: the officer, or an editor in the English admin."""

import html
import re
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext

from catalogue import services
from catalogue.models import Case, SearchAlert
from tests.test_submission import ANSWERS
from tests.test_submission_journey import FILL_SECONDS, fill

pytestmark = pytest.mark.django_db

SITE = "http://testserver"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def officer(django_app, vocabularies, settings, clock):
    settings.SITE_URL = SITE
    django_app.extra_environ["REMOTE_ADDR"] = "198.51.100.40"
    return django_app


def welsh(text):
    """`text` in Welsh, as the compiled catalogue gives it (asserting it is translated)."""
    with translation.override("cy"):
        translated = gettext(text)
    assert translated != text, f"no Welsh for {text!r}"
    return translated


def text(page):
    """The page's text as a reader sees it (apostrophes unescaped)."""
    return html.unescape(page.text)


def path_of(link):
    return urlsplit(link).path


def is_welsh_page(page):
    return re.search(r'<html[^>]*\blang="cy"', page.text) is not None


def send_from_start(app, clock, capture, start="/cy/submit/", start_button="Dechrau nawr"):
    """From the submission's start page, answer every step by the buttons the pages show, send
    from the check page; returns the pages seen and the e-mails the sending queued."""
    page = app.get(start).click(start_button)
    pages = [page]
    for data in ANSWERS.values():
        page = fill(page.form, data).submit().maybe_follow()
        pages.append(page)
    clock.advance(FILL_SECONDS)
    before = len(mail.outbox)
    with capture(execute=True):
        done = page.form.submit().maybe_follow()
    return pages, done, mail.outbox[before:]


def to_submitter(messages):
    (message,) = [m for m in messages if m.to == [ANSWERS["contact"]["email"]]]
    return message


def test_the_submission_in_welsh_from_start_to_tracking_page(
    officer, clock, editor, django_capture_on_commit_callbacks
):
    start = officer.get("/cy/submit/")
    assert is_welsh_page(start)
    assert welsh("Submit an example of co-production") in text(start)

    # The first step, sent empty: the form's own messages, in Welsh, with its questions.
    first = start.click(welsh("Start now"))
    assert first.request.path == "/cy/submit/who/"
    assert welsh("Who plans and who delivers the service") in text(first)
    assert welsh("Think of who decided what the service does and how it works.") in text(first)
    refused = first.form.submit()
    assert welsh("Say who planned or designed the service.") in text(refused)
    assert welsh("Step %(number)s of %(total)s") % {"number": 1, "total": 6} in text(refused)

    # Django's own messages are Welsh too: a year that is not a number.
    about = {**ANSWERS["about"], "start_year": "twenty"}
    page = first
    for step, data in ANSWERS.items():
        page = fill(page.form, about if step == "about" else data).submit().maybe_follow()
        if step == "about":
            assert page.request.path == "/cy/submit/about/"
            with translation.override("cy"):
                whole_number = gettext("Enter a whole number.")
            assert whole_number != "Enter a whole number." and whole_number in text(page)
            page = fill(page.form, ANSWERS["about"]).submit().maybe_follow()
    check = page
    assert check.request.path == "/cy/submit/check/"
    assert is_welsh_page(check)
    assert welsh("Check your answers before sending") in text(check)
    assert welsh("Proposed evidence level") in text(check)
    assert welsh("Send my example") in text(check)

    clock.advance(FILL_SECONDS)
    with django_capture_on_commit_callbacks(execute=True):
        done = check.form.submit().maybe_follow()
    assert done.request.path == "/cy/submit/done/"
    assert is_welsh_page(done)
    assert welsh("Your example has been sent") in text(done)

    case = Case.objects.get()
    assert case.language == "cy"

    message = to_submitter(mail.outbox)
    assert message.subject == welsh("We have received your example: %(reference)s") % {
        "reference": case.reference
    }
    assert welsh("Hello,") in message.body
    assert welsh("Your private tracking link:") in message.body
    (tracking_link,) = LINK.findall(message.body)
    assert tracking_link.startswith(f"{SITE}/cy/track/")
    # The editors' e-mail stays in English.
    (to_editors,) = [m for m in mail.outbox if m is not message]
    assert to_editors.subject.startswith("New submission ")
    assert "A new case is waiting for review." in to_editors.body

    # The link on the confirmation page and the one in the e-mail open the tracking page in Welsh.
    tracking = done.click(linkid="tracking-link")
    assert tracking.request.path == path_of(tracking_link)
    assert is_welsh_page(tracking)
    assert welsh("Status:") in text(tracking)
    assert welsh("History") in text(tracking)
    with translation.override("cy"):
        submitted = str(services.ModerationEvent.Action.SUBMIT.label)
        step = translation.pgettext("moderation step", "Submitted")
    assert step != submitted and f"<strong>{step}</strong>" in text(tracking)


def test_an_english_submission_keeps_english_emails(
    officer, clock, django_capture_on_commit_callbacks
):
    _, done, messages = send_from_start(
        officer,
        clock,
        django_capture_on_commit_callbacks,
        start="/submit/",
        start_button="Start now",
    )
    assert "Your example has been sent" in text(done)
    case = Case.objects.get()
    assert case.language == "en-gb"
    message = to_submitter(messages)
    assert message.subject == f"We have received your example: {case.reference}"
    assert "Your private tracking link:" in message.body
    assert "/cy/" not in message.body
    assert LINK.findall(message.body)[0].startswith(f"{SITE}/track/")


def test_an_editors_decision_on_a_welsh_submission_is_mailed_in_welsh(
    officer, clock, editor, django_capture_on_commit_callbacks
):
    send_from_start(officer, clock, django_capture_on_commit_callbacks)
    case = Case.objects.get()
    reason = "Ychwanegwch y flwyddyn y daeth i ben."
    before = len(mail.outbox)
    # The editor works in the admin, in English.
    with translation.override("en-gb"), django_capture_on_commit_callbacks(execute=True):
        services.case_request_changes(case=case, actor=editor, reason=reason)
    (message,) = mail.outbox[before:]
    assert message.subject == welsh("An editor has asked for changes: %(reference)s") % {
        "reference": case.reference
    }
    assert reason in message.body
    assert welsh("Your private tracking link:") in message.body
    assert "Edit and resubmit" not in message.body
    (link,) = LINK.findall(message.body)
    assert link.startswith(f"{SITE}/cy/track/")

    # The officer edits and sends it again from the Welsh tracking page: still Welsh.
    tracking = officer.get(path_of(link))
    assert is_welsh_page(tracking) and reason in text(tracking)
    check = tracking.forms[0].submit().maybe_follow()
    assert check.request.path == "/cy/submit/check/"
    with django_capture_on_commit_callbacks(execute=True):
        done = check.form.submit().maybe_follow()
    assert welsh("Your changes have been sent") in text(done)
    case.refresh_from_db()
    assert case.language == "cy"
    assert to_submitter(mail.outbox[before + 1 :]).subject == welsh(
        "We have received your changes: %(reference)s"
    ) % {"reference": case.reference}


def test_a_welsh_search_alert_is_confirmed_in_welsh(
    officer, clock, django_capture_on_commit_callbacks
):
    page = officer.get("/cy/alerts/new/?phase=co-design")
    assert is_welsh_page(page)
    assert welsh("Send me a confirmation e-mail") in text(page)
    clock.advance(30)
    form = page.forms[0]
    form["email"] = "darllenydd@example.org"
    form["frequency"] = "weekly"
    with django_capture_on_commit_callbacks(execute=True):
        sent = form.submit().maybe_follow()
    assert sent.request.path == "/cy/alerts/sent/"
    assert welsh("Check your inbox") in text(sent)

    alert = SearchAlert.objects.get()
    assert alert.language == "cy"
    (message,) = mail.outbox
    assert message.subject == welsh("Confirm your alert of new co-production cases")
    assert welsh("To confirm and start the alert, open this link and press the button:") in (
        message.body
    )
    (link,) = LINK.findall(message.body)
    assert link.startswith(f"{SITE}/cy/alerts/confirm/")
    confirm = officer.get(path_of(link))
    assert is_welsh_page(confirm)
    confirmed = confirm.forms[0].submit()
    assert welsh("Your alert is on") in text(confirmed)


def test_an_english_search_alert_stays_english(officer, clock, django_capture_on_commit_callbacks):
    page = officer.get("/alerts/new/?phase=co-design")
    clock.advance(30)
    form = page.forms[0]
    form["email"] = "reader@example.org"
    with django_capture_on_commit_callbacks(execute=True):
        form.submit().maybe_follow()
    assert SearchAlert.objects.get().language == "en-gb"
    (message,) = mail.outbox
    assert message.subject == "Confirm your alert of new co-production cases"
    assert "/cy/" not in message.body
