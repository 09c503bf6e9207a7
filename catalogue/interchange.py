"""Cases as documents: the JSON/CSV interchange format of docs/case-format.md.

`case_document` turns a case into a document (exports, API, fixtures); `validate_documents`
checks documents and reports every problem by row and field. Writing them is
`services.cases_import` (and `case_submit` for one submission).
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError

from catalogue import vocabulary as v
from catalogue.models import Activity, Case, CoProducer, Outcome, Phase, ServiceArea, Source

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
)
EVIDENCE_FIELDS = {
    "level": "evidence_level",
    "direction": "evidence_direction",
    "design": "evaluation_design",
    "independent": "independent_evaluation",
    "rationale": "evidence_rationale",
    "confirmed": "evidence_confirmed",
}
OUTCOME_FIELDS = ("statement", "figure", "benefit_group")
SOURCE_FIELDS = ("citation", "year", "url", "kind", "locator")


def case_document(case):
    """A case as a plain document, public fields only."""
    return {
        "slug": case.slug,
        "title": case.title,
        "summary": case.summary,
        "description": case.description,
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
    }


@dataclass
class RowError:
    row: int
    field: str
    message: str

    def __str__(self):
        return f"row {self.row}, {self.field}: {self.message}"


class ImportFailed(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(str(e) for e in errors))


@dataclass
class Parsed:
    """A validated document, ready to write."""

    case: Case
    relations: dict
    outcomes: list
    sources: list


def _messages(error):
    if hasattr(error, "message_dict"):
        return [(field, m) for field, ms in error.message_dict.items() for m in ms]
    return [("__all__", m) for m in error.messages]


def _slugs(doc, key, errors, row):
    value = doc.get(key, [])
    if isinstance(value, str):
        value = [s for s in value.split("|") if s]
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        errors.append(RowError(row, key, "must be a list of slugs"))
        return []
    return value


def parse_document(doc, row, lookups):
    """Validate one document; returns (Parsed or None, [RowError])."""
    errors = []
    if not isinstance(doc, dict):
        return None, [RowError(row, "__all__", "each case must be an object")]
    unknown = (
        set(doc)
        - set(SCALAR_FIELDS)
        - set(RELATIONS)
        - {"benefits", "evidence", "outcomes", "sources"}
    )
    errors += [RowError(row, key, "unknown key") for key in sorted(unknown)]

    existing = lookups["cases"].get(doc.get("slug"))
    case = existing or Case()
    for field in SCALAR_FIELDS:
        if field in doc:
            value = doc[field]
            setattr(
                case,
                field,
                "" if value is None and field not in ("start_year", "end_year") else value,
            )
    if "status" not in doc and not existing:
        case.status = v.Status.PUBLISHED
    benefits = _slugs(doc, "benefits", errors, row)
    for benefit in benefits:
        if benefit not in v.Benefit.values:
            errors.append(RowError(row, "benefits", f"unknown value '{benefit}'"))
    case.individual = v.Benefit.INDIVIDUAL in benefits
    case.collective = v.Benefit.COLLECTIVE in benefits
    evidence = doc.get("evidence", {})
    if not isinstance(evidence, dict):
        errors.append(RowError(row, "evidence", "must be an object"))
        evidence = {}
    for key, attr in EVIDENCE_FIELDS.items():
        if key in evidence:
            setattr(case, attr, evidence[key])
        elif key != "confirmed":
            errors.append(RowError(row, f"evidence.{key}", "this field is required"))

    try:
        # The check constraints' rules are in Case.clean and the fields' choices; validating the
        # constraints as well would cost a query each, per row. The database still enforces them.
        case.full_clean(exclude=["outcome_text"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors += [RowError(row, _field_name(f), m) for f, m in _messages(error)]

    relations = {}
    for key, _model in RELATIONS.items():
        slugs = _slugs(doc, key, errors, row)
        known = lookups[key]
        missing = [s for s in slugs if s not in known]
        errors += [RowError(row, key, f"unknown value '{s}'") for s in missing]
        if key in REQUIRED_RELATIONS and not slugs:
            errors.append(RowError(row, key, "choose at least one"))
        relations[key] = [known[s] for s in slugs if s in known]
    phase_slugs = {p.slug for p in relations["phases"]}
    for activity in relations["activities"]:
        if v.ACTIVITY_PHASE[activity.slug] not in phase_slugs:
            errors.append(
                RowError(
                    row,
                    "activities",
                    f"'{activity.slug}' belongs to the phase '{v.ACTIVITY_PHASE[activity.slug]}',"
                    " which is not among the phases",
                )
            )

    outcomes = _children(doc, "outcomes", Outcome, OUTCOME_FIELDS, errors, row)
    sources = _children(doc, "sources", Source, SOURCE_FIELDS, errors, row)
    if (
        case.status == v.Status.PUBLISHED
        and not sources
        and "sources" not in {e.field for e in errors}
    ):
        errors.append(RowError(row, "sources", "a published case names at least one source"))
    return Parsed(case, relations, outcomes, sources), errors


def _field_name(field):
    reverse = {attr: f"evidence.{key}" for key, attr in EVIDENCE_FIELDS.items()}
    return reverse.get(field, "benefits" if field in ("individual", "collective") else field)


def _children(doc, key, model, fields, errors, row):
    items = doc.get(key, [])
    if not isinstance(items, list):
        errors.append(RowError(row, key, "must be a list"))
        return []
    children = []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            errors.append(RowError(row, f"{key}[{index}]", "must be an object"))
            continue
        child = model(
            position=index,
            **{f: ("" if item.get(f) is None and f != "year" else item.get(f)) for f in fields},
        )
        try:
            child.full_clean(exclude=["case"], validate_constraints=False)
        except ValidationError as error:
            errors += [RowError(row, f"{key}[{index}].{f}", m) for f, m in _messages(error)]
        children.append(child)
    return children


def _lookups(docs):
    slugs = [d.get("slug") for d in docs if isinstance(d, dict)]
    return {
        "cases": {c.slug: c for c in Case.objects.filter(slug__in=slugs)},
        **{key: {t.slug: t for t in model.objects.all()} for key, model in RELATIONS.items()},
    }


def validate_documents(docs):
    """Parse every document; returns (parsed list, all errors)."""
    if not isinstance(docs, list):
        return [], [RowError(0, "__all__", "expected a list of cases")]
    lookups = _lookups(docs)
    parsed, errors, seen = [], [], {}
    for row, doc in enumerate(docs, start=1):
        item, row_errors = parse_document(doc, row, lookups)
        slug = doc.get("slug") if isinstance(doc, dict) else None
        if slug in seen:
            row_errors.append(RowError(row, "slug", f"repeats the slug of row {seen[slug]}"))
        seen.setdefault(slug, row)
        errors += row_errors
        parsed.append(item)
    return parsed, errors
