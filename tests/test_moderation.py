"""The moderation workflow, its permissions, the editors' admin and concurrent edits."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.db import transaction
from django.urls import reverse

from catalogue import services
from catalogue.models import Case, ModerationEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def submitted(make_case):
    case, token = None, None

    def build(**overrides):
        nonlocal case, token
        from tests.conftest import case_doc

        doc = case_doc(**overrides)
        doc.pop("slug")
        case, token = services.case_submit(
            document=doc, contact=services.Contact(name="Sam", email="sam@council.example")
        )
        case.token = token
        return case

    return build


@pytest.mark.parametrize(
    "steps, final",
    [
        ([("publish", "")], "published"),
        ([("request_changes", "Add a source")], "changes_requested"),
        ([("reject", "Out of scope")], "rejected"),
        ([("request_changes", "More detail"), ("reject", "No reply")], "rejected"),
        ([("publish", ""), ("withdraw", "Found to be inaccurate")], "withdrawn"),
        ([("publish", ""), ("withdraw", "x"), ("publish", "")], "published"),
    ],
)
def test_transitions_record_who_when_from_to_and_why(
    submitted, editor, steps, final, django_capture_on_commit_callbacks
):
    case = submitted()
    for action, reason in steps:
        service = getattr(services, f"case_{action}")
        kwargs = {"reason": reason} if action != "publish" else {}
        with django_capture_on_commit_callbacks(execute=True):
            case = service(case=case, actor=editor, **kwargs)
    assert case.status == final
    events = list(case.events.all())
    assert [e.action for e in events] == ["submit"] + [a for a, _ in steps]
    assert all(e.actor == editor for e in events[1:])
    assert events[-1].to_status == final
    assert events[-1].reason == steps[-1][1]
    assert mail.outbox, "the submitter is told"
    assert mail.outbox[-1].to == ["sam@council.example"]


@pytest.mark.parametrize("action", ["request_changes", "reject", "withdraw"])
def test_reason_is_required(submitted, editor, action):
    case = submitted()
    if action == "withdraw":
        case = services.case_publish(case=case, actor=editor)
    with pytest.raises(services.TransitionError, match="reason"):
        getattr(services, f"case_{action}")(case=case, actor=editor, reason="  ")
    assert Case.objects.get(pk=case.pk).status == case.status


@pytest.mark.parametrize(
    "status, action",
    [
        ("rejected", "publish"),
        ("published", "request_changes"),
        ("submitted", "withdraw"),
        ("published", "reject"),
    ],
)
def test_transitions_from_the_wrong_status_are_refused(submitted, editor, status, action):
    case = submitted()
    Case.objects.filter(pk=case.pk).update(status=status)
    kwargs = {} if action == "publish" else {"reason": "x"}
    with pytest.raises(services.TransitionError):
        getattr(services, f"case_{action}")(case=case, actor=editor, **kwargs)
    assert Case.objects.get(pk=case.pk).status == status


def test_publishing_needs_a_source(submitted, editor):
    case = submitted()
    case.sources.all().delete()
    with pytest.raises(services.TransitionError, match="source"):
        services.case_publish(case=case, actor=editor)


def test_resubmission_through_the_tracking_link(client, submitted, editor, settings):
    settings.SUBMISSION_MIN_SECONDS = 0
    case = submitted(title="First title")
    services.case_request_changes(case=case, actor=editor, reason="Please add the year it ended.")
    track = client.get(reverse("track", args=[case.token]))
    assert "Please add the year it ended." in track.content.decode()
    response = client.post(reverse("track_edit", args=[case.token]))
    assert response.url == reverse("submit_check")
    about = client.get(reverse("submit_step", args=["about"]))
    assert "First title" in about.content.decode()
    data = {f.name: f.value() for f in about.context["form"] if f.value() not in (None, "")}
    data.update(title="Better title", ongoing="", end_year="2015", start_year="2010")
    data["service_areas"] = ["health"]
    data["co_producers"] = ["service-users"]
    assert client.post(reverse("submit_step", args=["about"]), data).status_code == 302
    assert client.post(reverse("submit_check"), {}).status_code == 302
    case.refresh_from_db()
    assert case.status == "submitted" and case.title == "Better title" and case.end_year == 2015
    assert [e.action for e in case.events.all()] == ["submit", "request_changes", "resubmit"]
    assert client.post(reverse("track_edit", args=[case.token])).status_code == 302
    assert Case.objects.count() == 1


def test_confirm_evidence_and_erase_personal_data(submitted, editor):
    case = submitted()
    token = case.token
    case = services.case_confirm_evidence(case=case, actor=editor, level=0)
    assert case.evidence_confirmed and case.evidence_level == 0
    case = services.case_erase_submitter(case=case, actor=editor)
    assert case.submitter_email == "" and case.submitter_name == "" and case.submitter_erased_at
    assert services.case_for_token(token) is None
    assert all("submitter_email" not in row for row in case.history.values())


# --- The admin ---------------------------------------------------------------


def test_editors_group_has_exactly_the_permissions_needed():
    codenames = set(
        Group.objects.get(name="Editors").permissions.values_list("codename", flat=True)
    )
    assert {
        "change_case",
        "view_case",
        "add_case",
        "change_problemreport",
        "view_historicalcase",
    } <= codenames
    assert "delete_case" not in codenames
    assert not any(
        c.endswith("_user") or c.endswith("_group") or c.endswith("_permission") for c in codenames
    )


def test_anonymous_users_cannot_reach_the_admin(client, submitted):
    case = submitted()
    response = client.get(reverse("admin:catalogue_case_change", args=[case.pk]))
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_editors_cannot_delete_cases_or_manage_users(editor_client, submitted):
    case = submitted()
    assert (
        editor_client.get(reverse("admin:catalogue_case_delete", args=[case.pk])).status_code == 403
    )
    assert editor_client.get(reverse("admin:auth_user_changelist")).status_code == 403
    assert editor_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_superuser_can_delete(admin_client, submitted):
    case = submitted()
    assert (
        admin_client.get(reverse("admin:catalogue_case_delete", args=[case.pk])).status_code == 200
    )


def test_admin_list_opens_on_what_is_waiting_oldest_first(editor_client, submitted, make_case):
    first = submitted(title="Older submission")
    second = submitted(title="Newer submission")
    make_case(title="Already published")
    response = editor_client.get(reverse("admin:catalogue_case_changelist"))
    titles = [c.title for c in response.context["cl"].result_list]
    assert titles == [first.title, second.title]
    everything = editor_client.get(reverse("admin:catalogue_case_changelist") + "?queue=all")
    assert "Already published" in [c.title for c in everything.context["cl"].result_list]


def test_admin_request_changes_asks_for_a_reason(editor_client, submitted):
    case = submitted()
    url = reverse("admin:catalogue_case_changelist")
    data = {"action": "request_changes", "_selected_action": [case.pk]}
    first = editor_client.post(url, data)
    assert first.status_code == 200 and b"Reason" in first.content
    assert Case.objects.get(pk=case.pk).status == "submitted"
    missing = editor_client.post(url, {**data, "apply": "1", "reason": ""})
    assert missing.status_code == 200
    assert Case.objects.get(pk=case.pk).status == "submitted"
    done = editor_client.post(url, {**data, "apply": "1", "reason": "Add the costs."})
    assert done.status_code == 302
    event = ModerationEvent.objects.filter(case=case).last()
    assert (event.action, event.reason, event.from_status, event.to_status) == (
        "request_changes",
        "Add the costs.",
        "submitted",
        "changes_requested",
    )


def test_admin_publish_action(editor_client, submitted, editor):
    case = submitted()
    editor_client.post(
        reverse("admin:catalogue_case_changelist"),
        {"action": "publish", "_selected_action": [case.pk]},
    )
    assert Case.objects.get(pk=case.pk).status == "published"
    assert ModerationEvent.objects.filter(case=case, action="publish", actor=editor).exists()


def _change_form_data(client, case):
    response = client.get(reverse("admin:catalogue_case_change", args=[case.pk]))
    form = response.context["adminform"].form
    data = {}
    for name, _field in form.fields.items():
        value = form[name].value()
        if value is None:
            continue
        if isinstance(value, list):
            data[name] = [str(x) for x in value]
        elif isinstance(value, bool):
            if value:
                data[name] = "on"
        else:
            data[name] = str(value)
    for formset in response.context["inline_admin_formsets"]:
        fs = formset.formset
        data.update({k: v for k, v in fs.management_form.initial.items()})
        data = {**data, **{f"{fs.prefix}-{k}": v for k, v in fs.management_form.initial.items()}}
        for i, form in enumerate(fs.forms):
            for name in form.fields:
                value = form[name].value()
                if value not in (None, False):
                    data[f"{fs.prefix}-{i}-{name}"] = (
                        str(value) if not isinstance(value, bool) else "on"
                    )
    return data


def test_two_editors_saving_at_once_the_second_is_told(
    client, editor, django_user_model, make_case
):
    case = make_case(title="Shared case")
    other = django_user_model.objects.create_user("editor2", "", "pw-editor-2", is_staff=True)
    other.groups.add(Group.objects.get(name="Editors"))
    from django.test import Client

    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(other)
    data_first = _change_form_data(first, case)
    data_second = _change_form_data(second, case)
    url = reverse("admin:catalogue_case_change", args=[case.pk])
    assert first.post(url, {**data_first, "title": "First editor's title"}).status_code == 302
    response = second.post(url, {**data_second, "title": "Second editor's title"})
    assert response.status_code == 200
    assert "Someone else saved this case" in response.content.decode()
    assert Case.objects.get(pk=case.pk).title == "First editor's title"


def test_history_records_field_level_changes(editor_client, make_case):
    case = make_case(title="Before")
    data = _change_form_data(editor_client, case)
    editor_client.post(
        reverse("admin:catalogue_case_change", args=[case.pk]), {**data, "title": "After"}
    )
    titles = list(case.history.values_list("title", flat=True))
    assert titles[:2] == ["After", "Before"]
    response = editor_client.get(reverse("admin:catalogue_case_history", args=[case.pk]))
    assert response.status_code == 200


def test_user_text_is_escaped_in_the_admin(editor_client, submitted):
    payload = "<script>alert('x')</script>"
    case = submitted(title=payload, summary=payload, description=payload)
    for url in [
        reverse("admin:catalogue_case_changelist"),
        reverse("admin:catalogue_case_change", args=[case.pk]),
        reverse("admin:catalogue_case_history", args=[case.pk]),
    ]:
        body = editor_client.get(url).content.decode()
        assert payload not in body, url


def test_the_queue_filters_fit_the_catalogue(editor_client, submitted, make_case):
    make_case(slug="in-brazil", country="BR")
    make_case(slug="in-norway", country="NO")
    submitted()
    page = editor_client.get(reverse("admin:catalogue_case_changelist")).content.decode()
    country_links = re.findall(r'href="\?[^"]*country=([A-Z]{2})[^"]*"', page)
    assert sorted(set(country_links)) == ["BR", "GB", "NO"]
    assert "Waiting for a decision" in page
    assert "queue=submitted" not in page
    assert "<title>Select case to change | Co-production Case Catalogue editors</title>" in page
    assert "Django administration" not in page


def test_the_reason_form_has_one_heading_and_a_breadcrumb(editor_client, submitted):
    case = submitted()
    page = editor_client.post(
        reverse("admin:catalogue_case_changelist"),
        {"action": "reject", "_selected_action": [case.pk]},
    ).content.decode()
    assert page.count("<h1>Reject</h1>") == 1
    breadcrumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', page, re.S)[1]
    assert "Cases</a>" in breadcrumbs and "Reject" in breadcrumbs


def test_a_submission_shows_editors_the_cases_it_resembles(editor_client, submitted, make_case):
    existing = make_case(slug="riverside", title="Friends of Riverside Park", locality="Newport")
    case = submitted(title="Friends of the Riverside Park", locality="Newport")
    page = editor_client.get(reverse("admin:catalogue_case_change", args=[case.pk]))
    body = page.content.decode()
    assert "Possible duplicates" in body
    assert reverse("admin:catalogue_case_change", args=[existing.pk]) in body
    unrelated = submitted(title="Tenant-led housing repairs", locality="Leeds")
    body = editor_client.get(reverse("admin:catalogue_case_change", args=[unrelated.pk]))
    assert "None found" in body.content.decode()


def test_a_withdrawal_invalidates_the_cache_again_after_its_commit(
    make_case, editor, django_capture_on_commit_callbacks
):
    """What another request cached between the change and its commit must not outlive it."""
    from catalogue.cache import catalogue_version

    case = make_case(status="published")
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        services.case_withdraw(case=case, actor=editor, reason="Out of date.")
        during = catalogue_version()
    assert catalogue_version() > during
