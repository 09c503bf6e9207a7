"""Case texts in the reader's language: the Welsh text where it has been written, else the English
one, marked as English so that screen readers pronounce it right and readers know no Welsh version
exists yet.

The Welsh texts are model fields beside the English ones (`title_cy`, `summary_cy`,
`description_cy`; `Outcome.statement_cy`; a service area's or co-producer's `name_cy` and
`description_cy`), not a translation library: only these texts are bilingual, the rest of a case
(names, places, figures, citations) is the same in both languages, and the search index, the
exports and the admin name the fields directly. Templates ask through
`{% localised case "title" as title %}` (templatetags/bilingual.py).
"""

from django.utils import translation

from catalogue.languages import ENGLISH, WELSH, html_code

WELSH_FIELDS = {
    "title": "title_cy",
    "summary": "summary_cy",
    "description": "description_cy",
    "statement": "statement_cy",
    "name": "name_cy",
}


class Text(str):
    """A case text as shown, a string that knows its language: `lang` (HTML code), and
    `fallback`, true when a Welsh page shows it in English (no Welsh version yet, or a text
    that exists only in English)."""

    def __new__(cls, text, lang, fallback=False):
        shown = super().__new__(cls, text)
        shown.lang, shown.fallback = lang, fallback
        return shown

    @property
    def text(self):
        return str(self)


def localised(obj, field):
    """The text of `field` (a key of WELSH_FIELDS) in the language of the page being shown, or
    in English where it has no Welsh version."""
    english = getattr(obj, field) or ""
    if translation.get_language() != WELSH:
        return Text(english, html_code(ENGLISH))
    welsh = getattr(obj, WELSH_FIELDS[field], "") or ""
    if welsh.strip():
        return Text(welsh, html_code(WELSH))
    return Text(english, html_code(ENGLISH), fallback=bool(english))


def english_only(text):
    """A text that exists only in English (a place, an organisation, a citation), as shown:
    marked as English on a Welsh page."""
    return Text(text or "", html_code(ENGLISH), translation.get_language() == WELSH and bool(text))
