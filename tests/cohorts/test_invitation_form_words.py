"""The invitation box starts empty: examples live in its help text, not in a placeholder
that looks like addresses already filled in."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_the_invitation_box_has_no_placeholder_and_explains_roles(cohort, people, client_for):
    url = reverse("cohorts:manage_invitations", args=[cohort.slug])
    page = client_for(people["organizer"]).get(url).content.decode()
    textarea = re.search(r"<textarea[^>]*>", page).group(0)
    assert "placeholder" not in textarea
    assert "ada@example.com" not in page
    assert "One address per line" in page and "“grace@example.com, facilitator”" in page
