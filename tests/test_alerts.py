"""Search alerts, as a reader uses them: "Email me new cases like these" on a filtered list, the
confirmation e-mail, the digest of newly published matching cases (sent by `send_alerts` on a
fake clock) and the one-click unsubscribe that deletes the address."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from catalogue import services
from catalogue.models import Notification, SearchAlert, SentAlertCase

pytestmark = pytest.mark.django_db

ADDRESS = "sam@council.example"
LINK = re.compile(r"https?://\S+")


@pytest.fixture
def reader(django_app, vocabularies, settings, clock):
    settings.SITE_URL = "http://testserver"
    django_app.extra_environ["REMOTE_ADDR"] = "198.51.100.30"
    return django_app


def path_of(link):
    parts = urlsplit(link)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def links_in(message):
    return LINK.findall(message.body)


def mailed(capture, action):
    """The e-mails that `action` sends once its transaction commits."""
    before = len(mail.outbox)
    with capture(execute=True):
        result = action()
    return result, mail.outbox[before:]


def alert_form(reader, clock, list_query="?phase=co-design&evidence_min=2&sort=title&page=1"):
    page = reader.get(f"/cases/{list_query}").click("Email me new cases like these")
    clock.advance(30)  # the time a person takes to type an address
    return page


def subscribe(reader, clock, capture, **fields):
    page = alert_form(reader, clock)
    form = page.forms[0]
    form["email"] = fields.get("email", ADDRESS)
    form["frequency"] = fields.get("frequency", "weekly")
    return mailed(capture, lambda: form.submit().maybe_follow())


def publish(make_case, editor, capture, **overrides):
    """A case submitted, then published by an editor through the moderation workflow."""
    case = make_case(status="submitted", **overrides)
    mailed(capture, lambda: services.case_publish(case=case, actor=editor))
    return case


def send_alerts(capture, now):
    _, sent = mailed(capture, lambda: call_command("send_alerts", now=now.isoformat()))
    return sent


def test_subscribe_confirm_digest_and_unsubscribe(
    reader, clock, make_case, editor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    page = alert_form(reader, clock)
    assert "Phase: Co-design" in page.text and "Evidence at least" in page.text

    done, sent = subscribe(reader, clock, capture, frequency="daily")
    assert "Check your inbox" in done.text
    assert [m.to for m in sent] == [[ADDRESS]]
    alert = SearchAlert.objects.get()
    assert alert.query == "phase=co-design&evidence_min=2"  # page and sort are not kept
    assert alert.confirmed_at is None

    # Nothing is sent before the address is confirmed.
    assert send_alerts(capture, timezone.now() + timedelta(days=2)) == []

    (confirm_link,) = links_in(sent[0])
    confirm = reader.get(path_of(confirm_link))
    assert "Confirm your alert" in confirm.text
    assert "Your alert is on" in confirm.forms[0].submit().text
    alert.refresh_from_db()
    assert alert.confirmed_at is not None

    matching = publish(
        make_case,
        editor,
        capture,
        title="Co-designed day centre",
        phases=["co-design"],
        evidence={**services_evidence(), "level": 3},
    )
    other = publish(make_case, editor, capture, title="Another thing", phases=["co-deliver"])

    later = timezone.now() + timedelta(days=1)
    (digest,) = send_alerts(capture, later)
    assert digest.to == [ADDRESS]
    assert "Co-designed day centre" in digest.body
    assert other.title not in digest.body
    assert reader.get(path_of(f"http://testserver{matching.get_absolute_url()}")).status_code == 200
    links = links_in(digest)
    assert any(urlsplit(link).path == matching.get_absolute_url() for link in links)

    # Run again, the next day and at once: nothing is sent twice.
    assert send_alerts(capture, later) == []
    assert send_alerts(capture, later + timedelta(days=1)) == []
    assert SentAlertCase.objects.filter(alert=alert).count() == 1

    unsubscribe_link = next(link for link in links if "/unsubscribe/" in link)
    page = reader.get(path_of(unsubscribe_link))
    assert "Unsubscribe from this alert" in page.text
    assert "You have unsubscribed" in page.forms[0].submit().text
    assert not SearchAlert.objects.filter(email=ADDRESS).exists()
    assert reader.get(path_of(unsubscribe_link), status=404)


def services_evidence():
    from tests.conftest import case_doc

    return case_doc()["evidence"]


def test_a_weekly_alert_waits_a_week_and_a_republished_case_is_not_sent_again(
    reader, clock, make_case, editor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _, sent = subscribe(reader, clock, capture)
    reader.get(path_of(links_in(sent[0])[0])).forms[0].submit()
    case = publish(make_case, editor, capture, phases=["co-design"], evidence=strong())

    assert send_alerts(capture, timezone.now() + timedelta(days=3)) == []
    (digest,) = send_alerts(capture, timezone.now() + timedelta(days=7))
    assert case.title in digest.body

    services.case_withdraw(case=case, actor=editor, reason="Checking a source.")
    services.case_publish(case=case, actor=editor)
    assert send_alerts(capture, timezone.now() + timedelta(days=15)) == []


def strong():
    return {**services_evidence(), "level": 2}


def test_a_digest_lists_at_most_twenty_and_links_to_the_rest(
    reader, clock, make_case, editor, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    _, sent = subscribe(reader, clock, capture, frequency="daily")
    reader.get(path_of(links_in(sent[0])[0])).forms[0].submit()
    for n in range(22):
        publish(
            make_case,
            editor,
            capture,
            title=f"Design lab {n}",
            phases=["co-design"],
            evidence=strong(),
        )
    (digest,) = send_alerts(capture, timezone.now() + timedelta(days=1))
    assert digest.body.count("/cases/case-") == 20
    more = re.search(r"And 2 more: (\S+)", digest.body)
    assert more
    listed = reader.get(path_of(more.group(1)))
    assert "22 cases" in listed.text


def test_refused_requests_send_nothing(reader, clock, django_capture_on_commit_callbacks, settings):
    capture = django_capture_on_commit_callbacks
    page = alert_form(reader, clock)
    form = page.forms[0]
    form["email"] = ADDRESS
    form["website"] = "http://spam.example"
    response, sent = mailed(capture, lambda: form.submit(status=400))
    assert "has not been sent" in response.text and sent == []

    page = reader.get("/cases/?phase=co-design").click("Email me new cases like these")
    page.forms[0]["email"] = ADDRESS
    response, sent = mailed(capture, lambda: page.forms[0].submit(status=400))  # at once
    assert "faster than a person" in response.text and sent == []

    settings.ALERT_RATE = "2/h"
    for _ in range(2):
        subscribe(reader, clock, capture, email=f"{_}@council.example")
    page = alert_form(reader, clock)
    page.forms[0]["email"] = "third@council.example"
    response, sent = mailed(capture, lambda: page.forms[0].submit(status=429))
    assert "You can send it after" in response.text and sent == []
    assert page.forms[0]["email"].value == "third@council.example"


def test_an_address_gets_at_most_five_unconfirmed_alerts(
    reader, clock, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    total = []
    for year in range(2000, 2008):
        page = reader.get(f"/cases/?year_from={year}").click("Email me new cases like these")
        clock.advance(30)
        page.forms[0]["email"] = ADDRESS
        _, sent = mailed(capture, lambda p=page: p.forms[0].submit().maybe_follow())
        total += sent
    assert len(total) == services.PENDING_ALERTS_PER_ADDRESS
    # Asking again for the same search sends the same link again, with no new alert.
    page = reader.get("/cases/?year_from=2000").click("Email me new cases like these")
    clock.advance(30)
    page.forms[0]["email"] = ADDRESS
    _, sent = mailed(capture, lambda: page.forms[0].submit().maybe_follow())
    assert links_in(sent[0]) == links_in(total[0])
    assert SearchAlert.objects.count() == services.PENDING_ALERTS_PER_ADDRESS


def test_bad_parameters_are_left_out_of_the_alert(
    reader, clock, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    page = reader.get(
        "/alerts/new/?phase=nonsense&phase=co-assess&evidence_min=99&country=GB"
        "&q=park%1b+garden&page=x&sort=zzz&area=" + "x" * 5000
    )
    assert page.status_code == 200
    assert "were not understood" in page.text
    clock.advance(30)
    page.forms[0]["email"] = ADDRESS
    mailed(capture, lambda: page.forms[0].submit().maybe_follow())
    alert = SearchAlert.objects.get()
    assert alert.query == "q=park+garden&country=GB"
    assert "\x1b" not in Notification.objects.get().body


def test_a_search_with_a_null_character_is_refused_not_kept(reader):
    page = reader.get("/alerts/new/?q=park%00garden&phase=co-design")
    assert "were not understood" in page.text
    assert "Co-design" in page.text


def test_bad_addresses_and_frequencies_are_refused_with_a_message(
    reader, clock, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    for email in ["not an address", "sam\x00@council.example", "a" * 300 + "@x.example"]:
        page = alert_form(reader, clock)
        page.forms[0]["email"] = email
        response, sent = mailed(capture, lambda p=page: p.forms[0].submit())
        assert response.status_code == 200 and "There is a problem" in response.text
        assert sent == []
    page = alert_form(reader, clock)
    page.forms[0]["email"] = ADDRESS
    page.forms[0]["frequency"].force_value("hourly")
    response, sent = mailed(capture, lambda: page.forms[0].submit())
    assert "Select a valid choice" in response.text and sent == []
    assert SearchAlert.objects.count() == 0


def test_guessed_or_spent_links_give_404(reader, clock, django_capture_on_commit_callbacks):
    capture = django_capture_on_commit_callbacks
    _, sent = subscribe(reader, clock, capture)
    link = path_of(links_in(sent[0])[0])
    reader.get(link).forms[0].submit()
    token = link.rstrip("/").rsplit("/", 1)[1]
    for guess in [token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 500, "%00"]:
        reader.get(f"/alerts/confirm/{guess}/", status=404)
        reader.get(f"/alerts/unsubscribe/{guess}/", status=404)
        reader.post(f"/alerts/unsubscribe/{guess}/", status=(403, 404))
    assert SearchAlert.objects.filter(confirmed_at__isnull=False).count() == 1


def test_unconfirmed_alerts_are_deleted_after_a_week(
    reader, clock, django_capture_on_commit_callbacks
):
    capture = django_capture_on_commit_callbacks
    subscribe(reader, clock, capture)
    send_alerts(capture, timezone.now() + timedelta(days=6))
    assert SearchAlert.objects.count() == 1
    send_alerts(capture, timezone.now() + timedelta(days=8))
    assert SearchAlert.objects.count() == 0


def test_addresses_are_in_no_export(reader, clock, make_case, django_capture_on_commit_callbacks):
    make_case()
    subscribe(reader, clock, django_capture_on_commit_callbacks)
    for path in ["/cases.csv", "/cases.json", "/api/cases/", "/feeds/cases/"]:
        assert ADDRESS not in reader.get(path).text


def test_editors_see_alerts_and_erase_an_address_on_request(
    reader, clock, editor, django_capture_on_commit_callbacks
):
    subscribe(reader, clock, django_capture_on_commit_callbacks)
    reader.set_user(editor)
    listing = reader.get("/admin/").click("Search alerts")
    assert ADDRESS in listing.text
    page = listing.click(ADDRESS)
    assert "Delete" in page.text
    confirm = page.click("Delete", index=0)
    confirm.forms[1].submit().follow()
    assert not SearchAlert.objects.exists()


def test_an_alert_sends_only_cases_with_every_word_even_while_none_has_them(
    reader, clock, make_case, editor, django_capture_on_commit_callbacks
):
    # The list widens a search that nothing matches to any of its words; an alert never does.
    capture = django_capture_on_commit_callbacks
    make_case(title="Kestrel watch", summary="Volunteers count birds.")
    form = alert_form(reader, clock, list_query="?q=kestrel+marmalade").forms[0]
    form["email"], form["frequency"] = ADDRESS, "daily"
    _, sent = mailed(capture, lambda: form.submit().maybe_follow())
    reader.get(path_of(links_in(sent[0])[0])).forms[0].submit()

    publish(make_case, editor, capture, title="Kestrel nesting boxes", summary="Schools help.")
    assert send_alerts(capture, timezone.now() + timedelta(days=1)) == []
    both = publish(make_case, editor, capture, title="Kestrel and marmalade fair", summary="Fun.")
    (digest,) = send_alerts(capture, timezone.now() + timedelta(days=2))
    assert both.title in digest.body
    assert "Kestrel nesting boxes" not in digest.body and "Kestrel watch" not in digest.body
