"""import_cases and export_cases: exact round trips, all-or-nothing imports with row and field."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from catalogue.models import Case
from catalogue.tabular import write_csv
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db

TRICKY = case_doc(
    slug="tricky",
    title="Quotes \"double\" and 'single', commas, and = at the end",
    summary="=SUM(A1) starts like a formula",
    description="Line one\nLine two, with a comma\n\n“Curly” quotes, émigré, 中文, עברית \u202eRTL\u202c",
    lessons="'already quoted",
    outcomes=[{"statement": "Up, by a lot", "figure": "-12%", "benefit_group": "citizens"}],
    sources=[
        {
            "citation": 'A, B. (2020) "Title"',
            "year": 2020,
            "url": "https://example.org/a?b=1&c=2",
            "kind": "news",
            "locator": "p. 3",
        }
    ],
)


def csv_text(docs):
    buffer = io.StringIO()
    write_csv(docs, buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_then_import_reproduces_the_catalogue_exactly(seed_catalogue, tmp_path, fmt):
    from catalogue.services import cases_import

    cases_import(documents=[TRICKY])
    first = tmp_path / f"first.{fmt}"
    second = tmp_path / f"second.{fmt}"
    call_command("export_cases", "--format", fmt, "--output", str(first))
    count = Case.objects.count()
    Case.objects.all().delete()
    call_command("import_cases", str(first), verbosity=0)
    assert Case.objects.count() == count
    call_command("export_cases", "--format", fmt, "--output", str(second))
    assert first.read_bytes() == second.read_bytes()


def test_import_is_idempotent_by_slug(seed_catalogue, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps([TRICKY]))
    call_command("import_cases", str(path), verbosity=0)
    call_command("import_cases", str(path), verbosity=0)
    assert Case.objects.filter(slug="tricky").count() == 1
    assert Case.objects.get(slug="tricky").outcomes.count() == 1


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_a_bad_import_changes_nothing_and_names_the_row_and_field(
    vocabularies, tmp_path, capsys, fmt
):

    docs = [
        case_doc(slug="good-1"),
        case_doc(slug="good-2"),
        case_doc(slug="bad", phases=["nonsense"], country="XX"),
    ]
    path = tmp_path / f"cases.{fmt}"
    path.write_text(json.dumps(docs) if fmt == "json" else csv_text(docs), encoding="utf-8")
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_cases", str(path))
    errors = capsys.readouterr().err
    assert "row 3, phases: unknown value 'nonsense'" in errors
    assert "row 3, country:" in errors
    assert Case.objects.count() == 0


def test_unreadable_files_are_refused_clearly(db, tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("[{")
    with pytest.raises(CommandError, match="not valid JSON"):
        call_command("import_cases", str(path))
    with pytest.raises(CommandError, match="unknown file type"):
        call_command("import_cases", str(tmp_path / "cases.xlsx"))


def test_an_import_writes_one_history_record_per_case_with_its_relations(vocabularies, client):
    from django.contrib.auth.models import User
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from catalogue.services import cases_import

    documents = [
        case_doc(slug=f"imported-{n}", phases=["co-design", "co-deliver"]) for n in range(20)
    ]
    with CaptureQueriesContext(connection) as queries:
        cases_import(documents=documents)
    assert len(queries) <= 20 * 16, "an import costs a bounded number of queries a case"
    case = Case.objects.get(slug="imported-3")
    [record] = case.history.all()
    assert (record.history_type, record.history_change_reason) == ("+", "Imported")
    assert sorted(row.phase.slug for row in record.phases.all()) == ["co-deliver", "co-design"]

    cases_import(documents=[case_doc(slug="imported-3", title="Renamed", phases=["co-design"])])
    latest, first = case.history.all()[:2]
    assert (latest.history_type, latest.title, first.title) == ("~", "Renamed", "Test case")
    assert [row.phase.slug for row in latest.phases.all()] == ["co-design"]
    changed = {change.field for change in latest.diff_against(first).changes}
    assert changed == {"title", "phases"}
    client.force_login(User.objects.create_superuser("admin", "a@example.org", "pw"))
    assert client.get(f"/admin/catalogue/case/{case.pk}/history/").status_code == 200
