"""The classification rules of PRODUCT.md section 2, at model and database level."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalogue import vocabulary as v
from catalogue.interchange import ImportFailed
from catalogue.models import Case
from catalogue.services import cases_import
from tests.conftest import case_doc

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "planning, delivery", [("professional", "professional"), ("community", "professional")]
)
def test_refused_cells_are_rejected_by_validation_with_their_explanation(
    make_case, planning, delivery
):
    case = make_case()
    case.planning, case.delivery = planning, delivery
    with pytest.raises(ValidationError) as error:
        case.full_clean()
    assert v.MATRIX[planning, delivery].note in error.value.message_dict["delivery"]


@pytest.mark.parametrize(
    "planning, delivery", [("professional", "professional"), ("community", "professional")]
)
def test_refused_cells_are_guarded_by_the_database(make_case, planning, delivery):
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(planning=planning, delivery=delivery)


def test_the_seven_accepted_cells_validate(make_case):
    accepted = [cell for cell in v.MATRIX.values() if not cell.refused]
    assert len(accepted) == 7
    for _index, cell in enumerate(accepted):
        case = make_case(planning=cell.planning, delivery=cell.delivery)
        case.full_clean()
        assert case.cell == cell


def test_self_organised_cell_is_accepted_with_a_note():
    cell = v.cell_for("community", "community")
    assert not cell.refused
    assert "indirect role" in cell.note


def test_type_is_required(make_case):
    case = make_case()
    case.individual = case.collective = False
    with pytest.raises(ValidationError):
        case.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        case.save()


def test_a_case_may_be_both_individual_and_collective(make_case):
    case = make_case(benefits=["individual", "collective"])
    assert [b.value for b in case.benefits] == ["individual", "collective"]


def test_phases_are_required(vocabularies):
    with pytest.raises(ImportFailed) as failure:
        cases_import(documents=[case_doc(phases=[])])
    assert ("phases", "choose at least one") in [(e.field, e.message) for e in failure.value.errors]


def test_phases_are_required_in_the_admin_form(admin_client, make_case):
    response = admin_client.post("/admin/catalogue/case/add/", {"title": "x"})
    form = response.context["adminform"].form
    assert not form.is_valid()
    assert "phases" in form.errors


@pytest.mark.parametrize("level", [-1, 6, 99])
def test_evidence_level_is_bounded(make_case, level):
    case = make_case()
    case.evidence_level = level
    with pytest.raises(ValidationError):
        case.full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(evidence_level=level)


def test_activity_must_sit_under_a_chosen_phase(vocabularies):
    with pytest.raises(ImportFailed) as failure:
        cases_import(documents=[case_doc(phases=["co-design"], activities=["co-managing"])])
    assert failure.value.errors[0].field == "activities"


def test_every_vocabulary_term_has_a_label_and_description():
    for vocabulary in (
        v.Phase,
        v.Activity,
        v.Planning,
        v.Delivery,
        v.Benefit,
        v.EvidenceLevel,
        v.Direction,
        v.EvaluationDesign,
        v.BenefitGroup,
        v.SourceKind,
        v.Level,
        v.Scenario,
        v.Driver,
        v.Status,
    ):
        for slug, label, description in vocabulary.terms():
            assert label and description, (vocabulary, slug)


def test_fixed_vocabulary_rows_match_the_vocabulary(db):
    from catalogue.models import Activity, Phase

    assert list(Phase.objects.values_list("slug", flat=True)) == v.Phase.values
    assert {a.slug: a.phase.slug for a in Activity.objects.select_related("phase")} == {
        slug: str(phase) for slug, phase in v.ACTIVITY_PHASE.items()
    }


def test_matrix_has_nine_cells_named_as_in_table_1():
    assert len(v.MATRIX) == 9
    assert v.MATRIX["co-planning", "co-delivery"].name == "Full user/professional co-production"
    assert {c.slug for c in v.REFUSED_CELLS} == {
        "professional--professional",
        "community--professional",
    }
