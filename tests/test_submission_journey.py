"""The guided submission as council officers meet it, with the product's default settings: every
step is reached through the links and buttons the pages show (WebTest follows them as a browser
would, without JavaScript). Time passes on a test clock, as it does while a person fills a form."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from webtest.forms import Checkbox

from catalogue import interchange, services
from catalogue import vocabulary as v
from catalogue.models import Case
from tests.test_submission import ANSWERS

pytestmark = pytest.mark.django_db

FILL_SECONDS = 90  # how long a person takes over the six steps, at least


@pytest.fixture
def office(django_app, vocabularies):
    """A council office: every officer's browser reaches the site from one network address."""
    django_app.extra_environ["REMOTE_ADDR"] = "198.51.100.20"
    return django_app


def fill(form, answers):
    """Type and tick answers as the officer would; hidden fields are left as the page set them."""
    for name, value in answers.items():
        if name.endswith("_FORMS"):
            continue
        fields = form.fields[name]
        if isinstance(value, list):
            for box in fields:
                box.checked = box._value in value
        elif isinstance(fields[0], Checkbox):
            fields[0].checked = bool(value)
        else:
            form[name] = value
    return form


def answer_every_step(page, answers=ANSWERS):
    """From the first step, answer each one and press its button; returns the check page."""
    for data in answers.values():
        page = fill(page.form, data).submit().maybe_follow()
    assert page.status_code == 200 and "Check your answers" in page.text, page.text[:500]
    return page


def start(app):
    """From any page, the way an officer starts a new submission."""
    page = app.get("/").click("Submit a case", index=0)
    return page.click("Start now")


def title(n):
    return {**ANSWERS, "about": {**ANSWERS["about"], "title": f"Riverside example {n}"}}


def send_example(app, clock, n):
    check = answer_every_step(start(app), title(n))
    clock.advance(FILL_SECONDS)
    return check.form.submit(status="*").maybe_follow()


def start_of_next_window(clock, address):
    """Move the clock to where the rate limiter's next hour starts for this address, so that the
    whole batch falls in one window (a batch across two windows may send even more)."""
    from django.conf import settings
    from django.test import RequestFactory
    from django_ratelimit.core import get_usage

    request = RequestFactory().post("/", REMOTE_ADDR=address)
    usage = get_usage(request, group="submission", key="ip", rate=settings.SUBMISSION_RATE)
    clock.advance(usage["time_left"])


def test_an_office_sends_a_batch_and_a_resubmission_within_the_hour(office, clock, editor):
    start_of_next_window(clock, office.extra_environ["REMOTE_ADDR"])
    sent = [send_example(office, clock, n) for n in range(1, 21)]
    assert all("Your example has been sent" in page.text for page in sent)
    assert Case.objects.filter(status="submitted").count() == 20

    # An editor sends the first one back; its officer edits and resends at once, through the link
    # on their confirmation page. A resubmission has no fill-time wait and is not counted.
    first = Case.objects.get(title="Riverside example 1")
    services.case_request_changes(case=first, actor=editor, reason="Please add the year it ended.")
    tracking = sent[0].click(linkid="tracking-link")
    check = tracking.forms[0].submit().maybe_follow()
    assert "Please add the year it ended." in check.text
    done = check.form.submit().maybe_follow()
    assert "Your changes have been sent" in done.text

    for n in range(21, 31):
        assert "Your example has been sent" in send_example(office, clock, n).text
    assert Case.objects.count() == 30

    refused = send_example(office, clock, 31)
    assert refused.status_code == 429
    assert "has not been sent yet" in refused.text
    assert "Nothing has gone to the editors yet" in refused.text
    shown = re.search(r"send it after <strong>(\d\d):(\d\d)</strong>", refused.text)
    assert Case.objects.count() == 30
    kept = refused.click("Check your answers")
    assert "Riverside example 31" in kept.text

    # Sending again a minute before the time shown is still refused; at that time it is accepted.
    today = timezone.localtime(
        datetime.fromtimestamp(clock.now, tz=timezone.get_current_timezone())
    )
    allowed = today.replace(hour=int(shown[1]), minute=int(shown[2]), second=0, microsecond=0)
    if allowed.timestamp() < clock.now:  # the time shown is tomorrow
        allowed += timedelta(days=1)
    clock.now = allowed.timestamp() - 60
    assert refused.form.submit(status=429).status_code == 429
    clock.now = allowed.timestamp()
    accepted = refused.form.submit().maybe_follow()
    assert "Your example has been sent" in accepted.text
    assert Case.objects.filter(title="Riverside example 31").exists()


def test_a_form_sent_too_fast_is_kept_and_sent_again_without_counting(office, clock):
    check = answer_every_step(start(office))
    refused = check.form.submit(status=400)
    assert "faster than a person could fill it in" in refused.text
    assert "Nothing has gone to the editors yet" in refused.text
    assert Case.objects.count() == 0
    clock.advance(10)
    assert "Your example has been sent" in refused.form.submit().maybe_follow().text
    assert Case.objects.count() == 1


def test_the_refusal_page_offers_a_way_on_and_does_not_contradict_itself(office, clock):
    refused = answer_every_step(start(office)).form.submit(status=400)
    assert "Nothing has been saved" not in refused.text
    assert "Your answers are kept" in refused.text
    assert refused.form.fields  # the "Send it again" button's form


@pytest.mark.parametrize("ticks", range(32), ids=lambda mask: f"ticks-{mask:05b}")
def test_every_combination_of_evidence_ticks_proposes_the_level_it_supports(office, ticks):
    statements = [str(n) for n in range(1, 6) if ticks & (1 << (n - 1))]
    expected = max((int(n) for n in statements), default=0)
    page = office.get("/submit/evidence/")
    fill(page.form, {**ANSWERS["evidence"], "statements": statements, "rationale": ""})
    shown = page.form.submit().maybe_follow()  # the rationale is missing: the step shows again
    panel = shown.html.select_one(".level-panel").get_text(" ", strip=True)
    level = v.EvidenceLevel(expected)
    assert f"Proposed evidence level: {level.value}: {level.label}" in panel
    assert level.description in panel


def test_the_proposed_level_is_shown_on_the_check_page(office):
    answers = {**ANSWERS, "evidence": {**ANSWERS["evidence"], "statements": ["3"]}}
    check = answer_every_step(office.get("/submit/who/"), answers)
    panel = check.html.select_one(".level-panel").get_text(" ", strip=True)
    assert "Proposed evidence level: 3: Causal evidence" in panel
    assert v.EVIDENCE_QUESTIONS[2] in check.text


def test_a_refused_combination_is_named_on_later_steps_and_offers_a_way_out(office):
    check = answer_every_step(start(office))
    who = check.click(href="/submit/who/\\?return=check")
    refused = fill(who.form, {"planning": "professional", "delivery": "professional"}).submit()
    assert "There is a problem" in refused.text
    # The officer goes back in the browser's history to later pages.
    later = office.get("/submit/evidence/")
    assert "Your first answers are not accepted: Traditional professional service provision" in (
        later.text
    )
    sent_back = office.get("/submit/check/").maybe_follow()
    assert "Some answers are missing" not in sent_back.text
    assert "which the catalogue does not include" in sent_back.text
    outside = refused.click("it is outside the catalogue: here is why")
    assert "This service is outside the catalogue" in outside.text
    assert v.MATRIX["professional", "professional"].note in outside.text
    left = outside.form.submit().maybe_follow()
    assert "Your answers have been deleted" in left.text
    assert "Start now" in office.get("/submit/").text


def test_the_check_page_shows_the_plain_answers_with_their_classification(office):
    check = answer_every_step(start(office))
    text = " ".join(check.html.get_text(" ").split())
    assert str(v.PLAIN_ANSWERS["activities"]["design-forums"]) in text
    assert "(User forums and design labs, part of Co-design)" in text
    assert str(v.PLAIN_ANSWERS["phases"]["co-design"]) + " (Co-design)" in text
    assert str(v.PLAIN_ANSWERS["benefits"]["collective"]) + " (Collective)" in text


def test_activities_are_offered_in_plain_words(office):
    page = office.get("/submit/participation/")
    labels = " ".join(page.html.select_one("#field-id_activities").get_text(" ").split())
    for activity in v.Activity:
        assert str(v.PLAIN_ANSWERS["activities"][activity.value]) in labels


def test_during_a_resubmission_the_editors_reason_stays_on_every_page_and_contacts_are_saved(
    office, clock, editor
):
    done = send_example(office, clock, 1)
    case = Case.objects.get()
    services.case_request_changes(case=case, actor=editor, reason="Name the lead organisation.")
    check = done.click(linkid="tracking-link").forms[0].submit().maybe_follow()
    assert "Name the lead organisation." in check.text
    for step in ("who", "participation", "evidence", "about", "outcomes", "contact"):
        page = check.click(href=f"/submit/{step}/\\?return=check")
        assert "Name the lead organisation." in page.text, step
    contact = check.click(href="/submit/contact/\\?return=check")
    assert "Give new ones to replace them" in contact.text or "give new ones" in contact.text
    new = {"name": "Sam Newport", "email": "new.address@newport.example"}
    check = fill(contact.form, new).submit().maybe_follow()
    check.form.submit().maybe_follow()
    case.refresh_from_db()
    assert case.status == "submitted"
    assert case.submitter_email == "new.address@newport.example"


def test_every_step_after_the_first_and_the_check_page_have_a_back_link(office):
    page = start(office)
    assert not page.html.select(".back-link")
    for slug, data in ANSWERS.items():
        page = fill(page.form, data).submit().maybe_follow()
        back = page.html.select_one(".back-link")
        assert back is not None and back.get_text() == "Back", slug
        previous = page.click(href=back["href"], index=0)
        assert f'action="/submit/{slug}/"' in previous.text
    assert "Check your answers" in page.text


def test_text_areas_are_large_enough_for_their_limits(office):
    page = office.get("/submit/about/")
    assert int(page.html.select_one("#id_summary")["rows"]) >= 5
    assert int(page.html.select_one("#id_description")["rows"]) >= 10


def test_the_officer_is_told_of_a_published_case_that_looks_the_same(office, make_case):
    make_case(slug="riverside-park", title="Friends of Riverside Park", locality="Newport")
    make_case(slug="unrelated", title="Tenant-led repairs", locality="Leeds")
    check = answer_every_step(start(office))
    panel = check.html.select_one("#resembling-title").find_parent("div")
    assert [a.get_text() for a in panel.select("a")] == ["Friends of Riverside Park"]
    assert check.click("Friends of Riverside Park").status_code == 200


def test_a_refused_report_keeps_what_was_typed(office, make_case):
    case = make_case()
    for n in range(10):
        page = office.get(case.get_absolute_url()).click("Report a problem with this case")
        page.form["reason"] = "factual"
        page.form["details"] = f"Report {n}"
        assert page.form.submit().status_code == 302
    page = office.get(case.get_absolute_url()).click("Report a problem with this case")
    page.form["reason"] = "source"
    page.form["details"] = "The link to the evaluation is broken."
    refused = page.form.submit(status=429)
    assert "has not been sent yet" in refused.text
    assert "The link to the evaluation is broken." in refused.text
    assert re.search(r"send it after <strong>\d\d:\d\d</strong>", refused.text)


def test_control_characters_pasted_into_the_form_never_reach_the_catalogue(office, clock, editor):
    pasted = {
        **ANSWERS,
        "about": {
            **ANSWERS["about"],
            "title": "Friends of\x0bRiverside \x1bPark",
            "summary": "Residents\u2028and rangers\x00 look after a park.",
        },
        "outcomes": {**ANSWERS["outcomes"], "outcomes-0-statement": "More\x0cvisits\x07"},
    }
    check = answer_every_step(start(office), pasted)
    clock.advance(FILL_SECONDS)
    check.form.submit().maybe_follow()
    case = Case.objects.get()
    services.case_publish(case=case, actor=editor)
    assert case.title == "Friends of\nRiverside Park"
    assert case.summary == "Residents\nand rangers look after a park."
    assert case.outcomes.get().statement == "More\nvisits"
    assert office.get("/feeds/cases/").status_code == 200


def _content(case):
    """What the submitter and editors wrote: the case document without its workflow fields."""
    document = interchange.case_document(Case.objects.get(pk=case.pk))
    document.pop("status", None)
    document["evidence"].pop("confirmed", None)
    return document


def test_edit_and_resubmit_loses_nothing_with_more_rows_than_the_form_shows(office, clock, editor):
    done = send_example(office, clock, 1)
    case = Case.objects.get()
    # An editor adds rows beyond the three a new submission shows, as the admin lets them.
    for n in range(2, 8):
        case.outcomes.create(
            statement=f"Outcome {n}", figure=f"{n}%", benefit_group="citizens", position=n
        )
        case.sources.create(
            citation=f"Report {n} (2023).",
            kind="practitioner",
            year=2023,
            position=n,
            locator=f"p. {n}",
        )
    before = _content(case)
    services.case_request_changes(case=case, actor=editor, reason="Add the year it ended.")

    check = done.click(linkid="tracking-link").forms[0].submit().maybe_follow()
    outcomes = check.click(href="/submit/outcomes/\\?return=check")
    assert len(outcomes.html.select("#outcomes fieldset.row")) == 8  # seven rows and an empty one
    outcomes.form.submit().maybe_follow().form.submit().maybe_follow()

    case.refresh_from_db()
    assert case.status == "submitted"
    assert _content(case) == before


def test_add_another_row_keeps_what_was_typed(office):
    page = start(office)
    for step in ("who", "participation", "evidence", "about"):
        page = fill(page.form, ANSWERS[step]).submit().maybe_follow()
    rows = {k: v for k, v in ANSWERS["outcomes"].items() if not k.endswith("_FORMS")}
    for n in range(3):
        rows |= {
            f"outcomes-{n}-statement": f"Change {n}",
            f"outcomes-{n}-benefit_group": "citizens",
        }
    page = fill(page.form, rows).submit("add", value="outcomes").maybe_follow()
    assert len(page.html.select("#outcomes fieldset.row")) == 4
    assert page.form["outcomes-2-statement"].value == "Change 2"
    page = fill(
        page.form,
        {"outcomes-3-statement": "Change 3", "outcomes-3-benefit_group": "frontline-staff"},
    )
    contact = page.submit().maybe_follow()
    check = fill(contact.form, ANSWERS["contact"]).submit().maybe_follow()
    assert "Change 3" in check.text


def test_rows_beyond_the_cap_are_refused_cheaply(client, vocabularies):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    post = {**ANSWERS["outcomes"], "outcomes-TOTAL_FORMS": "5000"}
    post |= {f"outcomes-{n}-statement": f"Change {n}" for n in range(300)}
    post |= {f"outcomes-{n}-benefit_group": "citizens" for n in range(300)}
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/submit/outcomes/", post)
    assert response.status_code == 200
    assert "Give at most 30 outcomes." in response.text
    assert len(queries) < 20
    stored = client.session["submission"]["steps"]["outcomes"]
    assert not [key for key in stored if key.startswith("outcomes-30-")]


def test_a_step_keeps_only_its_own_fields_within_their_limits(client, vocabularies):
    from django.contrib.sessions.models import Session

    junk = {f"junk{n}": "x" * 10_000 for n in range(240)}  # about 2.4 MB
    post = {**ANSWERS["about"], **junk, "title": "t" * 100_000}
    response = client.post("/submit/about/", post)
    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters" in response.text
    stored = client.session["submission"]["steps"]["about"]
    assert not [key for key in stored if key.startswith("junk")]
    assert len(stored["title"][0]) == 300
    row = Session.objects.get(session_key=client.session.session_key)
    assert len(row.session_data) < 20_000


def test_the_largest_possible_draft_is_bounded():
    from catalogue.drafts import STEPS, limits

    largest = sum(n * length for step in STEPS for n, length in limits(step).values())
    assert largest < 300_000


def test_an_expired_session_mid_form_is_said_and_the_page_is_kept(office):
    from django.contrib.sessions.models import Session

    page = fill(start(office).form, ANSWERS["who"]).submit().maybe_follow()
    Session.objects.all().delete()  # what expiry and clearsessions do
    page = fill(page.form, ANSWERS["participation"]).submit().maybe_follow()
    assert "Your earlier answers were deleted from this device 14 days after" in page.text
    back = page.click("Back")
    assert [box.checked for box in back.form.fields["benefits"]].count(True) == 1


def test_the_tracking_link_never_shows_the_contact_details(office, clock, editor):
    """Anyone holding the link (a forwarded e-mail) could read them on the check page."""
    done = send_example(office, clock, 1)
    case = Case.objects.get()
    services.case_request_changes(case=case, actor=editor, reason="Add the year it ended.")
    tracking = done.click(linkid="tracking-link")
    check = tracking.forms[0].submit().maybe_follow()
    contact = check.click(href="/submit/contact/\\?return=check")
    for page in (tracking, check, contact):
        for private in (ANSWERS["contact"]["name"], ANSWERS["contact"]["email"]):
            assert private not in page.text, private
    assert "Unchanged (kept private, so not shown here)" in check.text
    # Sending without new details keeps the ones given before.
    check.form.submit().maybe_follow()
    case.refresh_from_db()
    assert case.status == "submitted"
    assert (case.submitter_name, case.submitter_email) == (
        ANSWERS["contact"]["name"],
        ANSWERS["contact"]["email"],
    )


def test_new_contact_details_during_an_edit_need_a_name_and_an_address(office, clock, editor):
    done = send_example(office, clock, 1)
    case = Case.objects.get()
    services.case_request_changes(case=case, actor=editor, reason="Add the year it ended.")
    check = done.click(linkid="tracking-link").forms[0].submit().maybe_follow()
    contact = check.click(href="/submit/contact/\\?return=check")
    refused = fill(contact.form, {"organisation": "Newport Council"}).submit()
    assert "Enter your name." in refused.text and "Enter your email address." in refused.text
