"""Case documents as files: JSON, and CSV with one row per case.

The CSV columns are defined once here (`COLUMNS`); the writer, the reader, the
open-data exports and the codebook all use them. Lists are joined with `|`;
outcomes and sources are JSON text in one column each, so a round trip is exact.
The reader refuses columns it does not know; values are checked by `interchange`.
"""

import csv
import json
import re
from pathlib import Path

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from catalogue import vocabulary as v
from catalogue.interchange import EVIDENCE_FIELDS
from catalogue.models import CoProducer, ServiceArea

LIST_SEPARATOR = "|"
# A spreadsheet runs a cell beginning with one of these as a formula: prefix it with '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# What the writer prefixes (apostrophes, if any, then a formula start), and what the reader
# unprefixes: an apostrophe then that. Other apostrophes are the author's and stay as written.
_WRITER_ESCAPES = re.compile("'*[" + re.escape("".join(FORMULA_STARTS)) + "]")
_READER_UNESCAPES = re.compile("'" + _WRITER_ESCAPES.pattern)


def _column(name, kind, meaning, *, type="string", values=None, required=False):
    """A column: `kind` and `meaning` as the codebook says them (translated when a page shows
    them; the data package and the API's description, served in English, use the meaning too);
    `type` (a Table Schema type: string, integer, boolean, datetime, list joined by
    LIST_SEPARATOR, array of JSON), `values` (the vocabulary or editable model its values come
    from, or `countries`) and `required` for the data package (datapackage.py) and the API's
    description (openapi.py)."""
    return {
        "name": name,
        "kind": kind,
        "meaning": meaning,
        "type": type,
        "values": values,
        "required": required,
    }


COLUMNS = [
    _column(
        "slug",
        pgettext_lazy("column values", "text"),
        _("Stable identifier; the case's address is /cases/<slug>/."),
        required=True,
    ),
    _column(
        "title",
        pgettext_lazy("column values", "text"),
        _("Name of the practice or initiative."),
        required=True,
    ),
    _column(
        "summary", pgettext_lazy("column values", "text"), _("One or two sentences."), required=True
    ),
    _column(
        "description",
        pgettext_lazy("column values", "text"),
        _("Full description; paragraphs separated by a blank line."),
    ),
    _column(
        "title_cy",
        pgettext_lazy("column values", "text"),
        _("The title in Welsh; empty where no Welsh version has been written yet."),
    ),
    _column(
        "summary_cy",
        pgettext_lazy("column values", "text"),
        _("The summary in Welsh; empty where no Welsh version has been written yet."),
    ),
    _column(
        "description_cy",
        pgettext_lazy("column values", "text"),
        _("The description in Welsh; empty where no Welsh version has been written yet."),
    ),
    _column(
        "country",
        pgettext_lazy("column values", "ISO 3166-1 alpha-2"),
        _("Country where it happens."),
        values="countries",
        required=True,
    ),
    _column("locality", pgettext_lazy("column values", "text"), _("Town, city or region.")),
    _column(
        "lead_organisations", pgettext_lazy("column values", "text"), _("Lead organisation(s).")
    ),
    _column(
        "service_areas",
        pgettext_lazy("column values", "slugs joined by |"),
        _("Service areas (see the vocabulary)."),
        type="list",
        values=ServiceArea,
    ),
    _column(
        "co_producers",
        pgettext_lazy("column values", "slugs joined by |"),
        _("Who co-produces alongside professionals."),
        type="list",
        values=CoProducer,
    ),
    _column(
        "phases",
        pgettext_lazy("column values", "slugs joined by |"),
        _("Phases in which citizens take part."),
        type="list",
        values=v.Phase,
        required=True,
    ),
    _column(
        "activities",
        pgettext_lazy("column values", "slugs joined by |"),
        _("Optional sub-activities under the phases."),
        type="list",
        values=v.Activity,
    ),
    _column(
        "planning",
        pgettext_lazy("column values", "slug"),
        _("Who planned the service (matrix rows)."),
        values=v.Planning,
        required=True,
    ),
    _column(
        "delivery",
        pgettext_lazy("column values", "slug"),
        _("Who delivers it (matrix columns)."),
        values=v.Delivery,
        required=True,
    ),
    _column(
        "benefits",
        pgettext_lazy("column values", "slugs joined by |"),
        _("Type: individual and/or collective."),
        type="list",
        values=v.Benefit,
    ),
    _column(
        "evidence_level",
        pgettext_lazy("column values", "integer 0-5"),
        _("Strength of evidence that the practice causes its outcomes."),
        type="integer",
        values=v.EvidenceLevel,
        required=True,
    ),
    _column(
        "evidence_direction",
        pgettext_lazy("column values", "slug"),
        _("Direction of the findings."),
        values=v.Direction,
    ),
    _column(
        "evaluation_design",
        pgettext_lazy("column values", "slug"),
        _("How it was evaluated."),
        values=v.EvaluationDesign,
    ),
    _column(
        "independent_evaluation",
        pgettext_lazy("column values", "true/false"),
        _("Whether an independent evaluation exists."),
        type="boolean",
        required=True,
    ),
    _column(
        "evidence_rationale",
        pgettext_lazy("column values", "text"),
        _("Why this evidence level, and no higher."),
    ),
    _column(
        "evidence_confirmed",
        pgettext_lazy("column values", "true/false"),
        _("Whether an editor has confirmed the level."),
        type="boolean",
        required=True,
    ),
    _column(
        "reviewed_at",
        pgettext_lazy("column values", "ISO 8601 date and time, or empty"),
        _(
            "When an editor last reviewed the classification and evidence rating; empty if not "
            "yet reviewed."
        ),
        type="datetime",
    ),
    _column(
        "start_year",
        pgettext_lazy("column values", "year or empty"),
        _("Year it started."),
        type="integer",
    ),
    _column(
        "end_year",
        pgettext_lazy("column values", "year or empty"),
        _("Year it ended; empty when ongoing or unknown."),
        type="integer",
    ),
    _column(
        "ongoing",
        pgettext_lazy("column values", "true/false"),
        _("Still running."),
        type="boolean",
        required=True,
    ),
    _column(
        "outcomes",
        pgettext_lazy("column values", "JSON list"),
        _(
            "Outcomes: [{statement, statement_cy, figure, benefit_group}]; statement_cy is the "
            "statement in Welsh, empty where none has been written yet."
        ),
        type="array",
    ),
    _column("costs", pgettext_lazy("column values", "text"), _("Costs and savings.")),
    _column("lessons", pgettext_lazy("column values", "text"), _("Obstacles and lessons.")),
    _column(
        "level",
        pgettext_lazy("column values", "slug or empty"),
        _("Needham and Carr's level of co-production."),
        values=v.Level,
    ),
    _column(
        "scenario",
        pgettext_lazy("column values", "slug or empty"),
        _("Substitutive or additive."),
        values=v.Scenario,
    ),
    _column(
        "driver",
        pgettext_lazy("column values", "slug or empty"),
        _("Main driver: governance or logistical."),
        values=v.Driver,
    ),
    _column(
        "sources",
        pgettext_lazy("column values", "JSON list"),
        _("Sources: [{citation, year, url, kind, locator}]."),
        type="array",
        required=True,
    ),
    _column(
        "status",
        pgettext_lazy("column values", "slug"),
        _("Moderation status (open data holds published cases only)."),
        values=v.Status,
        required=True,
    ),
]
COLUMN_NAMES = [c["name"] for c in COLUMNS]
LISTS = {"service_areas", "co_producers", "phases", "activities", "benefits"}
JSON_COLUMNS = {"outcomes", "sources"}
BOOLEANS = {"independent_evaluation", "evidence_confirmed", "ongoing"}
INTEGERS = {"evidence_level", "start_year", "end_year"}
EVIDENCE_COLUMNS = {attr: key for key, attr in EVIDENCE_FIELDS.items()}
BOOLEAN_WORDS = {
    "true": True,
    "1": True,
    "yes": True,
    "false": False,
    "0": False,
    "no": False,
    "": False,
}


def _neutralise(text):
    return "'" + text if _WRITER_ESCAPES.match(text) else text


def _restore(text):
    return text[1:] if _READER_UNESCAPES.match(text) else text


def row_from_document(doc):
    """A document as a CSV row (a dict of strings)."""
    flat = {**doc, **{attr: doc["evidence"][key] for attr, key in EVIDENCE_COLUMNS.items()}}
    row = {}
    for name in COLUMN_NAMES:
        value = flat.get(name)
        if name in LISTS:
            text = LIST_SEPARATOR.join(value or [])
        elif name in JSON_COLUMNS:
            text = json.dumps(value or [], ensure_ascii=False)
        elif name in BOOLEANS:
            text = "true" if value else "false"
        else:
            text = "" if value is None else str(value)
        row[name] = _neutralise(text)
    return row


def document_from_row(row):
    """A CSV row as a document; values that cannot be read are passed on for validation to reject."""
    row = {name: _restore(row[name] or "") for name in COLUMN_NAMES if name in row}
    doc, evidence = {}, {}
    for name, text in row.items():
        if name in LISTS:
            value = [s for s in text.split(LIST_SEPARATOR) if s]
        elif name in JSON_COLUMNS:
            try:
                value = json.loads(text) if text else []
            except json.JSONDecodeError:
                value = text  # rejected by validation with the row and field
        elif name in BOOLEANS:
            value = BOOLEAN_WORDS.get(text.strip().lower(), text)
        elif name in INTEGERS:
            value = text if text.strip() else None
        else:
            value = text
        if name in EVIDENCE_COLUMNS:
            evidence[EVIDENCE_COLUMNS[name]] = value
        else:
            doc[name] = value
    doc["evidence"] = evidence
    return doc


def write_csv(docs, stream):
    writer = csv.DictWriter(stream, fieldnames=COLUMN_NAMES, lineterminator="\r\n")
    writer.writeheader()
    for doc in docs:
        writer.writerow(row_from_document(doc))


def read_csv(stream):
    """The documents of a CSV file; a ValueError names what in the file cannot be read."""
    reader = csv.reader(stream)
    try:
        header = next(reader, [])
        missing = {"slug", "title"} - set(header)
        if missing:
            raise ValueError(f"the CSV header lacks the column(s) {', '.join(sorted(missing))}")
        unknown = [name for name in header if name not in COLUMN_NAMES]
        if unknown:
            raise ValueError(
                f"unknown column{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(repr(name) for name in unknown)}; "
                f"the columns are {', '.join(COLUMN_NAMES)}"
            )
        repeated = sorted({name for name in header if header.count(name) > 1})
        if repeated:
            raise ValueError(f"the column(s) {', '.join(repeated)} appear more than once")
        docs = []
        for cells in reader:
            if not cells:
                continue
            if len(cells) != len(header):
                raise ValueError(
                    f"row {len(docs) + 1} has {len(cells)} cells; "
                    f"the header has {len(header)} columns"
                )
            docs.append(document_from_row(dict(zip(header, cells, strict=True))))
    except csv.Error as error:
        raise ValueError(f"line {reader.line_num}: {error}") from error
    return docs


def read_documents(path):
    """The list of case documents in a JSON or CSV file."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".json":
        with path.open(encoding="utf-8") as handle:
            try:
                data = json.load(handle, strict=False)
            except json.JSONDecodeError as error:
                raise ValueError(f"not valid JSON (line {error.lineno}: {error.msg})") from error
        if not isinstance(data, list):
            raise ValueError("expected a JSON list of cases")
        return data
    if suffix == ".csv":
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return read_csv(handle)
    raise ValueError("unknown file type: use .json or .csv")
