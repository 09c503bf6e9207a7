"""The API's OpenAPI description: valid OpenAPI 3.1, and true of what the API answers."""

import re
from urllib.parse import urlencode

import pytest
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_core.exceptions import OpenAPIError
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from catalogue.dimensions import DIMENSIONS

pytestmark = pytest.mark.django_db


def description_url(client):
    """The description's address, as the API documentation links it."""
    page = client.get("/api/").content.decode()
    match = re.search(r'<a href="([^"]+)">openapi\.json</a>', page)
    assert match, "the API documentation links its OpenAPI description"
    return match.group(1)


@pytest.fixture
def described(client, seed_catalogue):
    spec = client.get(description_url(client)).json()
    validate(spec)  # OpenAPI 3.1 (raises on anything invalid)
    openapi = OpenAPI.from_dict(spec)

    def check(url, *, valid_request=True):
        """GET the URL and check the request (unless it is meant to be wrong) and the response
        against the description."""
        response = client.get(url)
        request = DjangoOpenAPIRequest(response.wsgi_request)
        if valid_request:
            openapi.validate_request(request)
        openapi.validate_response(request, DjangoOpenAPIResponse(response))
        return response

    check.spec = spec
    return check


def test_the_description_is_valid_openapi_3_1_with_every_filter(described):
    spec = described.spec
    assert spec["openapi"].startswith("3.1")
    (listing,) = [
        op
        for path in spec["paths"].values()
        for op in path.values()
        if op["operationId"] == "listCases"
    ]
    names = [p["name"] for p in listing["parameters"]]
    assert names == [d.param for d in DIMENSIONS] + ["sort", "page", "page_size", "lang"]
    phase = next(p for p in listing["parameters"] if p["name"] == "phase")
    assert phase["schema"]["items"]["enum"] == [
        "co-commission",
        "co-design",
        "co-deliver",
        "co-assess",
    ]


def test_an_invalid_description_would_be_refused(described):
    broken = dict(described.spec, paths={"/api/cases/": {"get": {"responses": "none"}}})
    with pytest.raises(OpenAPIValidationError):
        validate(broken)


def test_every_documented_example_gets_what_the_description_says(described):
    """Each parameter's example, alone, and the path's example slug."""
    for path, item in described.spec["paths"].items():
        operation = item["get"]
        query = [p for p in operation["parameters"] if p["in"] == "query"]
        slug = [p["example"] for p in operation["parameters"] if p["in"] == "path"]
        url = path.replace("{slug}", slug[0]) if slug else path
        response = described(url)
        assert response.status_code == 200
        for parameter in query:
            example = parameter["example"]
            params = urlencode({parameter["name"]: example}, doseq=isinstance(example, list))
            response = described(f"{url}?{params}")
            assert response.status_code == 200, params
            if "count" in response.json():  # the list (the one case's page has only `lang`)
                assert response.json()["count"] > 0, f"the example {params} finds cases"


def test_the_documentation_examples_and_errors_match_the_description(client, described):
    page = client.get("/api/").content.decode()
    examples = [
        href.replace("&amp;", "&") for href in re.findall(r'<a href="(/api/cases/[^"]*)"', page)
    ]
    assert len(examples) >= 3
    for url in examples:
        assert described(url).status_code == 200
    first = described("/api/cases/?page_size=3").json()
    assert len(first["results"]) == 3
    second = described(first["next"].removeprefix("http://testserver"))
    assert second.json()["previous"]
    assert described("/api/cases/?page=999999").status_code == 404
    assert described("/api/cases/no-such-case/").status_code == 404
    assert described("/api/cases/?page=0", valid_request=False).status_code == 400
    assert described("/api/cases/?page_size=1000", valid_request=False).status_code == 400


def test_a_response_that_differs_from_the_description_is_caught(client, described):
    """The check has teeth: a description that leaves out a value the API gives fails it."""
    spec = described.spec
    planning = spec["components"]["schemas"]["CaseDocument"]["properties"]["planning"]
    planning["enum"] = [value for value in planning["enum"] if value != "co-planning"]
    openapi = OpenAPI.from_dict(spec)
    response = client.get("/api/cases/tackley-village-shop/")
    assert response.json()["planning"] == "co-planning"
    request = DjangoOpenAPIRequest(response.wsgi_request)
    with pytest.raises(OpenAPIError):
        openapi.validate_response(request, DjangoOpenAPIResponse(response))
