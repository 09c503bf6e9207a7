"""Review dates: when an editor last reviewed a case's classification and evidence rating, shown
on the case page, carried by the open data and the case documents, and the editors' list of
cases due for review again."""

import csv
import importlib
import io
import json
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from catalogue import services
from catalogue.interchange import case_document
from catalogue.models import Case, ModerationEvent
from catalogue.tabular import read_csv, write_csv
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:catalogue_case_changelist"


class Anchors(HTMLParser):
    """The page's links, as (href, text)."""

    def __init__(self, html):
        super().__init__()
        self.found, self._open = [], None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "a":
            self._open = [dict(attrs).get("href"), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        if tag == "a" and self._open is not None:
            self.found.append((self._open[0], " ".join(self._open[1].split())))
            self._open = None

    def href(self, starting):
        hrefs = [href for href, text in self.found if text.startswith(starting)]
        assert len(hrefs) == 1, f"one link “{starting}…”"
        return hrefs[0]


def submit(**overrides):
    document = case_doc(**overrides)
    document.pop("slug")
    case, _token = services.case_submit(
        document=document, contact=services.Contact(name="Sam", email="sam@council.example")
    )
    return case


def reviewed_line(client, case):
    """The case page's "last reviewed" entry, as text."""
    body = client.get(case.get_absolute_url()).content.decode()
    start = body.index("Classification and evidence last reviewed")
    return " ".join(body[start : body.index("</dd>", start)].split())


def test_confirming_and_publishing_in_the_admin_date_the_review_shown_everywhere(
    client, editor, vocabularies
):
    case = submit(title="Residents inspect their housing repairs")
    assert case.reviewed_at is None, "a submission has not been reviewed"
    client.force_login(editor)
    before = timezone.now().replace(microsecond=0)  # review dates are kept to the second
    for action in ("confirm_evidence", "publish"):
        response = client.post(
            reverse(CHANGELIST) + "?queue=all", {"action": action, "_selected_action": [case.pk]}
        )
        assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "published"
    assert before <= case.reviewed_at <= timezone.now()
    assert case.reviewed_by == editor
    client.logout()

    shown = timezone.localtime(case.reviewed_at)
    line = reviewed_line(client, case)
    assert f"{shown.day} {shown:%B %Y}" in line
    assert "Not yet reviewed" not in line
    api = client.get(reverse("api_case", args=[case.slug])).json()
    assert api["reviewed_at"] == case.reviewed_at.isoformat()
    assert "reviewed_by" not in api and "editor" not in json.dumps(api)
    rows = csv.DictReader(
        io.StringIO(b"".join(client.get("/cases.csv").streaming_content).decode())
    )
    assert {row["slug"]: row["reviewed_at"] for row in rows}[case.slug] == api["reviewed_at"]


def test_a_case_no_editor_has_reviewed_says_so(client, make_case):
    case = make_case(slug="unconfirmed", evidence={**case_doc()["evidence"], "confirmed": False})
    assert case.reviewed_at is None
    assert "Not yet reviewed by an editor" in reviewed_line(client, case)
    assert client.get(reverse("api_case", args=[case.slug])).json()["reviewed_at"] is None


def test_only_reviews_move_the_date(make_case, editor):
    case = make_case(slug="reviewed")
    assert case.reviewed_at is not None, "imported as published with its rating confirmed"
    first = case.reviewed_at - timedelta(days=1)
    Case.objects.filter(pk=case.pk).update(reviewed_at=first)
    case = Case.objects.get(pk=case.pk)

    case.summary = "A corrected summary."
    services.case_save(case=case, created=False, actor=editor)
    assert Case.objects.get(pk=case.pk).reviewed_at == first, "an edit is not a review"

    case = Case.objects.get(pk=case.pk)
    case.evidence_level = 2
    services.case_save(case=case, created=False, actor=editor)
    case = Case.objects.get(pk=case.pk)
    assert case.reviewed_at > first and case.reviewed_by == editor, "a re-rating is a review"

    case.evidence_confirmed = False
    services.case_save(case=case, created=False, actor=editor)
    assert Case.objects.get(pk=case.pk).reviewed_at == case.reviewed_at


def test_editors_list_the_cases_due_for_review_and_mark_them_reviewed(
    client, editor, make_case, settings
):
    settings.CATALOGUE_REVIEW_AGE_DAYS = 730
    now = timezone.now()
    old = make_case(slug="old", title="Reviewed long ago")
    recent = make_case(slug="recent", title="Reviewed lately")
    never = make_case(
        slug="never",
        title="Never reviewed",
        evidence={**case_doc()["evidence"], "confirmed": False},
    )
    waiting = submit(title="Waiting submission")
    Case.objects.filter(pk=old.pk).update(reviewed_at=now - timedelta(days=800))
    Case.objects.filter(pk=recent.pk).update(reviewed_at=now - timedelta(days=10))

    client.force_login(editor)
    start = client.get(reverse(CHANGELIST))
    due_href = Anchors(start.content.decode()).href("Due for review")
    due = client.get(reverse(CHANGELIST) + due_href)
    assert due.status_code == 200
    listed = {c.title for c in due.context["cl"].result_list}
    assert listed == {old.title, never.title}
    assert waiting.title not in listed

    settings.CATALOGUE_REVIEW_AGE_DAYS = 5
    again = client.get(reverse(CHANGELIST) + due_href)
    assert {c.title for c in again.context["cl"].result_list} == {
        old.title,
        never.title,
        recent.title,
    }
    settings.CATALOGUE_REVIEW_AGE_DAYS = 730

    response = client.post(
        reverse(CHANGELIST) + due_href,
        {"action": "mark_reviewed", "_selected_action": [old.pk, never.pk]},
    )
    assert response.status_code == 302
    after = client.get(reverse(CHANGELIST) + due_href)
    assert list(after.context["cl"].result_list) == []
    never = Case.objects.get(pk=never.pk)
    assert never.evidence_confirmed and never.reviewed_by == editor
    event = ModerationEvent.objects.get(case=never, action="review")
    assert (event.actor, event.reason) == (editor, "Evidence rating confirmed.")
    assert never.history.first().reviewed_at == never.reviewed_at, "the history keeps it"


@pytest.mark.parametrize("value", ["bogus", "%00", "due%00", "x" * 5000])
def test_hostile_review_filter_values_reopen_the_list(admin_client, make_case, value):
    make_case(slug="any")
    response = admin_client.get(reverse(CHANGELIST) + f"?review={value}")
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_case_documents_carry_the_review_date_both_ways(make_case):
    case = make_case(slug="round-trip")
    document = case_document(case)
    assert document["reviewed_at"] == case.reviewed_at.isoformat()
    stream = io.StringIO()
    write_csv([document], stream)
    stream.seek(0)
    (read_back,) = read_csv(stream)

    Case.objects.filter(pk=case.pk).update(reviewed_at=None)
    services.cases_import(documents=[read_back])
    assert Case.objects.get(pk=case.pk).reviewed_at == case.reviewed_at

    services.cases_import(documents=[{**document, "reviewed_at": "2024-05-06"}])
    assert Case.objects.get(pk=case.pk).reviewed_at.isoformat() == "2024-05-06T00:00:00+00:00"
    services.cases_import(documents=[{**document, "reviewed_at": None}])
    assert Case.objects.get(pk=case.pk).reviewed_at is None, "null: not yet reviewed"


@pytest.mark.parametrize(
    "value, message",
    [
        ("yesterday", "must be an ISO 8601 date and time"),
        (20240506, "must be an ISO 8601 date and time"),
        ("2024-13-40T00:00:00", "must be an ISO 8601 date and time"),
        ("2999-01-01T00:00:00Z", "cannot be in the future"),
    ],
)
def test_an_unreadable_review_date_is_refused_with_its_row_and_field(vocabularies, value, message):
    with pytest.raises(services.ImportFailed) as failure:
        services.cases_import(documents=[case_doc(reviewed_at=value)])
    (error,) = failure.value.errors
    assert (error.row, error.field) == (1, "reviewed_at")
    assert message in error.message


def test_a_submission_cannot_claim_a_review(vocabularies):
    case = submit(reviewed_at="2024-01-01T00:00:00Z")
    assert case.reviewed_at is None


def test_the_migration_dates_confirmed_published_cases_from_their_publication(make_case):
    migration = importlib.import_module("catalogue.migrations.0016_review_dates")
    confirmed = make_case(slug="confirmed")
    unconfirmed = make_case(
        slug="unconfirmed", evidence={**case_doc()["evidence"], "confirmed": False}
    )
    waiting = make_case(slug="waiting", status="submitted")
    published_at = timezone.now() - timedelta(days=900)
    Case.objects.update(reviewed_at=None, published_at=published_at)
    Case.objects.filter(pk=waiting.pk).update(published_at=None)

    migration.reviewed_when_published(apps, None)
    dates = dict(Case.objects.values_list("slug", "reviewed_at"))
    assert dates[confirmed.slug] == published_at
    assert dates[unconfirmed.slug] is None
    assert dates[waiting.slug] is None
