"""The seed catalogue: it loads, it holds at least 80 distinct cases whose figures are copied from
the seeds they cite, and the Bovaird (2007) case studies sit in their Table 1 cells."""

import json
import os
import re
from pathlib import Path

import pytest

from catalogue.models import Case
from tests.conftest import CASE_FIXTURES, ROOT

pytestmark = pytest.mark.django_db

TABLE_1 = {
    "porto-alegre-participatory-budgeting": ("co-planning", "professional"),
    "sure-start-gateshead": ("professional", "co-delivery"),
    "caterham-barracks-community-trust": ("co-planning", "co-delivery"),
    "beacon-community-regeneration-partnership": ("community", "co-delivery"),
    "villa-family": ("professional", "community"),
    "tackley-village-shop": ("co-planning", "community"),
}


def test_the_six_case_studies_are_published_in_their_table_1_cells(seed_catalogue):
    for slug, cell in TABLE_1.items():
        case = Case.objects.published().get(slug=slug)
        assert (case.planning, case.delivery) == cell, slug


# How locators name the seed texts, in readers' words: the publication, then its section.
SEED_PUBLICATIONS = {
    "Bovaird (2007)": "004_1b22680238e5952d.txt",
    "Bovaird and Loeffler (2014)": "001_90c1ab84eda2ab96.txt",
    "Trættemberg and Ervik (2024)": "000_ce50f642e72de00e.txt",
    "the course text 'Co-production: levels, types and models'": "002_0a2b85991751ffff.txt",
    "the research note on individual and collective co-production": "003_f1ab7abe4a037fb8.txt",
}
SEED_LOCATOR = re.compile(
    "(" + "|".join(re.escape(name) for name in SEED_PUBLICATIONS) + r"), (\S.*)"
)


def cited_seeds(locators):
    """The seed files that a case's source locators cite, each with a section."""
    return {SEED_PUBLICATIONS[m[1]] for loc in locators if (m := SEED_LOCATOR.search(loc))}


def test_every_published_case_cites_a_seed_with_a_section(seed_catalogue):
    for case in Case.objects.published().prefetch_related("sources"):
        assert cited_seeds(s.locator for s in case.sources.all()), case.slug


def test_source_locators_never_show_file_names(client, seed_catalogue):
    for case in Case.objects.published():
        page = client.get(case.get_absolute_url()).content.decode()
        api = client.get(f"/api/cases/{case.slug}/").content.decode()
        for text in (page, api):
            assert "seeds/" not in text and ".txt" not in text, case.slug
    assert "Bovaird (2007), case study 'The Sure Start initiative in Gateshead'; Table 1" in (
        client.get("/cases/sure-start-gateshead/").content.decode().replace("&#x27;", "'")
    )


def test_every_case_page_names_its_table_1_cell(client, seed_catalogue):
    for case in Case.objects.published():
        response = client.get(case.get_absolute_url())
        assert response.status_code == 200
        assert case.cell.name in response.content.decode(), case.slug


def test_loading_the_seed_catalogue_twice_changes_nothing(seed_catalogue):
    from django.core.management import call_command

    before = Case.objects.count()
    call_command("import_cases", *map(str, CASE_FIXTURES), verbosity=0)
    assert Case.objects.count() == before


def test_the_issue_checks_on_the_seed_catalogue(client, seed_catalogue):
    cell = client.get("/cases/?planning=co-planning&delivery=community")
    slugs = [c.slug for c in cell.context["page"].object_list]
    assert "tackley-village-shop" in slugs and "villa-family" not in slugs
    search = client.get("/cases/?q=breastfeeding")
    assert search.context["page"].object_list[0].slug == "sure-start-gateshead"


def test_the_seed_catalogue_has_at_least_80_distinct_published_cases(seed_catalogue):
    published = Case.objects.published()
    assert published.count() >= 80
    titles = [title.casefold() for title in published.values_list("title", flat=True)]
    assert len(titles) == len(set(titles))


SEEDS = Path(os.environ.get("SEEDS_DIR", ROOT.parent / "shared" / "seeds"))


@pytest.mark.skipif(not SEEDS.is_dir(), reason=f"the seed texts are not at {SEEDS} (set SEEDS_DIR)")
def test_every_key_figure_is_copied_exactly_from_a_seed_the_case_cites():
    def flat(text):
        return " ".join(text.split())

    seeds = {path.name: flat(path.read_text()) for path in SEEDS.glob("*.txt")}
    for path in CASE_FIXTURES:
        for doc in json.loads(path.read_text()):
            cited = cited_seeds(s["locator"] for s in doc["sources"])
            for outcome in doc["outcomes"]:
                if figure := outcome["figure"]:
                    assert any(flat(figure) in seeds[name] for name in cited), (doc["slug"], figure)


def test_a_merged_case_address_leads_to_the_case_that_replaced_it(client, seed_catalogue):
    old = client.get("/cases/pact-maternal-health-community-intervention/")
    assert old.status_code == 301
    assert old["Location"] == "/cases/community-organising-maternal-health-south-london/"
    assert client.get(old["Location"]).status_code == 200
    assert client.get("/cases/no-such-case/").status_code == 404


def test_editors_retire_a_case_address_in_the_admin(django_app, editor, seed_catalogue):
    index = django_app.get("/admin/", user=editor)
    form = (
        index.click("^Redirects$", href="/admin/redirects/redirect/$")
        .click("Add redirect")
        .forms["redirect_form"]
    )
    form["old_path"] = "/cases/an-old-address/"
    form["new_path"] = "/cases/sure-start-gateshead/"
    assert form.submit().status_code == 302
    django_app.reset()
    moved = django_app.get("/cases/an-old-address/", status=301)
    assert moved.follow().status_code == 200
