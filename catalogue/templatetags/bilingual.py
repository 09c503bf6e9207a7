from django import template
from django.utils import translation
from django.utils.html import format_html

from catalogue import bilingual
from catalogue.languages import ENGLISH, html_code

register = template.Library()


@register.simple_tag
def localised(obj, field):
    """`{% localised case "title" as title %}`: the text in the page's language (bilingual.py);
    `{{ title }}` is the text, `title.fallback` says it is English shown on a Welsh page."""
    return bilingual.localised(obj, field)


@register.simple_tag
def lang_if_fallback(text):
    """` lang="en-GB"` on the element holding an English text shown on a Welsh page."""
    if getattr(text, "fallback", False):  # interface text (a plain str) is in the page's language
        return format_html(' lang="{}"', text.lang)
    return ""


@register.simple_tag
def english_only():
    """` lang="en-GB"` on a Welsh page, for an element holding text that exists only in English
    (places, organisations, figures, citations, the rationale of a rating)."""
    if translation.get_language() == ENGLISH:
        return ""
    return format_html(' lang="{}"', html_code(ENGLISH))
