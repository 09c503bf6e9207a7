"""Dated releases of the open data, and the open-data page that lists them.

`release_write` (run by `manage.py release_data`, never by a web request) writes the whole
published catalogue as it is now (CSV, JSON, the data package and a README) into a folder of its
own under `DATA_RELEASES_DIR`, named by the date (and a sequence number for a second release the
same day), with the SHA-256 of every file. A release is never written again: a paper that cites
one can be checked against the same bytes years later. The page serves only the files of the
releases it lists, by names it knows.
"""

import hashlib
import json
import os
import re
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Count, Max, Q
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone, translation
from django.views.decorators.http import require_safe

from catalogue import datapackage, metadata
from catalogue import vocabulary as v
from catalogue.filters import CaseFilter
from catalogue.models import Case
from catalogue.opendata import EXPORTS, LICENCE, licence_shown
from catalogue.tabular import COLUMNS

NAME = re.compile(r"\d{4}-\d{2}-\d{2}(?:-[0-9]{1,3})?")
CHECKSUMS = "SHA256SUMS"
# Every file of a release, in the order the page lists them, with its type.
FILES = {
    "cases.csv": "text/csv; charset=utf-8",
    "cases.json": "application/json; charset=utf-8",
    "datapackage.json": "application/json; charset=utf-8",
    "README.md": "text/markdown; charset=utf-8",
    CHECKSUMS: "text/plain; charset=utf-8",
}
MAX_PER_DAY = 999


@dataclass
class ReleaseFile:
    name: str
    size: int
    sha256: str


@dataclass
class Release:
    name: str
    created: str
    count: int
    files: list

    @property
    def made(self):
        try:
            return datetime.fromisoformat(self.created)
        except ValueError:
            return None


class ReleaseExists(Exception):
    pass


def folder():
    return Path(settings.DATA_RELEASES_DIR)


def _sha256(path):
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _new_folder(day):
    """A new, empty folder for a release on this day: the date, then -2, -3... if taken."""
    root = folder()
    root.mkdir(parents=True, exist_ok=True)
    for number in range(1, MAX_PER_DAY + 1):
        name = day.isoformat() + (f"-{number}" if number > 1 else "")
        try:
            (root / name).mkdir()  # fails if it exists: two releases never share a folder
        except FileExistsError:
            continue
        return root / name
    raise ReleaseExists(f"There are already {MAX_PER_DAY} releases dated {day.isoformat()}.")


def _readme(*, name, created, count, url, hashes):
    year = name[:4]
    lines = [
        f"# {settings.SITE_NAME}: open data release {name}",
        "",
        f"Made {created}. {count} published case{'s' if count != 1 else ''}.",
        "",
        "This release does not change: its files and their SHA-256 checksums (below and in",
        f"{CHECKSUMS}) stay as they are. Cite it as:",
        "",
        f"> {settings.SITE_NAME} ({year}). Co-production case studies, open data release "
        f"{name}. {url}. Licence: {LICENCE['name']}.",
        "",
        f"Licence: {LICENCE['name']}, {LICENCE['url']}. Attribution: {LICENCE['attribution']}.",
        "",
        "## Files",
        "",
        *(f"- `{file}` (SHA-256 `{digest}`)" for file, digest in hashes.items()),
        "- `datapackage.json`: a Frictionless Data Package describing `cases.csv` column by",
        "  column (types, allowed values, the `|` between repeated values).",
        "",
        f"The codebook explains every column and value: {settings.SITE_URL}{reverse('codebook')}",
        "",
        str(v.EVIDENCE_CAVEAT),
        "",
    ]
    return "\n".join(lines)


def release_write(*, day=None):
    """Write a release of the whole published catalogue as it is now; returns it. Its files are
    in English, whatever language is active."""
    day = day or timezone.localdate()
    target = _new_folder(day)
    try:
        with translation.override(settings.LANGUAGE_CODE):
            return _write(target)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)  # an unfinished release is never left behind
        raise


def _write(target):
    name = target.name
    created = timezone.now().replace(microsecond=0).isoformat()
    filterset = CaseFilter({}, queryset=Case.objects.published())
    count = filterset.count()
    hashes = {}
    for kind in ("csv", "json"):
        path = target / f"cases.{kind}"
        chunks, _ = EXPORTS[kind]
        with path.open("w", encoding="utf-8", newline="") as file:
            file.writelines(chunks(filterset, []))
        hashes[path.name] = _sha256(path)
    url = f"{settings.SITE_URL}{reverse('data_page')}#release-{name}"
    package = datapackage.descriptor(
        csv_path="cases.csv",
        json_path="cases.json",
        codebook_url=f"{settings.SITE_URL}{reverse('codebook')}",
        version=name,
        created=created,
        hashes=hashes,
    )
    (target / "datapackage.json").write_text(
        json.dumps(package, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder) + "\n",
        encoding="utf-8",
    )
    hashes["datapackage.json"] = _sha256(target / "datapackage.json")
    (target / "README.md").write_text(
        _readme(name=name, created=created, count=count, url=url, hashes=hashes),
        encoding="utf-8",
    )
    hashes["README.md"] = _sha256(target / "README.md")
    # The checksums last, written whole: a release is listed only once they are there.
    sums = "".join(f"{digest}  {file}\n" for file, digest in hashes.items())
    partial = target / f".{CHECKSUMS}.partial"
    partial.write_text(sums, encoding="utf-8")
    os.replace(partial, target / CHECKSUMS)
    for path in target.iterdir():
        path.chmod(0o444)
    return release(name)


def _read_checksums(path):
    sums = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        digest, _, file = line.partition("  ")
        sums[file] = digest
    return sums


def release(name):
    """The complete release of this name, or None."""
    if not NAME.fullmatch(name or ""):
        return None
    target = folder() / name
    try:
        sums = _read_checksums(target / CHECKSUMS)
        package = json.loads((target / "datapackage.json").read_text(encoding="utf-8"))
        with (target / "cases.json").open("rb") as file:
            head = file.read(100).decode("utf-8", "replace")
    except (OSError, ValueError):
        return None
    found = re.match(r'\{"count": (\d+)', head)
    files = [
        ReleaseFile(file, (target / file).stat().st_size, sums.get(file, ""))
        for file in FILES
        if (target / file).is_file()
    ]
    return Release(name, package.get("created", ""), int(found[1]) if found else 0, files)


def releases():
    """Every complete release, newest first."""
    root = folder()
    if not root.is_dir():
        return []
    names = sorted(
        (p.name for p in root.iterdir() if NAME.fullmatch(p.name)),
        key=lambda n: (n[:10], int(n[11:] or 1)),
        reverse=True,
    )
    return [r for r in map(release, names) if r is not None]


@require_safe
def release_file(request, name, filename):
    """One file of a listed release, as written."""
    if filename not in FILES or release(name) is None:
        raise Http404("No such release file.")
    path = folder() / name / filename
    response = FileResponse(
        path.open("rb"),
        content_type=FILES[filename],
        as_attachment=filename.startswith("cases."),
        filename=f"coproduction-cases-{name}.{filename.rsplit('.', 1)[1]}"
        if filename.startswith("cases.")
        else filename,
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


def dataset_jsonld(request, listed, modified):
    """The open data as a schema.org Dataset with its distributions, for the data page."""

    def absolute(name, *args):
        return request.build_absolute_uri(reverse(name, args=args))

    def download(name, url, encoding, **more):
        return {
            "@type": "DataDownload",
            "name": name,
            "contentUrl": url,
            "encodingFormat": encoding,
            **more,
        }

    distribution = [
        download("All published cases (CSV)", absolute("cases_csv"), "text/csv"),
        download("All published cases (JSON)", absolute("cases_json"), "application/json"),
        download(
            "Data package (Frictionless Data Package describing the CSV)",
            absolute("datapackage_json"),
            "application/json",
        ),
        download(
            f"Read-only JSON API (described by OpenAPI 3.1 at {absolute('openapi_json')})",
            absolute("api_cases"),
            "application/json",
        ),
    ]
    for item in listed:
        for file, encoding in (("cases.csv", "text/csv"), ("cases.json", "application/json")):
            digest = next((f.sha256 for f in item.files if f.name == file), "")
            distribution.append(
                download(
                    f"Release {item.name} ({file})",
                    absolute("release_file", item.name, file),
                    encoding,
                    uploadDate=item.created,
                    sha256=digest,
                )
            )
    data = {
        "@context": "https://schema.org",
        "@type": "Dataset",
        "name": datapackage.TITLE,
        "description": datapackage.DESCRIPTION,
        "url": absolute("data_page"),
        "license": LICENCE["url"],
        "isAccessibleForFree": True,
        "creator": metadata.publisher(request),
        "publisher": metadata.publisher(request),
        "keywords": ["co-production", "public services", "case studies", "evidence"],
        "variableMeasured": [column["name"] for column in COLUMNS],
        "distribution": distribution,
    }
    if modified:
        data["dateModified"] = modified.isoformat()
    return data


@require_safe
def data_page(request):
    """/data/: the open data, how to cite it, its releases and what it can and cannot tell."""
    published = Case.objects.published()
    summary = published.aggregate(
        count=Count("id"),
        confirmed=Count("id", filter=Q(evidence_confirmed=True)),
        modified=Max("updated_at"),
    )
    per_level = dict(
        published.values_list("evidence_level")
        .annotate(n=Count("id"))
        .values_list("evidence_level", "n")
    )
    levels = [(level, label, per_level.get(level, 0)) for level, label in v.EvidenceLevel.choices]
    listed = releases()
    return render(
        request,
        "catalogue/data_page.html",
        {
            "licence": licence_shown(),
            "summary": summary,
            "levels": levels,
            "releases": listed,
            "columns": COLUMNS,
            "evidence_caveat": v.EVIDENCE_CAVEAT,
            "jsonld": dataset_jsonld(request, listed, summary["modified"]),
        },
    )
