"""`make loadtest`: mixed reading under load while submissions arrive, with faults.

Serves the site with production settings under gunicorn (2 sync workers) on a
fresh catalogue, reads it with wrk at twice the benchmark's concurrency for
SECONDS while two clients send guided submissions through the real forms,
with the mail server down throughout (e-mail goes to a closed local port).
Half-way it kills a worker mid-request. It then checks: no server errors or
timeouts while reading, every submission answered with success is in the
database whole (case, source, moderation event), no partial rows, and (on
SQLite) no "database is locked". Loopback only; stops by itself.
"""

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
GUNICORN = str(ROOT / ".venv" / "bin" / "gunicorn")
PORT = int(os.environ.get("LOADTEST_PORT", "8766"))
BASE = f"http://127.0.0.1:{PORT}"
READ_SCRIPT = ROOT / "bench" / "mixed.lua"
ANSWERS = [
    ("who", {"planning": "co-planning", "delivery": "co-delivery"}),
    ("participation", {"phases": ["co-design", "co-deliver"], "benefits": ["collective"]}),
    (
        "evidence",
        {
            "statements": ["1"],
            "direction": "positive",
            "design": "qualitative",
            "independent": "no",
            "rationale": "Interviews describe the change.",
        },
    ),
    (
        "about",
        {
            "title": "Load test example",
            "summary": "A submission sent under load.",
            "description": "Sent by the load test.",
            "country": "GB",
            "service_areas": ["health"],
            "co_producers": ["volunteers"],
            "start_year": "2020",
            "ongoing": "on",
        },
    ),
    (
        "outcomes",
        {
            "outcomes-TOTAL_FORMS": "3",
            "outcomes-INITIAL_FORMS": "0",
            "sources-TOTAL_FORMS": "3",
            "sources-INITIAL_FORMS": "0",
            "sources-0-citation": "Load test report (2024).",
            "sources-0-kind": "other",
        },
    ),
    ("contact", {"name": "Load Tester", "email": "load@example.org"}),
]


def environment(url):
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DJANGO_SECURE_SSL_REDIRECT": "false",
        "DJANGO_SECURE_COOKIES": "false",  # plain HTTP on loopback
        "DJANGO_SUBMISSION_MIN_SECONDS": "0",
        "DJANGO_SUBMISSION_RATE": "100000/h",
        "DJANGO_EMAIL_HOST": "127.0.0.1",  # nothing listens on port 9: the mail server is down
        "DJANGO_EMAIL_PORT": "9",
        "DJANGO_EMAIL_USE_TLS": "false",
        "DJANGO_LOG_LEVEL": "ERROR",
    }


def prepare(url):
    env = {**os.environ, "DATABASE_URL": url}
    for args in (
        ["migrate", "--noinput"],
        ["loaddata", "fixtures/vocabularies.json"],
        ["seed_synthetic", "--count", "2000"],
    ):
        subprocess.run(
            [PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
        )
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=environment(url),
        check=True,
    )


def submit_once():
    """One guided submission through the real forms; returns its reference, or None."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def post(path, data):
        page = opener.open(BASE + path, timeout=30).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        body = urllib.parse.urlencode({**data, "csrfmiddlewaretoken": token}, doseq=True).encode()
        request = urllib.request.Request(BASE + path, data=body, headers={"Referer": BASE + path})
        return opener.open(request, timeout=30)

    for step, data in ANSWERS:
        post(f"/submit/{step}/", data)
    final = post("/submit/check/", {})
    page = final.read().decode()
    match = re.search(r'class="reference">(CP-[A-Z0-9-]+)<', page)
    return match.group(1) if final.url.endswith("/submit/done/") and match else None


class Submitter(threading.Thread):
    def __init__(self, stop):
        super().__init__(daemon=True)
        self.stop, self.references, self.failures = stop, [], 0

    def run(self):
        while not self.stop.is_set():
            try:
                reference = submit_once()
            except (urllib.error.URLError, OSError, AttributeError):
                reference = None
            if reference:
                self.references.append(reference)
            else:
                self.failures += 1


def check_database(url, references):
    code = (
        "import django,json,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','catalogue.settings');django.setup();"
        "from catalogue.models import Case;"
        "subs=Case.objects.filter(reference__isnull=False);"
        "refs=set(subs.values_list('reference',flat=True));"
        "partial=[c.reference for c in subs if not c.sources.exists() or not c.events.exists() or not c.phases.exists()];"
        "print(json.dumps({'references':sorted(refs),'partial':partial}))"
    )
    out = subprocess.run(
        [PYTHON, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    data = json.loads(out)
    stored = set(data["references"])
    return {
        "answered_with_success": len(references),
        "in_database": len(stored),
        "missing": sorted(set(references) - stored),
        "partial_rows": data["partial"],
    }


def run(vendor, seconds):
    url = (
        f"sqlite:///{ROOT / 'bench' / 'data' / 'loadtest.sqlite3'}"
        if vendor == "sqlite"
        else os.environ.get(
            "LOADTEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/catalogue_loadtest"
        )
    )
    if vendor == "postgresql":
        subprocess.run(
            [
                "psql",
                "postgres://postgres@127.0.0.1:5432/postgres",
                "-qc",
                "DROP DATABASE IF EXISTS catalogue_loadtest",
            ],
            check=True,
        )
        subprocess.run(
            [
                "psql",
                "postgres://postgres@127.0.0.1:5432/postgres",
                "-qc",
                "CREATE DATABASE catalogue_loadtest",
            ],
            check=True,
        )
    (ROOT / "bench" / "data").mkdir(parents=True, exist_ok=True)
    for leftover in (ROOT / "bench" / "data").glob("loadtest.sqlite3*"):
        leftover.unlink()  # a fresh catalogue each run
    prepare(url)
    log = open(ROOT / "bench" / "data" / f"loadtest-{vendor}.log", "w")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [
            GUNICORN,
            "catalogue.wsgi",
            "--workers",
            "2",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--timeout",
            "30",
        ],
        cwd=ROOT,
        env=environment(url),
        stderr=log,
        stdout=log,
    )
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(BASE + "/", timeout=2)
                break
            except OSError:
                time.sleep(0.2)
        stop = threading.Event()
        submitters = [Submitter(stop), Submitter(stop)]
        for s in submitters:
            s.start()
        reading = subprocess.Popen(
            [
                "wrk",
                "-t1",
                "-c2",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                str(READ_SCRIPT),
                BASE + "/",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        reading_out, _ = reading.communicate(timeout=seconds + 60)
        read_figures = json.loads(reading_out.strip().splitlines()[-1])
        # Fault: kill a worker while requests are in flight; gunicorn starts another.
        killed = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True
        ).stdout.split()
        if killed:
            os.kill(int(killed[0]), signal.SIGKILL)
        time.sleep(min(10, seconds / 3))
        stop.set()
        for s in submitters:
            s.join(timeout=60)
        after_kill = urllib.request.urlopen(BASE + "/cases/", timeout=10).status
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        log.close()
    references = [r for s in submitters for r in s.references]
    result = {
        "database": vendor,
        "seconds": seconds,
        "reads": read_figures,
        "submissions": check_database(url, references),
        "submission_attempts_without_success": sum(s.failures for s in submitters),
        "site_answers_after_worker_killed": after_kill,
        "database_is_locked_errors": (ROOT / "bench" / "data" / f"loadtest-{vendor}.log")
        .read_text()
        .count("database is locked"),
    }
    ok = (
        read_figures["bad_status"] == 0
        and read_figures["socket_errors"] == 0
        and not result["submissions"]["missing"]
        and not result["submissions"]["partial_rows"]
        and result["submissions"]["answered_with_success"] > 0
        and result["database_is_locked_errors"] == 0
        and after_kill == 200
    )
    result["passed"] = ok
    print(json.dumps(result, indent=2))
    (ROOT / "bench" / "results").mkdir(exist_ok=True)
    (ROOT / "bench" / "results" / f"loadtest-{vendor}.json").write_text(
        json.dumps(result, indent=2)
    )
    return ok


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument(
        "--seconds", type=int, default=int(os.environ.get("LOADTEST_SECONDS", "60"))
    )
    args = parser.parse_args()
    results = [run(vendor, args.seconds) for vendor in args.databases.split(",")]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
