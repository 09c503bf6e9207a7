"""Text at the boundary: what the catalogue accepts in a field of text, in one place.

Forms, the editors' admin and imports pass every text through `clean_text`; the serialisers
(Atom feed, CSV, JSON, API) pass what is already stored through it too, so a character that
arrived before these rules cannot break an export for everyone.
"""

import re

# C0 controls other than tab (09), line feed (0A) and carriage return (0D); DEL; C1 controls;
# Unicode noncharacters U+FFFE and U+FFFF; unpaired surrogates. None belongs in a text field, and
# XML 1.0 (the Atom feed) cannot carry most of them.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ufffe\uffff\ud800-\udfff]")
# Line breaks pasted from word processors: vertical tab, form feed, line and paragraph separators.
_BREAKS = re.compile("[\x0b\x0c\u2028\u2029]")


def has_controls(value):
    return bool(_CONTROL.search(value) or _BREAKS.search(value))


def clean_text(value):
    """The text with pasted line breaks made plain newlines and other control characters removed.
    Tab and newline stay."""
    if not isinstance(value, str) or not has_controls(value):
        return value
    return _CONTROL.sub("", _BREAKS.sub("\n", value))


def clean_tree(value):
    """`clean_text` applied to every string in a JSON-like structure (dicts, lists)."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_tree(v) for v in value]
    return value
