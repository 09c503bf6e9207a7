"""The emails as sent in the submission and moderation journeys: every link uses the site's public
address and opens the page it names; the submitter is always given their tracking link and the
editor's reason."""

import re
import subprocess
from urllib.parse import urlsplit

import pytest
from django.core import mail

from catalogue import services
from catalogue.models import Case, ProblemReport
from tests.conftest import ROOT
from tests.test_submission import fill_in, send

pytestmark = pytest.mark.django_db

PUBLIC = "http://127.0.0.1:8080"  # what `PORT=8080 make run` sets
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def public_address(settings):
    settings.SITE_URL = PUBLIC
    settings.SUBMISSION_MIN_SECONDS = 0


def sent(capture, action):
    """The emails that `action` sends once its transaction commits."""
    before = len(mail.outbox)
    with capture(execute=True):
        action()
    return mail.outbox[before:]


def check_links(client, messages):
    """Every link in the messages starts with the public address and opens a page."""
    for message in messages:
        links = LINK.findall(message.body)
        assert links, message.subject
        for link in links:
            assert link.startswith(PUBLIC + "/"), (message.subject, link)
            response = client.get(urlsplit(link).path)
            assert response.status_code == 200, (message.subject, link)


def test_every_link_in_every_email_uses_the_public_address(
    client, vocabularies, editor, public_address, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    fill_in(client)
    submitted = sent(capture, lambda: send(client))
    case = Case.objects.get()
    assert {m.to[0] for m in submitted} == {"alex@newport.example", "editor@example.org"}
    client.force_login(editor)
    check_links(client, submitted)

    changes = sent(
        capture,
        lambda: services.case_request_changes(case=case, actor=editor, reason="Add the end year."),
    )
    [message] = changes
    assert "Add the end year." in message.body
    assert f"{PUBLIC}/track/" in message.body
    check_links(client, changes)

    def resubmit():
        # The submitter opens the link in the e-mail and presses "Edit and resubmit".
        tracking = client.get(LINK.search(message.body)[0].removeprefix(PUBLIC))
        edit = re.search(r'<form method="post" action="([^"]+)">', tracking.content.decode())
        client.post(edit[1])
        send(client)

    check_links(client, sent(capture, resubmit))
    check_links(client, sent(capture, lambda: services.case_publish(case=case, actor=editor)))
    withdrawn = sent(
        capture, lambda: services.case_withdraw(case=case, actor=editor, reason="Out of date.")
    )
    assert "Out of date." in withdrawn[0].body
    check_links(client, withdrawn)

    other, _ = services.case_submit(
        document={**Case.objects.get().proposal, "title": "Another park"},
        contact=services.Contact(name="Sam", email="sam@council.example"),
    )
    rejected = sent(
        capture, lambda: services.case_reject(case=other, actor=editor, reason="Not co-production.")
    )
    assert "Not co-production." in rejected[0].body and f"{PUBLIC}/track/" in rejected[0].body
    check_links(client, rejected)

    services.case_publish(case=case, actor=editor)
    report = sent(
        capture,
        lambda: services.report_create(case=case, reason="source", details="A broken link."),
    )
    assert ProblemReport.objects.count() == 1
    check_links(client, report)


def test_the_editors_email_names_possible_duplicates(
    client, vocabularies, editor, public_address, make_case, django_capture_on_commit_callbacks
):
    make_case(slug="riverside-park", title="Friends of Riverside Park", locality="Newport")
    fill_in(client)
    messages = sent(django_capture_on_commit_callbacks, lambda: send(client))
    [to_editors] = [m for m in messages if m.to == ["editor@example.org"]]
    assert "It may repeat a case the catalogue already has" in to_editors.body
    assert "Friends of Riverside Park (Newport), published" in to_editors.body
    client.force_login(editor)
    check_links(client, [to_editors])


def test_make_run_gives_emails_the_address_it_serves_on():
    recipe = subprocess.run(
        ["make", "-n", "run", "PORT=8080"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert f'DJANGO_SITE_URL="${{DJANGO_SITE_URL:-{PUBLIC}}}"' in recipe
