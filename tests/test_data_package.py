"""The data package: /datapackage.json describes the real /cases.csv, and frictionless agrees."""

import io
import json
import re

import pytest
import requests
import urllib3
from frictionless import Package, system, validate

from catalogue.tabular import COLUMN_NAMES

pytestmark = pytest.mark.django_db


class DjangoAdapter(requests.adapters.BaseAdapter):
    """Answers the requests frictionless makes with the site itself, through the test client."""

    def __init__(self, client):
        super().__init__()
        self.client = client

    def send(self, request, **kwargs):
        path = request.url.removeprefix("http://testserver")
        answer = self.client.get(path)
        body = b"".join(answer.streaming_content) if answer.streaming else answer.content
        response = requests.Response()
        response.status_code = answer.status_code
        response.headers.update(answer.headers)
        response._content = body
        response.raw = urllib3.HTTPResponse(
            body=io.BytesIO(body), status=answer.status_code, preload_content=False
        )
        response.url = request.url
        response.request = request
        return response

    def close(self):
        pass


@pytest.fixture
def site(client):
    """A requests session whose every request is answered by the site under test."""
    session = requests.Session()
    session.mount("http://testserver/", DjangoAdapter(client))
    with system.use_context(http_session=session):
        yield session


def link(html, text):
    """The href of the link with this text on a rendered page."""
    match = re.search(r'<a [^>]*href="([^"]+)"[^>]*>\s*' + re.escape(text), html)
    assert match, f"no link '{text}'"
    return match.group(1).replace("&amp;", "&")


def datapackage_url(client):
    page = client.get("/data/").content.decode()
    return "http://testserver" + link(page, "datapackage.json")


def test_the_data_package_validates_against_the_real_csv(client, seed_catalogue, site):
    url = datapackage_url(client)
    report = validate(url)
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    package = Package(url)
    cases = package.get_resource("cases")
    assert [f.name for f in cases.schema.fields] == COLUMN_NAMES
    rows = cases.read_rows()
    published = client.get("/api/cases/").json()["count"]
    assert len(rows) == published > 0
    # Lists come out as lists and levels as numbers: the separator and types are declared.
    tackley = next(row for row in rows if row["slug"] == "tackley-village-shop")
    assert tackley["phases"] and all("|" not in phase for phase in tackley["phases"])
    assert isinstance(tackley["evidence_level"], int)
    assert tackley["planning"] == "co-planning"


def test_every_column_is_described_with_its_vocabulary(client, seed_catalogue):
    package = client.get("/datapackage.json").json()
    fields = {f["name"]: f for f in package["resources"][0]["schema"]["fields"]}
    assert list(fields) == COLUMN_NAMES
    assert all(f["description"] and f["type"] for f in fields.values())
    assert fields["planning"]["constraints"]["enum"] == ["professional", "co-planning", "community"]
    assert fields["evidence_level"]["constraints"]["enum"] == [0, 1, 2, 3, 4, 5]
    assert fields["phases"]["delimiter"] == "|"
    assert "co-assess" in fields["phases"]["itemEnum"]
    # The editable vocabularies give their terms as they are in the catalogue now.
    area = client.get("/codebook/").content.decode()
    assert all(f"<code>{slug}</code>" in area for slug in fields["service_areas"]["itemEnum"])


def test_a_value_outside_the_vocabulary_is_caught(client, seed_catalogue, tmp_path):
    package = client.get("/datapackage.json").json()
    body = b"".join(client.get("/cases.csv").streaming_content).decode()
    # Save the files as a re-user would, and spoil one classification value.
    header, first, rest = body.split("\r\n", 2)
    columns = header.split(",")
    assert ",co-planning," in first or ",professional," in first or ",community," in first
    spoiled = re.sub(r",(co-planning|professional|community),", ",co-everything,", first, count=1)
    (tmp_path / "cases.csv").write_text("\r\n".join([header, spoiled, rest]), encoding="utf-8")
    package["resources"] = [dict(package["resources"][0], path="cases.csv")]
    (tmp_path / "datapackage.json").write_text(json.dumps(package), encoding="utf-8")
    report = validate(str(tmp_path / "datapackage.json"))
    errors = report.flatten(["rowNumber", "fieldName", "type"])
    assert errors == [[2, errors[0][1], "constraint-error"]]
    assert errors[0][1] in {"planning", "delivery"} and errors[0][1] in columns
