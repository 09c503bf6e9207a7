"""The `jsonld` filter: a dict as JSON that is safe inside a <script> element (metadata.py)."""

from django import template

from catalogue.metadata import script_json

register = template.Library()


@register.filter
def jsonld(data):
    """`data` as JSON for a <script type="application/ld+json"> element."""
    return script_json(data)
