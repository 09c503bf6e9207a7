"""The CSV export as a Frictionless Data Package (https://specs.frictionlessdata.io/).

The Table Schema is written from `tabular.COLUMNS`, the one description of the columns that the
codebook shows too, with the allowed values from the vocabularies: a column added there is
described here at once. `/datapackage.json` points at the live exports; a dated release
(releases.py) writes the same descriptor beside its own files, with their checksums.
"""

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe
from django_countries import countries

from catalogue import vocabulary as v
from catalogue.opendata import LICENCE
from catalogue.tabular import COLUMNS, LIST_SEPARATOR

NAME = "coproduction-cases"
TITLE = "Co-production Case Catalogue"
DESCRIPTION = (
    "Case studies of public services that citizens plan, design, deliver or assess together "
    "with professionals, classified by phase, by Bovaird's planner/deliverer matrix, by who "
    "benefits and by strength of evidence. Published cases only; one row per case."
)
BOOLEAN = {"trueValues": ["true"], "falseValues": ["false"]}


def allowed_values(column):
    """The values a column may hold, from its vocabulary, or None when any text will do."""
    values = column["values"]
    if values is None:
        return None
    if values == "countries":
        return [code for code, _ in countries]
    if hasattr(values, "objects"):  # an editable vocabulary: its terms as they are now
        return list(values.objects.order_by("slug").values_list("slug", flat=True))
    return list(values.values)


def field(column):
    """One column as a Table Schema field."""
    allowed = allowed_values(column)
    spec = {"name": column["name"], "type": column["type"], "description": column["meaning"]}
    constraints = {"required": True} if column["required"] else {}
    if column["type"] == "list":
        # Table Schema has no constraint on a list's items: the allowed items are named here
        # and in the description; the codebook explains each one.
        spec.update(delimiter=LIST_SEPARATOR, itemType="string")
        if allowed is not None:
            spec["itemEnum"] = allowed
            spec["description"] += f" Each of: {', '.join(allowed)}; joined by {LIST_SEPARATOR}."
    elif allowed is not None:
        constraints["enum"] = allowed
    if column["type"] == "boolean":
        spec.update(BOOLEAN)
    if column["type"] == "datetime":
        spec["format"] = "any"  # ISO 8601, with its offset
    if column["name"] == "slug":
        constraints["unique"] = True
    if constraints:
        spec["constraints"] = constraints
    return spec


def table_schema():
    """The Table Schema of the CSV: every column, in order."""
    return {
        "fields": [field(column) for column in COLUMNS],
        "primaryKey": ["slug"],
        "missingValues": [""],
    }


def descriptor(*, csv_path, json_path, codebook_url="", version="", created="", hashes=None):
    """The data package: the CSV (described column by column) and the same cases as JSON.

    `csv_path` and `json_path` are URLs for the live exports, file names for a release; `hashes`
    maps each path to its SHA-256 in a release."""
    hashes = hashes or {}

    def resource(name, path, **more):
        entry = {"name": name, "path": path, **more}
        if path in hashes:
            entry["hash"] = f"sha256:{hashes[path]}"
        return entry

    package = {
        "name": NAME,
        "title": TITLE,
        "description": DESCRIPTION,
        "licenses": [{"name": "CC-BY-4.0", "path": LICENCE["url"], "title": LICENCE["name"]}],
        "keywords": ["co-production", "public services", "case studies", "evidence"],
        "resources": [
            resource(
                "cases",
                csv_path,
                title="Published cases (CSV)",
                description=(
                    "One row per published case. Lists are joined by "
                    f"'{LIST_SEPARATOR}'; outcomes and sources are JSON text. A cell that a "
                    "spreadsheet would run as a formula begins with an extra apostrophe. "
                    + v.EVIDENCE_CAVEAT
                ),
                format="csv",
                mediatype="text/csv",
                encoding="utf-8",
                dialect={"delimiter": ",", "quoteChar": '"', "header": True},
                schema=table_schema(),
            ),
            resource(
                "cases-json",
                json_path,
                title="Published cases (JSON)",
                description=(
                    "The same cases as one JSON document: {count, licence, notices, results}, "
                    "each result a case document with the evidence fields in an 'evidence' object."
                ),
                format="json",
                mediatype="application/json",
                encoding="utf-8",
                profile="data-resource",
            ),
        ],
    }
    if codebook_url:
        package["homepage"] = codebook_url
    if version:
        package["version"] = version
    if created:
        package["created"] = created
    return package


@require_safe
def datapackage_json(request):
    """GET /datapackage.json: the live CSV and JSON exports as a data package."""
    package = descriptor(
        csv_path=request.build_absolute_uri(reverse("cases_csv")),
        json_path=request.build_absolute_uri(reverse("cases_json")),
        codebook_url=request.build_absolute_uri(reverse("codebook")),
    )
    response = JsonResponse(package, json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Access-Control-Allow-Origin"] = "*"
    return response
