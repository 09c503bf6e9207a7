"""The read-only API described in OpenAPI 3.1, written from the code that serves it.

The query parameters come from the list's dimensions (dimensions.py) and the sort orders; the
case schema from the columns (tabular.COLUMNS) and their vocabularies, nested as the case
document nests them (interchange.EVIDENCE_FIELDS). A new filter or column appears here at once.
"""

from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from catalogue import dimensions as d
from catalogue import search
from catalogue import vocabulary as v
from catalogue.filters import SORT_LABELS
from catalogue.interchange import EVIDENCE_FIELDS
from catalogue.opendata import API_MAX_PAGE_SIZE, API_PAGE_SIZE, LICENCE
from catalogue.tabular import COLUMNS

SLUG = {"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"}
COUNTRY = {"type": "string", "pattern": "^[A-Z]{2}$"}
NOTICE = "A filter value that is not understood is left out, and the response says so in `notices`."


def ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def parameter_schema(dimension):
    """The JSON Schema of one filter parameter, from its kind of dimension."""
    if isinstance(dimension, d.Related):
        vocabulary = dimension.vocabulary
        items = {"type": "string", "enum": list(vocabulary.values)} if vocabulary else dict(SLUG)
        return {"type": "array", "items": items, "maxItems": dimension.MAX_VALUES}
    if isinstance(dimension, d.FieldChoice | d.Flags):
        return {"type": "string", "enum": list(dimension.vocabulary.values)}
    if isinstance(dimension, d.AtLeast):
        values = dimension.vocabulary.values
        return {"type": "integer", "minimum": min(values), "maximum": max(values)}
    if isinstance(dimension, d.Country):
        return dict(COUNTRY)
    if isinstance(dimension, d.YearBound):
        return {"type": "integer", "minimum": d.YEARS["min_value"], "maximum": d.YEARS["max_value"]}
    if isinstance(dimension, d.Search):
        return {"type": "string", "maxLength": search.MAX_QUERY_LENGTH * 5}
    return {"type": "string"}


def parameter_example(dimension):
    """A value of the parameter that the catalogue holds (the request examples the tests make)."""
    examples = {
        d.Search: "village",
        d.Country: "GB",
        d.YearBound: 2005,
        d.AtLeast: 2,
    }
    for kind, value in examples.items():
        if isinstance(dimension, kind):
            return value
    if isinstance(dimension, d.Related):
        slug = dimension.vocabulary.values[0] if dimension.vocabulary else None
        return [slug or {"area": "housing", "producer": "volunteers"}.get(dimension.param)]
    return dimension.vocabulary.values[0]


def parameter(dimension):
    spec = {
        "name": dimension.param,
        "in": "query",
        "required": False,
        "description": f"{dimension.label}: {dimension.values}.",
        "schema": parameter_schema(dimension),
        "example": parameter_example(dimension),
    }
    if dimension.repeatable:
        spec["description"] += " Repeat it to ask for every one of several values."
        spec.update(style="form", explode=True)
    return spec


LANG = {
    "name": "lang",
    "in": "query",
    "required": False,
    "description": "The language of the labels (`labels`, `matrix_cell.name`): `en` or `cy` "
    "(Welsh). Without it, the best of the Accept-Language header that the API has, else English. "
    "The case texts come in both languages whatever is asked (`title` and `title_cy`...).",
    "schema": {"type": "string", "enum": ["en", "en-gb", "cy"]},
    "example": "cy",
}


def parameters():
    """The query parameters of /api/cases/: the list's dimensions, the sort, the page and the
    language of the labels."""
    return [
        *(parameter(dimension) for dimension in d.DIMENSIONS),
        {
            "name": "sort",
            "in": "query",
            "required": False,
            "description": "Order: "
            + ", ".join(f"`{k}` ({label})" for k, label in SORT_LABELS.items())
            + ". By relevance when searching, newest first otherwise.",
            "schema": {"type": "string", "enum": list(SORT_LABELS)},
            "example": "title",
        },
        {
            "name": "page",
            "in": "query",
            "required": False,
            "description": "Page number, from 1. A page past the last gives 404.",
            "schema": {"type": "integer", "minimum": 1, "default": 1},
            "example": 2,
        },
        {
            "name": "page_size",
            "in": "query",
            "required": False,
            "description": f"Cases a page, 1 to {API_MAX_PAGE_SIZE}.",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": API_MAX_PAGE_SIZE,
                "default": API_PAGE_SIZE,
            },
            "example": 5,
        },
        LANG,
    ]


OUTCOME = {
    "type": "object",
    "properties": {
        "statement": {"type": "string"},
        "statement_cy": {
            "type": "string",
            "description": "The statement in Welsh; empty where none has been written yet.",
        },
        "figure": {"type": "string", "description": "A figure that shows it, if any."},
        "benefit_group": {"type": "string", "enum": ["", *v.BenefitGroup.values]},
    },
    "required": ["statement", "figure", "benefit_group"],
}
SOURCE = {
    "type": "object",
    "properties": {
        "citation": {"type": "string"},
        "year": {"type": ["integer", "null"]},
        "url": {"type": "string"},
        "kind": {"type": "string", "enum": list(v.SourceKind.values)},
        "locator": {"type": "string", "description": "Where in the source: page or section."},
    },
    "required": ["citation", "year", "url", "kind", "locator"],
}


def column_schema(column):
    """One column of the case document as JSON Schema."""
    values, kind = column["values"], column["type"]
    fixed = values is not None and not hasattr(values, "objects") and values != "countries"
    enum = list(values.values) if fixed else None
    if kind == "list":
        items = {"type": "string", "enum": enum} if enum else dict(SLUG)
        schema = {"type": "array", "items": items}
    elif kind == "array":
        schema = {"type": "array", "items": ref(column["name"].title().rstrip("s"))}
    elif kind == "integer":
        schema = {"type": "integer", "enum": enum} if enum else {"type": ["integer", "null"]}
    elif kind == "boolean":
        schema = {"type": "boolean"}
    elif kind == "datetime":
        schema = {"type": ["string", "null"], "format": "date-time"}
    elif values == "countries":
        schema = dict(COUNTRY)
    elif enum:
        schema = {"type": "string", "enum": enum if column["required"] else ["", *enum]}
    else:
        schema = {"type": "string"}
    return {**schema, "description": column["meaning"]}


def case_schema():
    """The case document (the JSON export's results) with the API's three additions."""
    evidence_keys = {attr: key for key, attr in EVIDENCE_FIELDS.items()}
    properties, evidence = {}, {}
    for column in COLUMNS:
        if column["name"] in evidence_keys:
            evidence[evidence_keys[column["name"]]] = column_schema(column)
        else:
            properties[column["name"]] = column_schema(column)
    properties["evidence"] = {
        "type": "object",
        "properties": evidence,
        "required": list(evidence),
        "description": v.EVIDENCE_CAVEAT,
    }
    return {"type": "object", "properties": properties, "required": list(properties)}


def api_case_schema():
    return {
        "allOf": [
            ref("CaseDocument"),
            {
                "type": "object",
                "properties": {
                    "url": {"type": "string", "format": "uri", "description": "The case's page."},
                    "matrix_cell": {
                        "type": "object",
                        "properties": {
                            "slug": {"type": "string", "enum": [c.slug for c in v.MATRIX.values()]},
                            "name": {"type": "string"},
                        },
                        "required": ["slug", "name"],
                    },
                    "labels": {
                        "type": "object",
                        "description": "The case's classification in words, in the language "
                        "asked for (`lang`, else Accept-Language, else English): for each "
                        "classification field, its value's label, or for a list a map from "
                        "each slug to its label.",
                        "additionalProperties": {
                            "oneOf": [
                                {"type": "string"},
                                {"type": "object", "additionalProperties": {"type": "string"}},
                            ]
                        },
                    },
                    "published_at": {"type": ["string", "null"], "format": "date-time"},
                },
                "required": ["url", "matrix_cell", "labels", "published_at"],
            },
        ]
    }


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def description(server):
    """The OpenAPI 3.1 description of the API at `server` (an absolute URL, no trailing /)."""
    error = _json(ref("Error"), "")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Co-production Case Catalogue API",
            "version": "1.0.0",
            "summary": "Read-only JSON API of the published co-production case studies.",
            "description": "No key is needed. Every case is open data under the "
            f"{LICENCE['name']}; cite “{LICENCE['attribution']}”. {NOTICE}",
            "license": {"name": LICENCE["name"], "identifier": "CC-BY-4.0"},
        },
        "servers": [{"url": server}],
        "paths": {
            reverse("api_cases"): {
                "get": {
                    "operationId": "listCases",
                    "summary": "Published cases, a page at a time, with the case list's filters",
                    "parameters": parameters(),
                    "responses": {
                        "200": _json(ref("CasePage"), "A page of cases."),
                        "400": {
                            **error,
                            "description": "A malformed page or page_size, or a language the "
                            "API does not have.",
                        },
                        "404": {**error, "description": "A page past the last."},
                    },
                }
            },
            reverse("api_case", args=["SLUG"]).replace("SLUG", "{slug}"): {
                "get": {
                    "operationId": "getCase",
                    "summary": "One published case",
                    "parameters": [
                        {
                            "name": "slug",
                            "in": "path",
                            "required": True,
                            "schema": dict(SLUG),
                            "example": "tackley-village-shop",
                        },
                        LANG,
                    ],
                    "responses": {
                        "200": _json(ref("Case"), "The case."),
                        "400": {**error, "description": "A language the API does not have."},
                        "404": {**error, "description": "No published case has this slug."},
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "CaseDocument": case_schema(),
                "Case": api_case_schema(),
                "Outcome": OUTCOME,
                "Source": SOURCE,
                "Licence": {
                    "type": "object",
                    "properties": {k: {"type": "string"} for k in LICENCE},
                    "required": list(LICENCE),
                },
                "CasePage": {
                    "type": "object",
                    "properties": {
                        "count": {"type": "integer", "minimum": 0},
                        "next": {"type": ["string", "null"], "format": "uri"},
                        "previous": {"type": ["string", "null"], "format": "uri"},
                        "notices": {"type": "array", "items": {"type": "string"}},
                        "licence": ref("Licence"),
                        "results": {"type": "array", "items": ref("Case")},
                    },
                    "required": ["count", "next", "previous", "notices", "licence", "results"],
                },
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                },
            }
        },
    }


@require_safe
def openapi_json(request):
    """GET /api/openapi.json: the API's OpenAPI 3.1 description."""
    server = request.build_absolute_uri("/").rstrip("/")
    response = JsonResponse(
        description(server), json_dumps_params={"ensure_ascii": False, "indent": 2}
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
