""" "Add to comparison" on case pages and list cards. The cases chosen so far travel in the
address (`?compare=a,b`), so the comparison needs no session and works without JavaScript."""

from django import template
from django.utils.http import urlencode

from catalogue.practice import MAX_CASES, SLUG, chosen_slugs

register = template.Library()


def comparing(request):
    """The addresses of the cases chosen so far, from the page's own `compare` parameter."""
    if request is None:
        return []
    slugs, _ = chosen_slugs(request.GET.getlist("compare"))
    return [slug for slug in slugs if SLUG.match(slug)][:MAX_CASES]


@register.simple_tag(takes_context=True)
def compare_query(context):
    """ "?compare=a,b" to carry the comparison to the next page, or ""."""
    slugs = comparing(context.get("request"))
    return "?" + urlencode({"compare": ",".join(slugs)}) if slugs else ""


@register.simple_tag(takes_context=True)
def compare_value(context):
    """The comparison so far, as the value of a hidden `compare` field ("" for none)."""
    return ",".join(comparing(context.get("request")))


@register.inclusion_tag("includes/compare_add.html", takes_context=True)
def add_to_comparison(context, case):
    """A GET form leading to /compare/ with the comparison so far plus this case."""
    slugs = comparing(context.get("request"))
    return {
        "case": case,
        "chosen": case.slug in slugs,
        "full": len(slugs) >= MAX_CASES and case.slug not in slugs,
        "current": ",".join(slugs),
        "with_case": ",".join([*slugs, case.slug] if case.slug not in slugs else slugs),
        "count": len(slugs),
    }
