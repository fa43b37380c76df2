"""“Not found” and “not allowed” are pages of the app, not the server's bare text."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_an_outsider_gets_homerooms_not_found_page_without_the_cohort_name(
    cohort, people, client_for
):
    response = client_for(people["outsider"]).get(cohort.get_absolute_url())
    assert response.status_code == 404
    page = response.content.decode()
    assert "Homeroom — learn at home, discuss together." in page
    assert "Page not found" in page
    assert reverse("home") in page
    assert cohort.title not in page


def test_a_participant_on_a_facilitator_page_is_told_why(cohort, people, client_for):
    response = client_for(people["participant"]).get(
        reverse("assignments:progress", args=[cohort.slug])
    )
    assert response.status_code == 403
    page = response.content.decode()
    assert "Homeroom — learn at home, discuss together." in page
    assert "Your role in this cohort does not allow this." in page


def test_a_participant_opening_the_session_page_is_told_where_their_pair_is(
    cohort, people, client_for
):
    week = cohort.weeks.get(number=1)
    for name in ("session", "timer", "pairs_print"):
        response = client_for(people["participant"]).get(
            reverse(f"discussions:{name}", args=[cohort.slug, week.number])
        )
        assert response.status_code == 403
        page = response.content.decode()
        assert "your own table, partner and turns are on your start page" in page
        assert reverse("home") in page
    # A facilitator kept from an organizer's page hears only that their role does not allow it.
    response = client_for(people["facilitator"]).get(
        reverse("cohorts:manage_members", args=[cohort.slug])
    )
    assert response.status_code == 403
    assert "your own table" not in response.content.decode()
