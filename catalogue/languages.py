"""Welsh and English: the language of a page, the switch between them, and remembering the choice.

Pages are in English at their usual addresses and in Welsh under /cy/ (urls.py, `i18n_patterns`),
so every address that existed before Welsh stays as it was; Django's LocaleMiddleware reads the
language from the address. Data, downloads, feeds and the admin have one address each.

The switch on every page (templates/includes/language_switch.html) goes through `switch_language`,
which remembers the choice in the language cookie until the browser is closed and then shows the
same page, with its query, in the other language. A reader who chose Welsh and follows a link to
an English address is taken to its Welsh page by `PreferredLanguageMiddleware`, until they switch
back. Interface text is translated with gettext (locale/cy, terms in docs/glossary-cy.md); case
texts in Welsh are model fields (catalogue/bilingual.py).
"""

from django.conf import settings
from django.http import Http404, HttpResponseRedirect, QueryDict
from django.urls import reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation.trans_real import parse_accept_lang_header

ENGLISH = settings.LANGUAGE_CODE
WELSH = "cy"
NAMES = dict(settings.LANGUAGES)


def html_code(language):
    """The language as HTML's `lang` and `hreflang` write it (en-GB, cy)."""
    return translation.to_locale(language).replace("_", "-")


def page_in(language, full_path):
    """The address of the same page, with its query, in `language`; None if the page has only
    one address (data, downloads, the admin) or is no page at all."""
    current = translation.get_language_from_path(full_path) or ENGLISH
    if current == language:
        return full_path
    with translation.override(current):
        translated = translate_url(full_path, language)
    return None if translated == full_path else translated


def alternates(request):
    """Template context: the page's language, its address in each language, and the switch."""
    current = translation.get_language()
    full_path = request.get_full_path()
    pages = {code: page_in(code, full_path) for code in NAMES}
    if None in pages.values():
        return {"page_language": html_code(current)}
    other = WELSH if current != WELSH else ENGLISH
    return {
        "page_language": html_code(current),
        "page_alternates": [
            {"code": html_code(code), "url": request.build_absolute_uri(url)}
            for code, url in pages.items()
        ],
        "language_switch": {
            "code": html_code(other),
            "name": NAMES[other],
            "url": f"{reverse('switch_language', args=[other])}?{_next(pages[other])}",
        },
    }


def _next(path):
    query = QueryDict(mutable=True)
    query["next"] = path
    return query.urlencode(safe="/")


def current_language():
    """The language of the current request (or command), as one of settings.LANGUAGES' codes:
    the language a submission or an alert is made in, and its e-mails written in."""
    try:
        return translation.get_supported_language_variant(translation.get_language() or ENGLISH)
    except LookupError:
        return ENGLISH


def requested_language(request):
    """The language an API request asks its labels in: `lang` (en, en-gb or cy), else the best of
    its Accept-Language header that the site has, else English. A `lang` the site does not have is
    a ValueError whose message says which it has."""
    asked = request.GET.get("lang")
    if asked is not None:
        try:
            return translation.get_supported_language_variant(asked.strip().lower())
        except LookupError:
            raise ValueError(f"'lang' must be en or cy, not '{asked[:20]}'.") from None
    return accepted_language(request) or ENGLISH


def accepted_language(request):
    """The first language of the request's Accept-Language header that the site has, if any."""
    header = request.headers.get("Accept-Language", "")[:500]
    for code, _quality in parse_accept_lang_header(header):
        if code == "*":
            break
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return None


def switch_language(request, code):
    """Remember the reader's language and show the page they were on in it."""
    if code not in NAMES:
        raise Http404("No such language.")
    target = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    response = HttpResponseRedirect(page_in(code, target) or target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class PreferredLanguageMiddleware:
    """Take a reader who prefers Welsh from an English address to the same page in Welsh: one
    who chose Welsh with the switch, or, until they choose, whose browser asks for Welsh before
    English."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in ("GET", "HEAD") or translation.get_language() == WELSH:
            return self.get_response(request)
        welsh = page_in(WELSH, request.get_full_path())
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if welsh and (chosen or accepted_language(request)) == WELSH:
            response = HttpResponseRedirect(welsh)
        else:
            response = self.get_response(request)
        if welsh:
            # The answer depends on the reader's choice and their browser's languages.
            patch_vary_headers(response, ["Cookie", "Accept-Language"])
        return response
