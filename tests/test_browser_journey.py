"""The whole editorial journey in a real browser: submit, request changes, resubmit, publish."""

import pytest

from catalogue.models import Case
from tests.conftest import EDITOR_PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def admin_action(page, base, title, action, reason=None):
    page.goto(f"{base}/admin/catalogue/case/?queue=all")
    page.get_by_role("row", name=title).get_by_role("checkbox").check()
    page.select_option("select[name=action]", action)
    page.locator("button[name=index]").click()
    if reason is not None:
        page.get_by_label("Reason").fill(reason)
        page.locator("input[type=submit]").click()
    assert "updated" in page.locator(".messagelist").inner_text()


def test_submit_request_changes_resubmit_publish(
    live_server, new_page, vocabularies, editor, settings
):
    settings.SUBMISSION_MIN_SECONDS = 0
    base = live_server.url
    officer = new_page()
    officer.goto(f"{base}/submit/")
    officer.get_by_role("link", name="Start now").click()

    # Step 1: a refused combination is explained and keeps the answers.
    officer.get_by_label(
        "Professionals (council or agency staff) planned and designed it on their own"
    ).check()
    officer.get_by_label("Paid professional staff only").check()
    officer.get_by_role("button", name="Save and continue").click()
    assert "There is a problem" in officer.content()
    assert officer.get_by_label("Paid professional staff only").is_checked()
    officer.get_by_label(
        "Service users, residents or community groups planned or designed it together with professionals"
    ).check()
    officer.get_by_label(
        "Service users, volunteers or community members, without professional staff"
    ).check()
    officer.get_by_role("button", name="Save and continue").click()

    # Step 2 shows the matrix cell the answers give, before moving on.
    assert (
        "User/community delivery of co-planned or co-designed services"
        in officer.locator(".cell-panel").inner_text()
    )
    officer.get_by_label("Delivering the service", exact=False).check()
    officer.get_by_label("Mainly the people who take part", exact=False).check()
    officer.get_by_label("A wider group or the whole community", exact=False).check()
    officer.get_by_role("button", name="Save and continue").click()

    officer.get_by_label("We can explain clearly why it should work", exact=False).check()
    officer.get_by_label("Positive").check()
    officer.get_by_label("Qualitative:", exact=False).check()
    officer.get_by_label("In one or two sentences", exact=False).fill(
        "Interviews with users describe fewer trips to town."
    )
    officer.get_by_role("button", name="Save and continue").click()

    officer.get_by_label("Name of the service or initiative").fill("Llanfair community minibus")
    officer.get_by_label("Summary").fill(
        "Volunteers drive a minibus the village designed with the council."
    )
    officer.get_by_label("Description").fill(
        "Residents planned the routes with council transport officers; volunteers drive."
    )
    officer.get_by_label("Town, city or area").fill("Llanfair")
    officer.get_by_label("Transport").check()
    officer.get_by_label("Volunteers").check()
    officer.get_by_label("Year it started").fill("2018")
    officer.get_by_label("It is still running").check()
    officer.get_by_role("button", name="Save and continue").click()

    officer.locator("#id_sources-0-citation").fill(
        "Llanfair Community Council (2021) Minibus annual report."
    )
    officer.locator("#id_sources-0-kind").select_option("practitioner")
    officer.get_by_role("button", name="Save and continue").click()

    officer.get_by_label("Your name").fill("Rhian Officer")
    officer.get_by_label("Email address").fill("rhian@llanfair.example")
    officer.get_by_role("button", name="Continue to check your answers").click()

    assert "Check your answers" in officer.content()
    officer.get_by_role("button", name="Send my example").click()
    reference = officer.locator(".reference").inner_text()
    assert reference.startswith("CP-")
    tracking = officer.locator("#tracking-link").get_attribute("href")

    # The editor asks for changes.
    editor_page = new_page()
    editor_page.goto(f"{base}/admin/login/")
    editor_page.get_by_label("Username").fill("editor")
    editor_page.get_by_label("Password").fill(EDITOR_PASSWORD)
    editor_page.get_by_role("button", name="Log in").click()
    editor_page.goto(f"{base}/admin/catalogue/case/")
    assert "Llanfair community minibus" in editor_page.content()
    admin_action(
        editor_page,
        base,
        "Llanfair community minibus",
        "request_changes",
        "Please name the lead organisation.",
    )

    # The officer sees the reason, edits and resubmits.
    officer.goto(tracking)
    assert "Please name the lead organisation." in officer.content()
    officer.get_by_role("button", name="Edit and resubmit").click()
    officer.get_by_role("link", name="Change about the service").click()
    officer.get_by_label("Lead organisation(s)").fill("Llanfair Community Council")
    officer.get_by_role("button", name="Save and return to your answers").click()
    officer.get_by_role("button", name="Send my changes").click()
    assert officer.locator(".reference").inner_text() == reference

    # The editor publishes; the case is in the filtered list with the officer's classification.
    admin_action(editor_page, base, "Llanfair community minibus", "publish")
    public = new_page()
    public.goto(
        f"{base}/cases/?planning=co-planning&delivery=community&phase=co-deliver&type=collective"
    )
    public.get_by_role("link", name="Llanfair community minibus").click()
    assert "Llanfair Community Council" in public.content()
    assert "rhian@llanfair.example" not in public.content()

    editor_page.goto(f"{base}/admin/catalogue/case/{Case.objects.get().pk}/history/")
    history = editor_page.content()
    assert history.count("Llanfair community minibus") >= 1

    case = Case.objects.get()
    assert case.status == "published"
    assert (case.planning, case.delivery) == ("co-planning", "community")
    assert [e.action for e in case.events.all()] == [
        "submit",
        "request_changes",
        "resubmit",
        "publish",
    ]
    assert case.history.count() >= 3


def test_a_submission_in_welsh_from_the_home_page_to_the_confirmation(
    live_server, new_page, vocabularies, settings
):
    """An officer reads the site in Welsh, switches to it from the English home page, and sends
    an example through the Welsh form by the labels and buttons it shows; the confirmation, the
    tracking page and the e-mail are in Welsh, and the case remembers the language."""
    from django.core import mail
    from django.utils import translation
    from django.utils.translation import gettext

    from catalogue import vocabulary as v

    def cy(text):
        with translation.override("cy"):
            welsh = str(gettext(text) if isinstance(text, str) else text)
        assert welsh != str(text), f"no Welsh for {text!r}"
        return welsh

    settings.SUBMISSION_MIN_SECONDS = 0
    base = live_server.url
    officer = new_page(width=390, height=844)
    officer.goto(f"{base}/")
    officer.locator(".language-switch a").click()
    officer.wait_for_url(f"{base}/cy/")
    assert officer.locator("html").get_attribute("lang") == "cy"
    officer.get_by_role("link", name=cy("Submit a case")).first.click()
    officer.get_by_role("link", name=cy("Start now")).click()

    next_step = cy("Save and continue")
    officer.get_by_label(cy(v.PLAIN_ANSWERS["planning"]["co-planning"])).check()
    officer.get_by_label(cy(v.PLAIN_ANSWERS["delivery"]["community"])).check()
    officer.get_by_role("button", name=next_step).click()
    officer.get_by_label(cy(v.PLAIN_ANSWERS["phases"]["co-deliver"]), exact=False).check()
    officer.get_by_label(cy(v.PLAIN_ANSWERS["benefits"]["collective"]), exact=False).check()
    officer.get_by_role("button", name=next_step).click()
    officer.locator("input[name=statements]").first.check()
    officer.locator("input[name=direction][value=positive]").check()
    officer.locator("input[name=design]").first.check()
    officer.locator("textarea").first.fill("Mae cyfweliadau'n disgrifio llai o deithiau i'r dref.")
    officer.get_by_role("button", name=next_step).click()
    # Django's own message for a missing answer comes in Welsh too.
    officer.get_by_label(cy("Name of the service or initiative")).wait_for()
    officer.get_by_role("button", name=next_step).click()
    officer.locator(".error-summary").wait_for()
    assert cy("There is a problem") in officer.locator(".error-summary").inner_text()
    officer.get_by_label(cy("Name of the service or initiative")).fill("Bws mini cymunedol")
    officer.get_by_label(cy("Summary")).fill("Gwirfoddolwyr yn gyrru bws mini.")
    officer.get_by_label(cy("Description")).fill("Cynlluniodd y trigolion y llwybrau.")
    officer.get_by_label(cy("Town, city or area")).fill("Llanfair")
    officer.get_by_label("Trafnidiaeth").check()
    officer.get_by_label("Gwirfoddolwyr").check()
    officer.get_by_label(cy("Year it started")).fill("2018")
    officer.get_by_label(cy("It is still running")).check()
    officer.get_by_role("button", name=next_step).click()
    officer.locator("#id_sources-0-citation").fill("Cyngor Cymuned Llanfair (2021) Adroddiad.")
    officer.locator("#id_sources-0-kind").select_option("practitioner")
    officer.get_by_role("button", name=next_step).click()
    officer.get_by_label(cy("Your name")).fill("Rhian")
    officer.get_by_label(cy("Email address")).fill("rhian@llanfair.example")
    officer.get_by_role("button", name=cy("Continue to check your answers")).click()

    assert cy("Check your answers") in officer.content()
    officer.get_by_role("button", name=cy("Send my example")).click()
    assert officer.url.startswith(f"{base}/cy/submit/done/")
    assert officer.locator(".reference").inner_text().startswith("CP-")
    tracking = officer.locator("#tracking-link").get_attribute("href")
    assert "/cy/track/" in tracking
    officer.goto(tracking if tracking.startswith("http") else base + tracking)
    assert officer.locator("html").get_attribute("lang") == "cy"
    assert Case.objects.get().language == "cy"
    (message,) = [m for m in mail.outbox if "rhian@llanfair.example" in m.to]
    assert "/cy/track/" in message.body and cy("Submitted") not in ("",)
