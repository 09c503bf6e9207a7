"""Dated releases: written by the command only, never overwritten, listed and served safely."""

import hashlib
import json
import re
from io import StringIO

import pytest
from django.core.management import call_command
from frictionless import validate

pytestmark = pytest.mark.django_db


@pytest.fixture
def releases_dir(settings, tmp_path):
    settings.DATA_RELEASES_DIR = tmp_path / "releases"
    return settings.DATA_RELEASES_DIR


def release():
    out = StringIO()
    call_command("release_data", stdout=out)
    return re.match(r"Release (\S+):", out.getvalue()).group(1)


def test_a_release_is_listed_with_checksums_that_match_what_is_served(
    client, seed_catalogue, releases_dir
):
    name = release()
    page = client.get("/data/").content.decode()
    section = page.split(f'id="release-{name}"', 1)[1].split("</section>", 1)[0]
    links = re.findall(r'<a href="([^"]+)">([^<]+)</a>', section)
    assert [text for _, text in links] == [
        "cases.csv",
        "cases.json",
        "datapackage.json",
        "README.md",
        "SHA256SUMS",
    ]
    shown = re.findall(r"SHA-256 <code>([0-9a-f]{64})</code>", section)
    assert len(shown) == 4  # every file but the list of checksums itself
    for (href, _), digest in zip(links[:4], shown, strict=True):
        response = client.get(href)
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == digest
    # The release's CSV holds what /cases.csv held when it was made.
    live = client.get("/cases.csv")
    assert (releases_dir / name / "cases.csv").read_bytes() == b"".join(live.streaming_content)


def test_a_release_is_a_valid_data_package_on_its_own(seed_catalogue, releases_dir):
    name = release()
    report = validate(str(releases_dir / name / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])


def test_a_second_release_the_same_day_never_overwrites_the_first(
    client, seed_catalogue, make_case, releases_dir
):
    first = release()
    before = (releases_dir / first / "cases.csv").read_bytes()
    make_case(slug="late-addition", title="A late addition")
    second = release()
    assert second == f"{first}-2"
    assert (releases_dir / first / "cases.csv").read_bytes() == before
    assert b"late-addition" in (releases_dir / second / "cases.csv").read_bytes()
    page = client.get("/data/").content.decode()
    assert page.index(f"Release {second}") < page.index(f"Release {first}<")


def test_only_listed_release_files_are_served(client, seed_catalogue, releases_dir):
    name = release()
    (releases_dir / "secret.txt").write_text("not for the public")
    (releases_dir / name / "extra.txt").write_text("not a release file")
    for url in [
        f"/data/releases/{name}/extra.txt",
        f"/data/releases/{name}/..%2Fsecret.txt",
        "/data/releases/..%2F..%2Fsettings.py/cases.csv",
        f"/data/releases/{name}%00/cases.csv",
        "/data/releases/2001-01-01/cases.csv",
        "/data/releases/" + "9" * 5000 + "/cases.csv",
    ]:
        assert client.get(url).status_code == 404, url


def test_the_data_page_describes_the_data_as_a_dataset(client, seed_catalogue, releases_dir):
    name = release()
    response = client.get("/data/")
    page = response.content.decode()
    nonce = re.search(r'<script type="application/ld\+json" nonce="([^"]+)">', page).group(1)
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]

    data = json.loads(page.split(f'nonce="{nonce}">', 1)[1].split("</script>", 1)[0])
    assert data["@type"] == "Dataset"
    assert data["license"] == "https://creativecommons.org/licenses/by/4.0/"
    urls = [d["contentUrl"] for d in data["distribution"]]
    for path in ["/cases.csv", "/cases.json", "/datapackage.json", "/api/cases/"]:
        assert f"http://testserver{path}" in urls
    assert f"http://testserver/data/releases/{name}/cases.csv" in urls
    for link in ["/cases.csv", "/cases.json", "/api/", "/codebook/", "/datapackage.json"]:
        assert f'href="{link}"' in page
    assert 'href="/api/openapi.json"' in page
    assert "Creative Commons Attribution 4.0" in page
