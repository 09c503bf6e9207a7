"""The public pages render, and only published cases are public."""

import pytest
from django.urls import reverse

from catalogue import vocabulary as v

pytestmark = pytest.mark.django_db


def test_home_page_shows_the_matrix_with_counts(client, make_case):
    make_case(planning="co-planning", delivery="community")
    response = client.get(reverse("home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "User/community delivery of co-planned or co-designed services" in body
    assert "?planning=co-planning&amp;delivery=community" in body
    assert "1 case<" in body


def test_case_list_lists_published_cases_only(client, make_case):
    make_case(title="Visible case")
    make_case(title="Hidden case", status="submitted")
    response = client.get(reverse("case_list"))
    assert response.status_code == 200
    assert b"Visible case" in response.content
    assert b"Hidden case" not in response.content
    assert b"1 case" in response.content


def test_case_page_names_its_matrix_cell(client, make_case):
    case = make_case(planning="professional", delivery="community")
    response = client.get(case.get_absolute_url())
    assert response.status_code == 200
    assert v.MATRIX["professional", "community"].name.encode() in response.content


@pytest.mark.parametrize("status", [s for s in v.Status.values if s != "published"])
def test_unpublished_cases_are_404(client, make_case, status):
    case = make_case(status=status)
    assert client.get(f"/cases/{case.slug}/").status_code == 404


def test_unknown_case_is_404(client, db):
    assert client.get("/cases/no-such-case/").status_code == 404


def test_user_text_is_escaped_on_the_case_page(client, make_case):
    case = make_case(title="<script>alert(1)</script>", description="<img src=x onerror=alert(1)>")
    body = client.get(case.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    assert "<img src=x" not in body


def test_base_layout_is_accessible(client, db):
    body = client.get(reverse("home")).content.decode()
    assert '<html lang="en-GB">' in body
    assert 'class="skip-link" href="#main"' in body
    assert '<main id="main"' in body
    assert "<header" in body and "<footer" in body and '<nav aria-label="Main">' in body
    assert 'name="viewport"' in body
