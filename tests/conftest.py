import os
import shutil
from pathlib import Path

import hypothesis
import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection, transaction
from hypothesis import HealthCheck

from catalogue import vocabulary as v
from catalogue.services import cases_import

# Generated-input tests: about 75 examples each by default; `make fuzz` runs 500 ("thorough").
hypothesis.settings.register_profile(
    "ci",
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
hypothesis.settings.register_profile(
    "thorough", parent=hypothesis.settings.get_profile("ci"), max_examples=500
)
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

ROOT = Path(__file__).resolve().parent.parent
CASE_FIXTURES = sorted((ROOT / "fixtures" / "cases").glob("*.json"))
CHROMIUM = "/usr/bin/chromium"


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    has_browser = Path(CHROMIUM).exists() and shutil.which("chromium") is not None
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)"))
        if "browser" in item.keywords and not has_browser:
            if os.environ.get("REQUIRE_BROWSER"):
                raise pytest.UsageError(f"REQUIRE_BROWSER is set but {CHROMIUM} is missing")
            item.add_marker(pytest.mark.skip(reason=f"needs Chromium at {CHROMIUM}"))


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session (in its own thread: see tests/browser.py)."""
    from tests.browser import BrowserThread

    thread = BrowserThread()
    yield thread.browser
    thread.close()


@pytest.fixture
def new_page(browser):
    """`new_page(width=1280, javascript=True, **context_options)`: a page in a fresh browser
    context, with its own cookies."""
    contexts = []

    def open_page(width=1280, height=900, javascript=True, **options):
        context = browser.new_context(
            viewport={"width": width, "height": height}, java_script_enabled=javascript, **options
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


class Clock:
    """time.time() for the submission's fill-time guard, the rate limiters and their "try again
    after" messages. Time passes on it as it does while a person fills a form. It starts at the
    same moment in every run: the rate limiters count in fixed windows whose edges depend on the
    limit's key, so a clock started at the real time would now and then see a window end in
    the middle of a test."""

    START = 1_798_797_600.0  # 2027-01-01 10:00 UTC

    def __init__(self):
        self.now = self.START

    def time(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("catalogue.drafts.time", clock)
    monkeypatch.setattr("catalogue.guards.time", clock)
    monkeypatch.setattr("django_ratelimit.core.time", clock)
    return clock


@pytest.fixture(autouse=True)
def exports_dir(settings, tmp_path):
    """Each test writes the whole catalogue's export files, and any open-data release, in a
    folder of its own."""
    settings.EXPORTS_DIR = tmp_path / "exports"
    settings.DATA_RELEASES_DIR = tmp_path / "releases"


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with no cached counts and no rate-limit history."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def _rows(models):
    return [(model, list(model.objects.order_by("pk").values())) for model in models]


def _restore(rows):
    """Insert saved rows with their primary keys, then move the sequences past them."""
    for model, values in rows:
        model.objects.bulk_create([model(**row) for row in values])
    statements = connection.ops.sequence_reset_sql(no_style(), [model for model, _ in rows])
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.fixture(scope="session")
def seed_rows(django_db_setup, django_db_blocker):
    """The editable vocabularies and the seed catalogue, loaded once per session the way
    `make run` loads them, kept as rows (the load itself is rolled back)."""
    from catalogue.models import Case, CoProducer, Outcome, ServiceArea, Source

    relations = [Case.phases, Case.activities, Case.service_areas, Case.co_producers]
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("loaddata", str(ROOT / "fixtures" / "vocabularies.json"), verbosity=0)
        call_command("import_cases", *map(str, CASE_FIXTURES), verbosity=0)
        vocabulary_rows = _rows([ServiceArea, CoProducer])
        catalogue_rows = _rows([Case, *(r.through for r in relations), Outcome, Source])
        transaction.set_rollback(True)
    return vocabulary_rows, catalogue_rows


EDITOR_PASSWORD = "a-long-editor-password"


@pytest.fixture
def editor(django_user_model):
    """A member of the Editors group (created by a migration), who signs in with EDITOR_PASSWORD."""
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(
        "editor", "editor@example.org", EDITOR_PASSWORD, is_staff=True
    )
    user.groups.add(Group.objects.get(name="Editors"))
    return user


@pytest.fixture
def vocabularies(db, seed_rows):
    """The editable vocabularies of fixtures/vocabularies.json."""
    _restore(seed_rows[0])


@pytest.fixture
def seed_catalogue(vocabularies, seed_rows):
    """The whole seed catalogue, as `make run` loads it (without its edit history)."""
    _restore(seed_rows[1])


def case_doc(**overrides):
    """A valid case document (docs/case-format.md), with overrides."""
    doc = {
        "slug": "test-case",
        "title": "Test case",
        "summary": "A short summary.",
        "description": "A longer description.",
        "country": "GB",
        "locality": "Testtown",
        "lead_organisations": "Testtown Council",
        "service_areas": ["health"],
        "co_producers": ["service-users"],
        "phases": ["co-deliver"],
        "activities": [],
        "planning": v.Planning.CO_PLANNING,
        "delivery": v.Delivery.CO_DELIVERY,
        "benefits": ["individual"],
        "evidence": {
            "level": 1,
            "direction": "positive",
            "design": "none",
            "independent": False,
            "rationale": "A rationale.",
            "confirmed": True,
        },
        "start_year": 2010,
        "end_year": None,
        "ongoing": True,
        "outcomes": [{"statement": "Things improved.", "figure": "", "benefit_group": "citizens"}],
        "costs": "",
        "lessons": "",
        "level": "",
        "scenario": "",
        "driver": "",
        "sources": [
            {
                "citation": "A source.",
                "year": 2010,
                "url": "",
                "kind": "academic",
                "locator": "p. 1",
            }
        ],
        "status": "published",
    }
    doc.update(overrides)
    return doc


@pytest.fixture
def make_case(vocabularies):
    """Build and save a case from a document; returns the Case."""
    from catalogue.models import Case

    counter = iter(range(1, 1_000_000))

    def build(**overrides):
        overrides.setdefault("slug", f"case-{next(counter)}")
        cases_import(documents=[case_doc(**overrides)])
        return Case.objects.get(slug=overrides["slug"])

    return build
