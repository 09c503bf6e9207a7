"""import_cases refuses what it cannot read exactly, naming the file, row and field, and writes
nothing; texts come back from a CSV exactly as they were exported."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from hypothesis import given
from hypothesis import strategies as st

from catalogue.models import Case
from catalogue.services import cases_import
from catalogue.tabular import COLUMN_NAMES, read_csv, write_csv
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db


def csv_text(docs):
    buffer = io.StringIO()
    write_csv(docs, buffer)
    return buffer.getvalue()


def write(path, docs):
    text = csv_text(docs) if path.suffix == ".csv" else json.dumps(docs)
    path.write_text(text, encoding="utf-8")
    return str(path)


def refused(capsys, *paths):
    """Run import_cases, which must refuse; returns what it wrote to stderr."""
    with pytest.raises(CommandError) as failure:
        call_command("import_cases", *paths)
    err = capsys.readouterr().err
    assert Case.objects.count() == 0
    return f"{err}\n{failure.value}"


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"slug": ["a", "b"]}, "slug"),
        ({"country": ["GB", "FR"]}, "country"),
        ({"planning": ["co-planning"]}, "planning"),
        ({"title": {"en": "Title"}}, "title"),
        ({"status": 1}, "status"),
        ({"evidence": {**case_doc()["evidence"], "direction": ["positive"]}}, "evidence.direction"),
        ({"sources": [{**case_doc()["sources"][0], "kind": ["news"]}]}, "sources[1].kind"),
        ({"outcomes": [{"statement": ["a"], "figure": "", "benefit_group": "citizens"}]}, None),
    ],
)
def test_a_list_where_one_value_is_expected_is_refused(
    vocabularies, tmp_path, capsys, overrides, field
):
    field = field or "outcomes[1].statement"
    path = write(tmp_path / "cases.json", [case_doc(slug="good"), case_doc(**overrides)])
    err = refused(capsys, path)
    assert f"cases.json, row 2, {field}: must be text" in err
    assert "nothing was imported" in err


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_nul_byte_in_a_slug_or_code_is_refused(vocabularies, tmp_path, capsys, suffix):
    docs = [case_doc(slug="a\x00b"), case_doc(slug="good", country="G\x00B")]
    err = refused(capsys, write(tmp_path / f"cases{suffix}", docs))
    assert f"cases{suffix}, row 1, slug:" in err
    assert f"cases{suffix}, row 2, country:" in err


@pytest.mark.parametrize("suffix", [".json", ".csv"])
def test_a_nul_byte_in_a_text_is_removed_with_a_warning(vocabularies, tmp_path, capsys, suffix):
    doc = case_doc(
        title="Line\u2028break",
        description="Null\x00byte",
        evidence={**case_doc()["evidence"], "rationale": "Form\x0cfeed"},
        sources=[{**case_doc()["sources"][0], "citation": "Bell\x07"}],
    )
    call_command("import_cases", write(tmp_path / f"cases{suffix}", [doc]), verbosity=0)
    case = Case.objects.get()
    assert (case.title, case.description) == ("Line\nbreak", "Nullbyte")
    assert (case.evidence_rationale, case.sources.get().citation) == ("Form\nfeed", "Bell")
    err = capsys.readouterr().err
    for field in ("title", "description", "evidence.rationale", "sources[1].citation"):
        assert f"cases{suffix}, row 1, {field}: " in err
    assert "locality" not in err


@pytest.mark.parametrize(
    "overrides, field, shown",
    [
        ({"evidence": {**case_doc()["evidence"], "level": 3.7}}, "evidence.level", "3.7"),
        ({"start_year": 2001.5}, "start_year", "2001.5"),
        ({"start_year": "2001"}, None, None),
        ({"start_year": True}, "start_year", "true"),
        ({"sources": [{**case_doc()["sources"][0], "year": 1999.9}]}, "sources[1].year", "1999.9"),
        ({"ongoing": "yes"}, "ongoing", "'yes'"),
    ],
)
def test_numbers_and_booleans_are_never_coerced(
    vocabularies, tmp_path, capsys, overrides, field, shown
):
    path = write(tmp_path / "cases.json", [case_doc(**overrides)])
    if field is None:
        call_command("import_cases", path, verbosity=0)
        return
    err = refused(capsys, path)
    assert f"cases.json, row 1, {field}: must be " in err
    assert f"not {shown}" in err


def test_whole_numbers_are_accepted_as_numbers_and_as_csv_text(vocabularies, tmp_path):
    doc = case_doc(evidence={**case_doc()["evidence"], "level": 3.0}, start_year=2001.0)
    call_command("import_cases", write(tmp_path / "cases.json", [doc]), verbosity=0)
    call_command("import_cases", write(tmp_path / "cases.csv", [case_doc(slug="csv")]), verbosity=0)
    assert Case.objects.get(slug="test-case").evidence_level == 3
    assert Case.objects.get(slug="test-case").start_year == 2001
    assert Case.objects.get(slug="csv").start_year == 2010


def test_a_fraction_in_a_csv_is_refused(vocabularies, tmp_path, capsys):
    text = csv_text([case_doc()]).replace(",2010,", ",2010.5,")
    (tmp_path / "cases.csv").write_text(text, encoding="utf-8")
    err = refused(capsys, str(tmp_path / "cases.csv"))
    assert "cases.csv, row 1, start_year: must be a whole number, not '2010.5'" in err


def test_errors_name_the_file_and_the_row_within_it(vocabularies, tmp_path, capsys):
    first = write(tmp_path / "first.json", [case_doc(slug="a"), case_doc(slug="b")])
    second = write(
        tmp_path / "second.csv",
        [case_doc(slug="c"), case_doc(slug="a"), case_doc(slug="d", phases=["nonsense"])],
    )
    err = refused(capsys, first, second)
    assert f"{second}, row 2, slug: repeats the slug of {first}, row 1" in err
    assert f"{second}, row 3, phases: unknown value 'nonsense'" in err
    assert "row 5" not in err


def test_unknown_csv_columns_are_refused(vocabularies, tmp_path, capsys):
    text = csv_text([case_doc()]).replace("status\r\n", "status,colour\r\n", 1)
    text = text.replace(",published\r\n", ",published,red\r\n")
    (tmp_path / "cases.csv").write_text(text, encoding="utf-8")
    err = refused(capsys, str(tmp_path / "cases.csv"))
    assert "cases.csv: unknown column 'colour'" in err
    assert ", ".join(COLUMN_NAMES) in err


def test_a_row_with_more_cells_than_the_header_is_refused(vocabularies, tmp_path, capsys):
    text = csv_text([case_doc()]).replace(",published\r\n", ",published,red\r\n")
    (tmp_path / "cases.csv").write_text(text, encoding="utf-8")
    err = refused(capsys, str(tmp_path / "cases.csv"))
    assert f"cases.csv: row 1 has {len(COLUMN_NAMES) + 1} cells" in err


@pytest.mark.parametrize(
    "overrides, field",
    [
        ({"colour": "red"}, "colour"),
        ({"evidence": {**case_doc()["evidence"], "strength": 3}}, "evidence.strength"),
        ({"sources": [{**case_doc()["sources"][0], "page": 3}]}, "sources[1].page"),
        (
            {"outcomes": [{"statement": "s", "figure": "", "benefit_group": "citizens", "n": 1}]},
            "outcomes[1].n",
        ),
    ],
)
def test_unknown_json_keys_are_refused_at_every_level(
    vocabularies, tmp_path, capsys, overrides, field
):
    err = refused(capsys, write(tmp_path / "cases.json", [case_doc(**overrides)]))
    assert f"cases.json, row 1, {field}: unknown key" in err


TEXT_STARTS = st.sampled_from(
    ["", "'", "''", "'''", "=", "'=", "''=", "+", "-", "'-", "@", "\t", "'\t", "\r", "'\r"]
)
TEXTS = st.builds(
    str.__add__,
    TEXT_STARTS,
    st.text(st.characters(exclude_categories=["Cs"]), max_size=8),
)


@given(title=TEXTS, lessons=TEXTS, figure=TEXTS, locator=TEXTS)
def test_a_csv_round_trip_gives_back_every_text_exactly(title, lessons, figure, locator):
    doc = case_doc(
        title=title,
        lessons=lessons,
        outcomes=[{"statement": "s", "figure": figure, "benefit_group": "citizens"}],
        sources=[{**case_doc()["sources"][0], "locator": locator}],
    )
    [back] = read_csv(io.StringIO(csv_text([doc]), newline=""))
    assert (back["title"], back["lessons"]) == (title, lessons)
    assert back["outcomes"][0]["figure"] == figure
    assert back["sources"][0]["locator"] == locator


@pytest.mark.parametrize(
    "text", ["'tis the season", "'=SUM(A1)", "=SUM(A1)", "''", "'", "-2", "'@x"]
)
def test_export_then_import_keeps_apostrophes_and_formulas_exactly(vocabularies, tmp_path, text):
    cases_import(documents=[case_doc(title=text, lessons=text)])
    path = tmp_path / "cases.csv"
    call_command("export_cases", "--format", "csv", "--output", str(path))
    Case.objects.all().delete()
    call_command("import_cases", str(path), verbosity=0)
    assert (Case.objects.get().title, Case.objects.get().lessons) == (text, text)


def test_an_apostrophe_the_author_wrote_is_kept(vocabularies, tmp_path):
    header = ",".join(COLUMN_NAMES)
    row = csv_text([case_doc(lessons="PLACEHOLDER")]).splitlines()[1]
    authored = row.replace("PLACEHOLDER", "'tis so")
    text = f"{header}\r\n{authored}\r\n"
    (tmp_path / "cases.csv").write_text(text, encoding="utf-8")
    call_command("import_cases", str(tmp_path / "cases.csv"), verbosity=0)
    assert Case.objects.get().lessons == "'tis so"


def test_an_import_costs_a_bounded_number_of_queries(vocabularies):
    documents = [
        case_doc(slug=f"case-{n}", phases=["co-design", "co-deliver"], activities=["co-managing"])
        for n in range(300)
    ]
    with CaptureQueriesContext(connection) as created:
        cases_import(documents=documents)
    with CaptureQueriesContext(connection) as updated:
        cases_import(documents=[{**doc, "title": "Renamed"} for doc in documents])
    assert len(created) < 100 and len(updated) < 100, (len(created), len(updated))
    assert Case.objects.filter(title="Renamed").count() == 300
    case = Case.objects.get(slug="case-7")
    assert [p.slug for p in case.phases.all()] == ["co-design", "co-deliver"]
    assert (case.outcomes.count(), case.sources.count(), case.history.count()) == (1, 1, 2)
