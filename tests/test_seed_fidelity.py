"""The seed catalogue says what its sources say, in its own words: the checks that would have
caught what a reading against the seeds found (fixtures/cases, read from the files; the seed
texts from ../shared/seeds, or SEEDS_DIR, as the figure check in test_seed_catalogue.py)."""

import json
import re

import pytest
from django_countries import countries

from tests.conftest import CASE_FIXTURES
from tests.test_seed_catalogue import SEEDS
from tests.verbatim import copied_runs, seed_words

DOCUMENTS = [doc for path in CASE_FIXTURES for doc in json.loads(path.read_text("utf-8"))]
# The case's own prose; figures (copied exactly, by rule) and citations are not.
PROSE = ("title", "summary", "description", "costs", "lessons")
LONGEST_COPY = 12  # words: a run this long copied from a seed must be in quotation marks
# A rating of 2 or more rests on data showing change; the rationale names it.
CHANGE = re.compile(
    r"\b(before-and-after|chang\w*|improv\w*|effects?|experiment\w*|trials?|compar\w*)\b", re.I
)


def prose(doc):
    yield from ((field, doc.get(field) or "") for field in PROSE)
    for at, outcome in enumerate(doc["outcomes"]):
        yield f"outcomes[{at}].statement", outcome["statement"]
    yield "evidence.rationale", doc["evidence"]["rationale"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed texts are not at {SEEDS} (set SEEDS_DIR)")
def test_no_case_copies_a_seed_at_length_outside_quotation_marks():
    seeds = seed_words(SEEDS)
    copied = [
        (doc["slug"], field, run.length, run.text)
        for doc in DOCUMENTS
        for field, text in prose(doc)
        for run in copied_runs(text, seeds, min_words=LONGEST_COPY)
    ]
    assert not copied, copied


def test_the_copy_check_sees_copies_and_lets_quotations_be():
    twelve = "one two three four five six seven eight nine ten eleven twelve"
    seeds = {"seed.txt": twelve.split(" ")}
    copied = f"As the source says, {twelve}."
    quoted = f"As the source says, “{twelve}”."
    assert [run.length for run in copied_runs(copied, seeds)] == [12]
    assert copied_runs(quoted, seeds) == []
    assert copied_runs("one two three four five six seven eight nine ten eleven", seeds) == []


def test_every_rating_of_2_or_more_names_the_data_that_shows_change():
    for doc in DOCUMENTS:
        evidence = doc["evidence"]
        if evidence["level"] >= 2:
            assert CHANGE.search(evidence["rationale"]), (doc["slug"], evidence["rationale"])


# A case without a locality shows its country in words: its description, or a source's locator
# (the systematic review's table is arranged by country, and its locators say which), names it
# by its English name or a common short form; otherwise its source describes the practice
# without a country, and the description says under which country the catalogue records it
# (docs/case-format.md, `country`). A seed may name the country by a place in it or in a name
# ("Age Concern London", "America Speaks"); "Welsh" is not a short form: it names the Welsh review.
SHORT_FORMS = {
    "GB": ("UK", "Britain", "England", "Scotland", "Wales", "London"),
    "US": ("US", "USA", "United States", "America"),
}


def names_country(text, code):
    names = (countries.name(code), *SHORT_FORMS.get(code, ()))
    return any(re.search(rf"\b{re.escape(name)}\b", text) for name in names)


def test_a_case_whose_source_names_no_country_says_where_the_catalogue_records_it():
    unsaid = []
    for doc in DOCUMENTS:
        code, description = doc["country"], doc["description"]
        locators = " ".join(source["locator"] for source in doc["sources"])
        if doc["locality"] or names_country(description, code) or names_country(locators, code):
            continue
        note = rf"the catalogue records it under (the )?{re.escape(countries.name(code))}\b"
        if not re.search(note, description):
            unsaid.append((doc["slug"], code))
    assert not unsaid, unsaid
