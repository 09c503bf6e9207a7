"""Stored script payloads, sent through the public forms, stay inert on every page, in search
snippets, exports, the feed and the admin: checked by running the pages in Chromium."""

import pytest
from django.test import Client
from django.urls import reverse

from catalogue import services
from catalogue.models import Case
from tests.conftest import EDITOR_PASSWORD
from tests.test_submission import ANSWERS

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

MARK = "window.__xss=1"
PAYLOADS = [
    f"<script>{MARK}</script>",
    f"<img src=x onerror={MARK}>",
    f"<svg onload={MARK}>",
    f"<body onload={MARK}>",
    f'"><script>{MARK}</script>',
    f"'><script>{MARK}</script>",
    f"</textarea><script>{MARK}</script>",
    f"</title><script>{MARK}</script>",
    f"<iframe src=javascript:{MARK}>",
    f'<a href="javascript:{MARK}">x</a>',
    f"<details open ontoggle={MARK}>",
    f"<input autofocus onfocus={MARK}>",
    f"<video><source onerror={MARK}></video>",
    f"<audio src=x onerror={MARK}>",
    f"<marquee onstart={MARK}>",
    f"<object data=javascript:{MARK}>",
    f"<embed src=javascript:{MARK}>",
    f"<math><mtext></mtext><script>{MARK}</script></math>",
    f"<style>@import 'javascript:{MARK}';</style>",
    f'<div style="background:url(javascript:{MARK})">',
    f"<scr<script>ipt>{MARK}</scr</script>ipt>",
    f"<SCRIPT>{MARK}</SCRIPT>",
    f"<ScRiPt>{MARK}</sCrIpT>",
    f"<script src=data:text/javascript,{MARK}></script>",
    f'<img src="x" onerror="{MARK}">',
    f"<img/src/onerror={MARK}>",
    f"<svg><script>{MARK}</script></svg>",
    f"<svg><animate onbegin={MARK} attributeName=x dur=1s>",
    f"<form><button formaction=javascript:{MARK}>x</button></form>",
    f"<isindex action=javascript:{MARK} type=image>",
    f"<base href=javascript:{MARK}//>",
    f"<link rel=import href=data:text/html,<script>{MARK}</script>>",
    f'<meta http-equiv="refresh" content="0;url=javascript:{MARK}">',
    f"<table background=javascript:{MARK}>",
    f"<xss onpointerover={MARK}>hover",
    "<img src=1 onerror=eval(atob('d2luZG93Ll9feHNzPTE='))>",
    f"javascript:{MARK}",
    f"{{{{{MARK}}}}}",
    f"${{{MARK}}}",
    f"<!--<script>{MARK}</script>-->",
    f"<![CDATA[<script>{MARK}</script>]]>",
    f"\u202e<script>{MARK}</script>",
    f"<img src=x onerror\x0b={MARK}>",
    f"<img src=x\x00onerror={MARK}>",
    f"<img src=x onerror={MARK}//",
    f"%3Cscript%3E{MARK}%3C/script%3E",
    f"&lt;script&gt;{MARK}&lt;/script&gt;",
    f'<noscript><p title="</noscript><img src=x onerror={MARK}>">',
    f"<select autofocus onfocus={MARK}>",
    f"<keygen autofocus onfocus={MARK}>",
    f"<textarea autofocus onfocus={MARK}>",
    f"<template><script>{MARK}</script></template><script>{MARK}</script>",
    f'"-{MARK}-"',
]


def submit(client, index, payload):
    for step, data in ANSWERS.items():
        if step == "about":
            data = {
                **data,
                "title": f"XSS {index} {payload}"[:200],
                "summary": f"village {payload}"[:400],
                "description": f"village {payload}",
                "locality": payload[:200],
                "lead_organisations": payload[:300],
                "lessons": payload,
            }
        if step == "outcomes":
            data = {
                **data,
                "outcomes-0-statement": payload,
                "outcomes-0-figure": payload[:200],
                "sources-0-citation": payload,
            }
        client.post(reverse("submit_step", args=[step]), data)
    return client.post(reverse("submit_check"), {}).url == reverse("submit_done")


def test_script_payloads_are_inert_everywhere(
    live_server, new_page, vocabularies, editor, settings
):
    assert len(PAYLOADS) >= 50
    settings.SUBMISSION_MIN_SECONDS = 0
    settings.SUBMISSION_RATE = settings.REPORT_RATE = "100000/h"
    refused = [p for i, p in enumerate(PAYLOADS) if not submit(Client(), i, p)]
    # Every payload is stored, as typed except for control characters (catalogue/text.py).
    assert refused == []
    cases = list(Case.objects.order_by("pk"))
    assert len(cases) == len(PAYLOADS) >= 50
    for case in cases[: len(cases) // 2]:
        services.case_publish(case=case, actor=editor)
    for payload in PAYLOADS[:10]:
        response = Client().post(
            reverse("report_problem", args=[cases[0].slug]), {"reason": "other", "details": payload}
        )
        assert response.status_code == 302
    published = list(Case.objects.published())
    pages = [
        "/",
        "/cases/",
        "/cases/?q=village",
        "/cases/?q=script",
        "/matrix/",
        "/guide/",
        "/codebook/",
        "/api/cases/?page_size=100",
        "/feeds/cases/",
        *[c.get_absolute_url() for c in published[:8]],
    ]
    admin_pages = [
        "/admin/catalogue/case/?queue=all",
        "/admin/catalogue/problemreport/",
        *[f"/admin/catalogue/case/{c.pk}/change/" for c in cases[:4] + cases[-4:]],
        *[f"/admin/catalogue/case/{c.pk}/history/" for c in cases[:2]],
        f"/admin/catalogue/problemreport/{cases[0].reports.first().pk}/change/",
    ]
    # Downloads are never rendered as HTML: their types say so, and nosniff forbids guessing.
    for path, kind in (("/cases.csv", "text/csv"), ("/cases.json", "application/json")):
        response = Client().get(path)
        assert (
            response["Content-Type"].startswith(kind)
            and response["X-Content-Type-Options"] == "nosniff"
        )
        assert response["Content-Disposition"].startswith("attachment")
    executed = []
    # The Content-Security-Policy is bypassed so that escaping alone is what is tested.
    page = new_page(bypass_csp=True)
    page.on("dialog", lambda dialog: (executed.append(("dialog", page.url)), dialog.dismiss()))
    for path in pages:
        page.goto(live_server.url + path)
        page.wait_for_timeout(50)
        if page.evaluate("window.__xss === 1"):
            executed.append(path)
    page.goto(live_server.url + "/admin/login/")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(EDITOR_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    for path in admin_pages:
        page.goto(live_server.url + path)
        page.wait_for_timeout(50)
        if page.evaluate("window.__xss === 1"):
            executed.append(path)
    assert executed == []
