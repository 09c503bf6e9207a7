"""The guided submission, tracking link, problem reports and their spam guards."""

import pytest
from django.core import mail
from django.urls import reverse

from catalogue import vocabulary as v
from catalogue.models import Case, ModerationEvent, ProblemReport

pytestmark = pytest.mark.django_db

ROWS = {
    "outcomes-TOTAL_FORMS": "3",
    "outcomes-INITIAL_FORMS": "0",
    "sources-TOTAL_FORMS": "3",
    "sources-INITIAL_FORMS": "0",
}
ANSWERS = {
    "who": {"planning": "co-planning", "delivery": "co-delivery"},
    "participation": {
        "phases": ["co-design", "co-deliver"],
        "activities": ["design-forums"],
        "benefits": ["collective"],
    },
    "evidence": {
        "statements": ["1", "2"],
        "direction": "positive",
        "design": "before-after",
        "independent": "no",
        "rationale": "Surveys before and after showed more use of the park.",
    },
    "about": {
        "title": "Friends of Riverside Park",
        "summary": "Residents and rangers redesigned and now look after a neglected park.",
        "description": "A residents' group worked with the council's rangers.",
        "country": "GB",
        "locality": "Newport",
        "lead_organisations": "Newport City Council",
        "service_areas": ["environment", "culture-and-leisure"],
        "co_producers": ["volunteers", "community-groups"],
        "start_year": "2019",
        "ongoing": "on",
    },
    "outcomes": {
        **ROWS,
        "outcomes-0-statement": "More visits to the park",
        "outcomes-0-figure": "40%",
        "outcomes-0-benefit_group": "citizens",
        "sources-0-citation": "Newport City Council (2022) Park survey.",
        "sources-0-kind": "evaluation",
        "sources-0-year": "2022",
    },
    "contact": {
        "name": "Alex Officer",
        "email": "alex@newport.example",
        "organisation": "Newport City Council",
    },
}


@pytest.fixture(autouse=True)
def no_wait(settings):
    settings.SUBMISSION_MIN_SECONDS = 0


def fill_in(client, answers=ANSWERS):
    for step, data in answers.items():
        response = client.post(reverse("submit_step", args=[step]), data)
        assert response.status_code == 302, (
            step,
            response.context and response.context["form"].errors,
        )
    return client.get(reverse("submit_check"))


def send(client):
    return client.post(reverse("submit_check"), {})


def test_a_full_submission_creates_a_submitted_case_with_reference_and_emails(
    client, vocabularies, django_capture_on_commit_callbacks
):
    check = fill_in(client)
    assert check.status_code == 200
    body = check.content.decode()
    assert "Full user/professional co-production" in body
    assert "2: Early outcome data" in body
    with django_capture_on_commit_callbacks(execute=True):
        assert send(client).status_code == 302
    case = Case.objects.get()
    assert case.status == "submitted"
    assert case.reference.startswith("CP-")
    assert (case.planning, case.delivery) == ("co-planning", "co-delivery")
    assert case.evidence_level == 2 and not case.evidence_confirmed
    assert case.proposal["title"] == "Friends of Riverside Park"
    assert [p.slug for p in case.phases.all()] == ["co-design", "co-deliver"]
    assert case.submitter_email == "alex@newport.example"
    assert ModerationEvent.objects.get().action == "submit"
    done = client.get(reverse("submit_done"))
    assert case.reference in done.content.decode()
    tracking_url = done.context["tracking_url"]
    assert "/track/" in tracking_url
    assert mail.outbox[0].to == ["alex@newport.example"]
    assert case.reference in mail.outbox[0].subject
    assert tracking_url.split("testserver")[1] in mail.outbox[0].body
    assert client.get(tracking_url).status_code == 200


def test_the_matrix_cell_is_shown_before_moving_on(client, vocabularies):
    client.post(reverse("submit_step", args=["who"]), ANSWERS["who"])
    body = client.get(reverse("submit_step", args=["participation"])).content.decode()
    assert "Your answers place this service in: Full user/professional co-production" in body
    assert reverse("case_detail", args=["caterham-barracks-community-trust"]) in body


@pytest.mark.parametrize(
    "planning, delivery", [("professional", "professional"), ("community", "professional")]
)
def test_refused_combinations_are_explained_and_keep_the_answers(
    client, vocabularies, planning, delivery
):
    response = client.post(
        reverse("submit_step", args=["who"]), {"planning": planning, "delivery": delivery}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert v.MATRIX[planning, delivery].note.split(":")[0] in body
    assert f'value="{planning}"' in body and "checked" in body
    assert Case.objects.count() == 0


def test_errors_keep_everything_typed_and_are_summarised(client, vocabularies):
    data = {**ANSWERS["about"], "title": "", "end_year": "2001"}
    response = client.post(reverse("submit_step", args=["about"]), data)
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_title"' in body
    assert "Enter the name of the service or initiative." in body
    assert "Residents and rangers redesigned" in body
    assert "Leave the end year empty if it is still running." in body


def test_back_button_shows_saved_answers(client, vocabularies):
    client.post(reverse("submit_step", args=["about"]), ANSWERS["about"])
    body = client.get(reverse("submit_step", args=["about"])).content.decode()
    assert "Friends of Riverside Park" in body


def test_check_page_sends_back_to_the_first_missing_step(client, vocabularies):
    client.post(reverse("submit_step", args=["who"]), ANSWERS["who"])
    response = client.get(reverse("submit_check"))
    assert response.url == reverse("submit_step", args=["participation"])


def test_a_source_is_required(client, vocabularies):
    rows = {**ROWS, "outcomes-0-statement": "Better", "outcomes-0-benefit_group": "citizens"}
    response = client.post(reverse("submit_step", args=["outcomes"]), rows)
    assert response.status_code == 200
    assert "Give at least 1 source" in response.content.decode()


def test_honeypot_refuses_politely_and_creates_nothing(client, vocabularies):
    fill_in(client)
    response = client.post(reverse("submit_check"), {"website": "http://spam.example"})
    assert response.status_code == 400
    assert "has not been sent yet" in response.content.decode()
    assert Case.objects.count() == 0


def test_too_fast_refuses_and_keeps_the_answers(client, vocabularies, settings):
    settings.SUBMISSION_MIN_SECONDS = 3600
    fill_in(client)
    response = send(client)
    assert response.status_code == 400
    assert Case.objects.count() == 0
    settings.SUBMISSION_MIN_SECONDS = 0
    assert send(client).status_code == 302
    assert Case.objects.count() == 1


def test_rate_limit_refuses_with_429_and_creates_nothing(client, vocabularies, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SUBMISSION_RATE = "2/h"
    for _ in range(2):
        fill_in(client)
        assert send(client).status_code == 302
    fill_in(client)
    response = send(client)
    assert response.status_code == 429
    assert Case.objects.count() == 2
    cache.clear()


def test_contact_details_never_appear_publicly(client, vocabularies, django_user_model):
    from catalogue import services

    fill_in(client)
    send(client)
    case = Case.objects.get()
    services.case_publish(case=case, actor=django_user_model.objects.create(username="ed"))
    for url in [
        "/",
        "/cases/",
        case.get_absolute_url(),
        "/cases/?q=riverside",
        "/guide/",
        "/matrix/",
    ]:
        body = client.get(url).content.decode()
        assert "alex@newport.example" not in body and "Alex Officer" not in body, url


def test_tracking_link_is_unguessable_and_404_otherwise(client, db):
    assert client.get("/track/not-a-real-token/").status_code == 404
    assert client.get("/track/" + "x" * 500 + "/").status_code == 404


def test_problem_report_is_saved_for_editors(client, make_case):
    case = make_case()
    response = client.post(
        reverse("report_problem", args=[case.slug]),
        {"reason": "source", "details": "The link is broken."},
    )
    assert response.status_code == 302
    report = ProblemReport.objects.get()
    assert report.case == case and report.details == "The link is broken."


def test_problem_report_spam_guards(client, make_case, settings):
    from django.core.cache import cache

    cache.clear()
    case = make_case()
    url = reverse("report_problem", args=[case.slug])
    assert (
        client.post(url, {"reason": "other", "details": "x", "website": "spam"}).status_code == 400
    )
    settings.REPORT_RATE = "1/h"
    assert client.post(url, {"reason": "other", "details": "first"}).status_code == 302
    assert client.post(url, {"reason": "other", "details": "second"}).status_code == 429
    assert ProblemReport.objects.count() == 1
    cache.clear()


def test_problem_report_only_for_published_cases(client, make_case):
    case = make_case(status="submitted")
    assert client.get(reverse("report_problem", args=[case.slug])).status_code == 404


def test_a_database_failure_mid_submission_leaves_nothing_and_keeps_the_answers(
    client, vocabularies, monkeypatch
):
    from django.db import OperationalError

    from catalogue.models import Outcome, Source

    real_bulk_create = Source.objects.bulk_create

    def failing(*args, **kwargs):
        raise OperationalError("the database went away")

    fill_in(client)
    monkeypatch.setattr(Source.objects, "bulk_create", failing)
    response = send(client)
    assert response.status_code == 302 and response.url == reverse("submit_check")
    assert Case.objects.count() == 0 and Outcome.objects.count() == 0
    assert ModerationEvent.objects.count() == 0
    page = client.get(reverse("submit_check"))
    assert "could not be saved just now" in page.content.decode()
    assert "Friends of Riverside Park" in page.content.decode()
    monkeypatch.setattr(Source.objects, "bulk_create", real_bulk_create)
    assert send(client).status_code == 302
    assert Case.objects.count() == 1


def test_send_pressed_twice_creates_one_case(client, vocabularies):
    fill_in(client)
    first, second = send(client), send(client)
    assert first.status_code == second.status_code == 302
    assert second.url == reverse("submit_done")
    assert Case.objects.count() == 1


def test_the_same_draft_sent_by_two_requests_at_once_creates_one_case(client, vocabularies):
    """Both requests read the draft before either saved it; the draft's nonce makes the second
    sending find the first case instead of creating another."""
    from catalogue import services
    from catalogue.drafts import Draft, document_from

    fill_in(client)
    draft = Draft(client.session)
    forms = draft.forms()
    assert draft.first_incomplete(forms) is None
    document = document_from(forms)
    contact = services.Contact(**forms["contact"].cleaned_data)
    first, token = services.case_submit(document=document, contact=contact, nonce=draft.nonce)
    again, same = services.case_submit(document=document, contact=contact, nonce=draft.nonce)
    assert (again.pk, same) == (first.pk, token)
    assert Case.objects.count() == 1


def test_two_examples_of_the_same_title_sent_at_once_are_both_saved(
    client, vocabularies, monkeypatch
):
    """The second request chose the address before the first saved it: it must neither write
    over the first case nor fail, but be saved under the next free address."""
    from catalogue import services
    from catalogue.drafts import Draft, document_from

    fill_in(client)
    draft = Draft(client.session)
    forms = draft.forms()
    assert draft.first_incomplete(forms) is None
    document = document_from(forms)
    contact = services.Contact(**forms["contact"].cleaned_data)
    first, _ = services.case_submit(document=document, contact=contact)
    chosen = iter([first.slug])  # the address the other request found free a moment ago
    real = services._unique_slug
    monkeypatch.setattr(services, "_unique_slug", lambda title: next(chosen, None) or real(title))
    second, _ = services.case_submit(document=document, contact=contact)
    assert second.pk != first.pk and second.slug == f"{first.slug}-2"
    assert Case.objects.count() == 2
    assert Case.objects.get(pk=first.pk).reference == first.reference  # never written over


@pytest.mark.parametrize(
    "header",
    [None, "", "not-an-address", "1.2.3.4, garbage", "::1, 203.0.113.9", "\x00", "9" * 300],
)
def test_a_missing_or_malformed_client_address_header_never_fails(
    client, vocabularies, settings, header
):
    """Behind a proxy (DJANGO_CLIENT_IP_HEADER), a bad header used to give a server error."""
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    extra = {} if header is None else {"HTTP_X_REAL_IP": header}
    fill_in(client)
    response = client.post(reverse("submit_check"), {}, **extra, REMOTE_ADDR="")
    assert response.status_code == 302
    assert Case.objects.count() == 1
