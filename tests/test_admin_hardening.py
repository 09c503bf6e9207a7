"""The editors' admin under hostile or careless use: sign-in throttling, creating editor accounts,
evidence changes made in the case form reaching the moderation log, hostile list parameters and
control characters typed into the case form."""

import io
import re

import hypothesis
import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command
from django.urls import reverse

from catalogue import services
from catalogue.models import Case, ModerationEvent
from tests.conftest import EDITOR_PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
OFFICE = "198.51.100.7"


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Dozens of sign-ins per test: a fast hasher keeps them quick (the rules are the same)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def sign_in(app, username, password, address=OFFICE, **environ):
    """Open the sign-in page in a fresh browser and send the form, as an editor would."""
    app.reset()
    environ = {"REMOTE_ADDR": address, **environ}
    form = app.get(LOGIN, extra_environ=environ).forms["login-form"]
    form["username"] = username
    form["password"] = password
    return form.submit(extra_environ=environ)


def signed_in(response):
    return response.status_code == 302 and response.follow().status_code == 200


def refused(response):
    return response.status_code == 200 and "Too many failed sign-ins" in response.text


# 1. Sign-in throttling


def test_ten_failed_sign_ins_lock_the_account_for_a_while_whatever_the_address(
    django_app, editor, clock
):
    for attempt in range(10):
        response = sign_in(django_app, "editor", "wrong", address=f"203.0.113.{attempt + 1}")
        assert "Please enter the correct username and password" in response.text
    # The right password, from yet another address, is refused too, and the page says when to
    # try again.
    response = sign_in(django_app, "editor", EDITOR_PASSWORD, address="192.0.2.99")
    assert refused(response)
    assert re.search(
        r"Try again after \d\d:\d\d \(in (about \d+ minutes|a minute)\)", response.text
    )
    # Another account is not affected.
    other = get_user_model().objects.create_user(
        "editor2", "", "another-long-password", is_staff=True
    )
    other.groups.add(Group.objects.get(name="Editors"))
    assert signed_in(sign_in(django_app, "editor2", "another-long-password"))
    # After the window, the editor signs in.
    clock.advance(16 * 60)
    assert signed_in(sign_in(django_app, "editor", EDITOR_PASSWORD, address="192.0.2.99"))


def test_the_account_is_counted_whatever_the_case_of_the_name(django_app, editor, clock):
    for name in ["editor", "EDITOR", " Editor"] * 4:
        sign_in(django_app, name, "wrong", address="203.0.113.1")
    assert refused(sign_in(django_app, "editor", EDITOR_PASSWORD, address="192.0.2.99"))


def test_thirty_failed_sign_ins_from_one_address_lock_that_address(django_app, editor, clock):
    for attempt in range(30):
        sign_in(django_app, f"guess{attempt}", "wrong")
    assert refused(sign_in(django_app, "editor", EDITOR_PASSWORD))
    # The editor, from anywhere else, is not locked out.
    assert signed_in(sign_in(django_app, "editor", EDITOR_PASSWORD, address="192.0.2.99"))
    clock.advance(16 * 60)
    assert signed_in(sign_in(django_app, "editor", EDITOR_PASSWORD))


def test_successful_sign_ins_are_not_counted(django_app, editor, clock):
    for _ in range(35):
        assert signed_in(sign_in(django_app, "editor", EDITOR_PASSWORD))


def test_a_few_mistakes_do_not_lock_anyone_out(django_app, editor, clock):
    for _ in range(9):
        sign_in(django_app, "editor", "wrong")
    assert signed_in(sign_in(django_app, "editor", EDITOR_PASSWORD))


def test_force_login_is_not_throttled(client, editor, django_app, clock):
    for _ in range(12):
        sign_in(django_app, "editor", "wrong")
    client.force_login(editor)
    assert client.get(reverse("admin:index")).status_code == 200


def test_behind_a_proxy_the_address_comes_from_the_client_ip_header(django_app, editor, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    # Every request arrives from the proxy; the header tells the clients apart.
    for attempt in range(30):
        sign_in(
            django_app, f"guess{attempt}", "wrong", address="10.0.0.1", HTTP_X_REAL_IP="192.0.2.1"
        )
    assert refused(
        sign_in(
            django_app, "editor", EDITOR_PASSWORD, address="10.0.0.1", HTTP_X_REAL_IP="192.0.2.1"
        )
    )
    assert signed_in(
        sign_in(
            django_app, "editor", EDITOR_PASSWORD, address="10.0.0.1", HTTP_X_REAL_IP="192.0.2.2"
        )
    )


@pytest.mark.parametrize(
    "header",
    [
        None,
        "",
        "not-an-address",
        "192.0.2.1, 198.51.100.3",
        "192.0.2.300",
        "\x00",
        "::1%eth0",
        "[::1]",
    ],
)
def test_a_missing_or_malformed_client_ip_header_never_breaks_sign_in(
    django_app, editor, settings, header
):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    environ = {} if header is None else {"HTTP_X_REAL_IP": header}
    assert "Please enter the correct" in sign_in(django_app, "editor", "wrong", **environ).text
    assert signed_in(sign_in(django_app, "editor", EDITOR_PASSWORD, **environ))


def test_a_malformed_header_falls_back_to_the_connection_address(django_app, editor, settings):
    settings.CLIENT_IP_HEADER = "HTTP_X_REAL_IP"
    for attempt in range(30):
        sign_in(django_app, f"guess{attempt}", "wrong", HTTP_X_REAL_IP="garbage")
    assert refused(sign_in(django_app, "editor", EDITOR_PASSWORD))


# 2. Creating editor accounts


class TTY(io.StringIO):
    def isatty(self):
        return True


def test_create_editor_without_input_takes_the_password_from_the_environment(
    monkeypatch, django_app
):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a-quite-long-passphrase")
    out = io.StringIO()
    call_command("create_editor", "alice", "--email", "alice@example.org", "--noinput", stdout=out)
    user = get_user_model().objects.get(username="alice")
    assert user.is_staff and not user.is_superuser and user.is_active
    assert user.email == "alice@example.org"
    assert list(user.groups.values_list("name", flat=True)) == ["Editors"]
    assert "alice" in out.getvalue()
    # The new editor signs in and reaches the editors' workspace.
    response = sign_in(django_app, "alice", "a-quite-long-passphrase")
    assert signed_in(response)
    assert "Editors' workspace" in response.follow().html.title.get_text()


@pytest.mark.parametrize(
    "password, message",
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("84736251948", "entirely numeric"),
        ("alice.example", "too similar"),
    ],
)
def test_create_editor_without_input_validates_the_password(monkeypatch, password, message):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        call_command("create_editor", "alice", "--email", "alice@example.org", "--noinput")
    assert not get_user_model().objects.filter(username="alice").exists()


def test_create_editor_without_input_needs_the_password(monkeypatch):
    monkeypatch.delenv("DJANGO_EDITOR_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="DJANGO_EDITOR_PASSWORD"):
        call_command("create_editor", "alice", "--noinput")
    assert not get_user_model().objects.filter(username="alice").exists()


def test_create_editor_refuses_an_existing_name(editor, monkeypatch):
    monkeypatch.setenv("DJANGO_EDITOR_PASSWORD", "a-quite-long-passphrase")
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_editor", "editor", "--noinput")
    editor.refresh_from_db()
    assert editor.check_password(EDITOR_PASSWORD)


def test_create_editor_asks_for_the_password_twice_until_it_is_good(monkeypatch):
    answers = iter(
        [
            "a-quite-long-passphrase",  # typed twice, differently
            "a-quite-long-passfrase",
            "password",  # too common
            "password",
            "a-quite-long-passphrase",
            "a-quite-long-passphrase",
        ]
    )
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    err = io.StringIO()
    call_command("create_editor", "bob", stdin=TTY(), stdout=io.StringIO(), stderr=err)
    assert "did not match" in err.getvalue()
    assert "too common" in err.getvalue()
    user = get_user_model().objects.get(username="bob")
    assert user.check_password("a-quite-long-passphrase")
    assert user.is_staff and user.groups.filter(name="Editors").exists()


def test_create_editor_without_a_terminal_says_to_use_noinput():
    with pytest.raises(CommandError, match="--noinput"):
        call_command("create_editor", "bob", stdin=io.StringIO())


# 3. Evidence changes in the case form are recorded in the moderation log


@pytest.fixture
def editor_app(django_app, editor):
    django_app.set_user(editor)
    return django_app


def change_form(app, case):
    """The case's change form, reached from the case list as an editor would."""
    changelist = app.get(reverse("admin:catalogue_case_changelist") + "?queue=all")
    return changelist.click(
        case.title, href=reverse("admin:catalogue_case_change", args=[case.pk])
    ).forms["case_form"]


def test_changing_the_evidence_level_in_the_form_is_recorded(editor_app, editor, make_case):
    case = make_case(title="Published case")
    assert case.status == "published" and case.evidence_level == 1 and case.evidence_confirmed
    form = change_form(editor_app, case)
    form["evidence_level"] = "3"
    assert form.submit("_save").status_code == 302
    case.refresh_from_db()
    assert case.evidence_level == 3
    event = case.events.get()
    assert event.action == ModerationEvent.Action.CHANGE_EVIDENCE
    assert event.actor == editor
    assert event.from_status == event.to_status == "published"
    assert "Level changed from 1 to 3" in event.reason
    # The step is in the case's moderation log on its page.
    page = editor_app.get(reverse("admin:catalogue_case_change", args=[case.pk]))
    assert "Level changed from 1 to 3" in page.text


def test_unconfirming_the_evidence_in_the_form_is_recorded(editor_app, editor, make_case):
    case = make_case(title="Published case")
    form = change_form(editor_app, case)
    form["evidence_confirmed"] = False
    form.submit("_save")
    case.refresh_from_db()
    assert not case.evidence_confirmed
    event = case.events.get()
    assert event.actor == editor and "no longer confirmed" in event.reason.lower()


def test_confirming_the_evidence_in_the_form_is_recorded(editor_app, editor, make_case):
    case = make_case(title="Published case", evidence={**_evidence(), "confirmed": False})
    form = change_form(editor_app, case)
    form["evidence_confirmed"] = True
    form.submit("_save")
    event = Case.objects.get(pk=case.pk).events.get()
    assert event.action == ModerationEvent.Action.CHANGE_EVIDENCE and event.actor == editor


def test_other_edits_leave_the_moderation_log_alone(editor_app, make_case):
    case = make_case(title="Published case")
    form = change_form(editor_app, case)
    form["summary"] = "A better summary."
    form.submit("_save")
    assert Case.objects.get(pk=case.pk).summary == "A better summary."
    assert not ModerationEvent.objects.filter(case=case).exists()


def test_case_save_records_evidence_changes_itself(editor, make_case):
    case = make_case()
    case.evidence_level = 2
    services.case_save(case=case, created=False, actor=editor)
    event = case.events.get()
    assert event.actor == editor and "Level changed from 1 to 2" in event.reason


def _evidence():
    from tests.conftest import case_doc

    return case_doc()["evidence"]


# 4. Hostile list parameters never give a server error

HOSTILE = {
    "nul": "%00",
    "nul-inside": "a%00b",
    "controls": "%01%08%0B%1F%7F%C2%85%E2%80%A8",
    "bad-utf8": "%FF%FE%ED%A0%80",
    "long": "x" * 5000,
    "long-number": "9" * 5000,
    "big-number": "99999999999999999999999",
    "negative": "-1",
    "quotes": "%27%22%5C%25",
    "empty": "",
}

# Parameters every changelist reads, and field lookups it passes to the database.
GENERIC = ["q", "o", "p", "e", "all", "_facets", "_to_field", "_popup", "pk", "id__in", "id__gt"]


def changelists():
    return sorted((model._meta.app_label, model._meta.model_name) for model in admin.site._registry)


def list_parameters(client, model):
    """The parameters of the filter links the changelist renders, the ones every changelist
    reads, and the model's text fields as raw lookups."""
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    page = client.get(url).content.decode()
    links = re.findall(r'href="\?([^"]*)"', page)
    names = {name for link in links for name in re.findall(r"(?:^|&amp;)([^=&]+)=", link)}
    text = {
        f.name for f in model._meta.fields if f.get_internal_type() in ("CharField", "TextField")
    }
    return url, sorted(names | text | set(GENERIC))


def hostile_values(index):
    """Every hostile value under `make fuzz`; otherwise the two that found server errors (NUL, a
    number too long for the database) and one more, in turn, so each value meets some names."""
    values = list(HOSTILE.values())
    if hypothesis.settings.default.max_examples >= 500:
        return values
    return [HOSTILE["nul"], HOSTILE["long-number"], values[index % len(values)]]


@pytest.mark.parametrize("app_label, model_name", changelists())
def test_hostile_list_parameters_never_give_a_server_error(
    admin_client, make_case, app_label, model_name
):
    """Every changelist, every parameter, each hostile value alone and in a list."""
    case = make_case()
    services.report_create(case=case, reason="other", details="A detail.")
    model = next(m for m in admin.site._registry if m._meta.model_name == model_name)
    url, names = list_parameters(admin_client, model)
    failures, answered = [], set()
    for index, name in enumerate(names):
        for value in hostile_values(index):
            for query in [f"{name}={value}", f"{name}={value}&{name}=1"]:
                response = admin_client.get(f"{url}?{query}")
                if response.status_code >= 500:
                    failures.append(query[:80])
                elif response.status_code == 302 and response.url not in answered:
                    answered.add(response.url)
                    if admin_client.get(response.url).status_code >= 500:
                        failures.append(f"{query[:80]} -> {response.url}")
    assert failures == []


@pytest.mark.parametrize(
    "query",
    ["country=%00", "country=a%00", "q=%00", "status=a%00", "queue=%00", "planning=%00"],
)
def test_the_reported_hostile_queries_are_answered(admin_client, make_case, query):
    make_case()
    response = admin_client.get(f"/admin/catalogue/case/?{query}")
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        assert response.url.endswith("?e=1")
        assert admin_client.get(response.url).status_code == 200


def test_the_country_filter_still_filters(admin_client, make_case):
    make_case(slug="in-brazil", title="In Brazil", country="BR")
    make_case(slug="in-norway", title="In Norway", country="NO")
    page = admin_client.get("/admin/catalogue/case/?queue=all&country=BR").content.decode()
    assert "In Brazil" in page and "In Norway" not in page
    # Lower case is read as the code it means; a code no case could have is refused.
    page = admin_client.get("/admin/catalogue/case/?queue=all&country=no").content.decode()
    assert "In Norway" in page and "In Brazil" not in page
    response = admin_client.get("/admin/catalogue/case/?queue=all&country=ZZ")
    assert response.status_code == 302 and response.url.endswith("?e=1")


# 5. Control characters typed into the case form and its inlines


PASTED = "First line\x0bsecond line\x0cthird\u2028fourth\u2029fifth\x00\x07\x1b[0m end\tTab"
CLEANED = "First line\nsecond line\nthird\nfourth\nfifth[0m end\tTab"


def test_control_characters_never_reach_the_database_through_the_case_form(editor_app, make_case):
    case = make_case(title="Published case")
    form = change_form(editor_app, case)
    for name in ["summary", "description", "lessons", "costs", "evidence_rationale"]:
        form[name] = PASTED
    form["title"] = "A title\x0bwith a pasted break\x00"
    form["locality"] = "Town\x07"
    form["outcomes-0-statement"] = PASTED
    form["outcomes-0-figure"] = "12\x00%"
    form["sources-0-citation"] = PASTED
    form["sources-0-locator"] = "p.\x0b3"
    assert form.submit("_save").status_code == 302
    case.refresh_from_db()
    for name in ["summary", "description", "lessons", "costs", "evidence_rationale"]:
        assert getattr(case, name).replace("\r\n", "\n") == CLEANED, name
    assert (
        case.title == "A title\nwith a pasted break" or case.title == "A title with a pasted break"
    )
    assert case.locality == "Town"
    outcome = case.outcomes.get()
    assert outcome.statement.replace("\r\n", "\n") == CLEANED and outcome.figure == "12%"
    source = case.sources.get()
    assert source.citation.replace("\r\n", "\n") == CLEANED and source.locator == "p.\n3"


def test_a_new_outcome_added_in_the_admin_is_cleaned(editor_client_factory, make_case):
    case = make_case(title="Published case")
    client = editor_client_factory()
    url = reverse("admin:catalogue_case_change", args=[case.pk])
    from tests.test_moderation import _change_form_data

    data = _change_form_data(client, case)
    data["outcomes-TOTAL_FORMS"] = "2"
    data["outcomes-1-statement"] = "Pasted\u2028statement\x00"
    data["outcomes-1-benefit_group"] = "citizens"
    data["outcomes-1-position"] = "1"
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert set(case.outcomes.values_list("statement", flat=True)) >= {"Pasted\nstatement"}


@pytest.fixture
def editor_client_factory(client, editor):
    def make():
        client.force_login(editor)
        return client

    return make


def test_a_pasted_break_in_a_term_or_a_report_note_is_cleaned(admin_client, vocabularies):
    from catalogue.models import ServiceArea

    response = admin_client.post(
        reverse("admin:catalogue_servicearea_add"),
        {"name": "Parks\x0band gardens", "slug": "parks", "description": "Green\u2028spaces\x00"},
    )
    assert response.status_code == 302
    area = ServiceArea.objects.get(slug="parks")
    assert (area.name, area.description) == ("Parks\nand gardens", "Green\nspaces")
