"""Cases as documents: the JSON/CSV interchange format of docs/case-format.md.

`case_document` turns a case into a document (exports, API, fixtures); `validate_documents`
checks documents and reports every problem by file, row and field. Writing them is
`services.cases_import` (and `case_submit` for one submission).
"""

import datetime
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django_countries import countries

from catalogue import vocabulary as v
from catalogue.models import Activity, Case, CoProducer, Outcome, Phase, ServiceArea, Source
from catalogue.text import clean_text

RELATIONS = {
    "phases": Phase,
    "activities": Activity,
    "service_areas": ServiceArea,
    "co_producers": CoProducer,
}
REQUIRED_RELATIONS = ("phases", "service_areas", "co_producers")
SCALAR_FIELDS = (
    "slug",
    "title",
    "summary",
    "description",
    "title_cy",
    "summary_cy",
    "description_cy",
    "country",
    "locality",
    "lead_organisations",
    "planning",
    "delivery",
    "start_year",
    "end_year",
    "ongoing",
    "costs",
    "lessons",
    "level",
    "scenario",
    "driver",
    "status",
    "reviewed_at",
)
EVIDENCE_FIELDS = {
    "level": "evidence_level",
    "direction": "evidence_direction",
    "design": "evaluation_design",
    "independent": "independent_evaluation",
    "rationale": "evidence_rationale",
    "confirmed": "evidence_confirmed",
}
OUTCOME_FIELDS = ("statement", "statement_cy", "figure", "benefit_group")
SOURCE_FIELDS = ("citation", "year", "url", "kind", "locator")
DOCUMENT_KEYS = (*SCALAR_FIELDS, *RELATIONS, "benefits", "evidence", "outcomes", "sources")

# What each value must be. The other keys hold one word each: a slug, a code or a vocabulary value.
TEXTS = {
    "title",
    "summary",
    "description",
    "title_cy",
    "summary_cy",
    "description_cy",
    "locality",
    "lead_organisations",
    "costs",
    "lessons",
    "evidence.rationale",
    "outcomes.statement",
    "outcomes.statement_cy",
    "outcomes.figure",
    "sources.citation",
    "sources.url",
    "sources.locator",
}
INTEGERS = {"start_year", "end_year", "evidence.level", "sources.year"}
OPTIONAL_INTEGERS = {"start_year", "end_year", "sources.year"}
BOOLEANS = {"ongoing", "evidence.independent", "evidence.confirmed"}
DATETIMES = {"reviewed_at"}  # ISO 8601, or null
WHOLE_NUMBER = re.compile(r"\s*-?[0-9]+\s*")


def case_document(case):
    """A case as a plain document, public fields only."""
    return {
        "slug": case.slug,
        "title": case.title,
        "summary": case.summary,
        "description": case.description,
        # The same in Welsh; empty where no Welsh version has been written yet.
        "title_cy": case.title_cy,
        "summary_cy": case.summary_cy,
        "description_cy": case.description_cy,
        "country": case.country.code,
        "locality": case.locality,
        "lead_organisations": case.lead_organisations,
        "service_areas": [t.slug for t in case.service_areas.all()],
        "co_producers": [t.slug for t in case.co_producers.all()],
        "phases": [t.slug for t in case.phases.all()],
        "activities": [t.slug for t in case.activities.all()],
        "planning": case.planning,
        "delivery": case.delivery,
        "benefits": [b.value for b in case.benefits],
        "evidence": {key: getattr(case, attr) for key, attr in EVIDENCE_FIELDS.items()},
        "start_year": case.start_year,
        "end_year": case.end_year,
        "ongoing": case.ongoing,
        "outcomes": [{f: getattr(o, f) for f in OUTCOME_FIELDS} for o in case.outcomes.all()],
        "costs": case.costs,
        "lessons": case.lessons,
        "level": case.level,
        "scenario": case.scenario,
        "driver": case.driver,
        "sources": [{f: getattr(s, f) for f in SOURCE_FIELDS} for s in case.sources.all()],
        "status": case.status,
        # To the second: a backup (dumpdata) keeps only milliseconds, and a review needs no more.
        "reviewed_at": case.reviewed_at.isoformat(timespec="seconds") if case.reviewed_at else None,
    }


@dataclass
class RowError:
    row: int
    field: str
    message: str
    file: str = ""

    def __str__(self):
        return f"{_place(self.file, self.row)}, {self.field}: {self.message}"


def _place(file, row):
    return f"{file}, row {row}" if file else f"row {row}"


class ImportFailed(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Parsed:
    """A validated document, ready to write, and what was changed in its texts."""

    case: Case
    relations: dict
    outcomes: list
    sources: list
    warnings: list
    review_undated: bool = False  # the document does not say when the case was last reviewed


def _messages(error):
    if hasattr(error, "message_dict"):
        return [(field, m) for field, ms in error.message_dict.items() for m in ms]
    return [("__all__", m) for m in error.messages]


def _shown(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return "a list" if isinstance(value, list) else "an object"
    return "null" if value is None else repr(value)[:60]


def _value(name, value):
    """A document's value for `name` ("evidence.level", "sources.year") as the model stores it;
    a ValueError says why it cannot be."""
    if name in INTEGERS:
        if value is None and name in OPTIONAL_INTEGERS:
            return None
        if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value):
            return int(value)
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise ValueError(f"must be a whole number, not {_shown(value)}")
    if name in BOOLEANS:
        if isinstance(value, bool):
            return value
        raise ValueError(f"must be true or false, not {_shown(value)}")
    if name in DATETIMES:
        return _moment(value)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"must be text, not {_shown(value)}")
    return value


def _moment(value):
    """An ISO 8601 date and time (UTC when it names no offset) or date (its midnight, UTC), not
    in the future; None for null or empty."""
    if value is None or value == "":
        return None
    problem = (
        f"must be an ISO 8601 date and time, such as 2025-03-01T09:30:00+00:00, not {_shown(value)}"
    )
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError(problem)
    try:
        moment = parse_datetime(value.strip())
        if moment is None and (day := parse_date(value.strip())):
            moment = datetime.datetime.combine(day, datetime.time())
    except ValueError:
        moment = None
    if moment is None:
        raise ValueError(problem)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, datetime.UTC)
    if moment > timezone.now():
        raise ValueError(f"cannot be in the future ({value.strip()})")
    return moment


REFUSED = object()


class _Reading:
    """One document being read: where it is, and what was found wrong or changed."""

    def __init__(self, row, file):
        self.row, self.file = row, file
        self.errors, self.warnings = [], []

    def refuse(self, field, message):
        self.errors.append(RowError(self.row, field, message, self.file))

    def read(self, name, value, shown=None):
        """The value, or REFUSED after reporting why; texts lose their control characters."""
        shown = shown or name
        try:
            value = _value(name, value)
        except ValueError as error:
            self.refuse(shown, str(error))
            return REFUSED
        if name in TEXTS and (cleaned := clean_text(value)) != value:
            self.warnings.append(
                RowError(
                    self.row,
                    shown,
                    "control characters removed (pasted line breaks became new lines)",
                    self.file,
                )
            )
            return cleaned
        return value

    def refuse_unknown(self, mapping, known, prefix=""):
        for key in mapping:
            if key not in known:
                self.refuse(f"{prefix}{key}", f"unknown key; the keys are {', '.join(known)}")


def _slugs(doc, key, reading):
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [s for s in value.split("|") if s]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        reading.refuse(key, "must be a list of slugs")
        return []
    return value


def parse_document(doc, row, lookups, file=""):
    """Validate one document; returns (Parsed or None, [RowError])."""
    reading = _Reading(row, file)
    if not isinstance(doc, dict):
        reading.refuse("__all__", "each case must be an object")
        return None, reading.errors
    reading.refuse_unknown(doc, DOCUMENT_KEYS)

    slug = doc.get("slug")
    existing = lookups["cases"].get(slug) if isinstance(slug, str) else None
    case = existing or Case()
    existing_review = case.reviewed_at
    refused = []
    for name in SCALAR_FIELDS:
        if name in doc:
            value = reading.read(name, doc[name])
            if value is REFUSED:
                refused.append(name)
            else:
                setattr(case, name, value)
    if "status" not in doc and not existing:
        case.status = v.Status.PUBLISHED
    benefits = _slugs(doc, "benefits", reading)
    for benefit in benefits:
        if benefit not in v.Benefit.values:
            reading.refuse("benefits", f"unknown value '{benefit}'")
    case.individual = v.Benefit.INDIVIDUAL in benefits
    case.collective = v.Benefit.COLLECTIVE in benefits
    evidence = doc.get("evidence", {})
    if not isinstance(evidence, dict):
        reading.refuse("evidence", "must be an object")
        evidence = {}
    reading.refuse_unknown(evidence, tuple(EVIDENCE_FIELDS), "evidence.")
    for key, attr in EVIDENCE_FIELDS.items():
        if key in evidence:
            value = reading.read(f"evidence.{key}", evidence[key])
            if value is REFUSED:
                refused.append(attr)
            else:
                setattr(case, attr, value)
        elif key != "confirmed":
            reading.refuse(f"evidence.{key}", "this field is required")

    try:
        # The check constraints' rules are in Case.clean and the fields' choices; validating the
        # constraints as well would cost a query each, per row. The database still enforces them.
        # The country is checked against the codes loaded once: its field's own check translates
        # every country's name, for each case.
        case.full_clean(
            exclude=["outcome_text", "related_text", "country", *refused],
            validate_unique=False,
            validate_constraints=False,
        )
    except ValidationError as error:
        for name, message in _messages(error):
            reading.refuse(_field_name(name), message)
    if "country" not in refused and case.country.code not in lookups["countries"]:
        country = case.country.code
        reading.refuse(
            "country", f"unknown code {country!r}" if country else "this field is required"
        )

    relations = {}
    for key, _model in RELATIONS.items():
        slugs = _slugs(doc, key, reading)
        known = lookups[key]
        for s in slugs:
            if s not in known:
                reading.refuse(key, f"unknown value '{s}'")
        if key in REQUIRED_RELATIONS and not slugs:
            reading.refuse(key, "choose at least one")
        relations[key] = [known[s] for s in slugs if s in known]
    phase_slugs = {p.slug for p in relations["phases"]}
    for activity in relations["activities"]:
        if v.ACTIVITY_PHASE[activity.slug] not in phase_slugs:
            reading.refuse(
                "activities",
                f"'{activity.slug}' belongs to the phase '{v.ACTIVITY_PHASE[activity.slug]}',"
                " which is not among the phases",
            )

    outcomes = _children(doc, "outcomes", Outcome, OUTCOME_FIELDS, reading)
    sources = _children(doc, "sources", Source, SOURCE_FIELDS, reading)
    if (
        case.status == v.Status.PUBLISHED
        and not sources
        and "sources" not in {e.field for e in reading.errors}
    ):
        reading.refuse("sources", "a published case names at least one source")
    if "reviewed_at" in doc and existing and case.reviewed_at != existing_review:
        case.reviewed_by = None  # the document's date, not an editor's review here
    parsed = Parsed(case, relations, outcomes, sources, reading.warnings, "reviewed_at" not in doc)
    return parsed, reading.errors


def _field_name(field):
    reverse = {attr: f"evidence.{key}" for key, attr in EVIDENCE_FIELDS.items()}
    return reverse.get(field, "benefits" if field in ("individual", "collective") else field)


def _children(doc, key, model, fields, reading):
    items = doc.get(key, [])
    if not isinstance(items, list):
        reading.refuse(key, "must be a list")
        return []
    children = []
    for index, item in enumerate(items, start=1):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            reading.refuse(where, "must be an object")
            continue
        reading.refuse_unknown(item, fields, f"{where}.")
        values = {f: reading.read(f"{key}.{f}", item.get(f), f"{where}.{f}") for f in fields}
        refused = [f for f, value in values.items() if value is REFUSED]
        child = model(
            position=index, **{f: value for f, value in values.items() if f not in refused}
        )
        try:
            child.full_clean(exclude=["case", *refused], validate_constraints=False)
        except ValidationError as error:
            for name, message in _messages(error):
                reading.refuse(f"{where}.{name}", message)
        children.append(child)
    return children


def _lookups(docs):
    slugs = [d.get("slug") for d in docs if isinstance(d, dict)]
    slugs = sorted({s for s in slugs if isinstance(s, str) and validate_slug.regex.match(s)})
    cases = {}
    for start in range(0, len(slugs), 500):
        cases.update((c.slug, c) for c in Case.objects.filter(slug__in=slugs[start : start + 500]))
    return {
        "cases": cases,
        "countries": {code for code, _name in countries},
        **{key: {t.slug: t for t in model.objects.all()} for key, model in RELATIONS.items()},
    }


def validate_documents(docs, places=None):
    """Parse every document; returns (parsed list, all errors). `places` gives each document's
    (file, row) for the messages; by default they are rows 1, 2, ... of no file."""
    if not isinstance(docs, list):
        return [], [RowError(0, "__all__", "expected a list of cases")]
    places = places or [("", row) for row in range(1, len(docs) + 1)]
    lookups = _lookups(docs)
    parsed, errors, seen = [], [], {}
    for doc, (file, row) in zip(docs, places, strict=True):
        item, row_errors = parse_document(doc, row, lookups, file)
        slug = doc.get("slug") if isinstance(doc, dict) else None
        if isinstance(slug, str):
            if slug in seen:
                row_errors.append(RowError(row, "slug", f"repeats the slug of {seen[slug]}", file))
            seen.setdefault(slug, _place(file, row))
        errors += row_errors
        parsed.append(item)
    return parsed, errors
