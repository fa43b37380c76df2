"""A pasted line without a URL says so by its line number."""

import pytest
from django.urls import reverse

from assignments.forms import parse_pasted_items
from assignments.models import PreworkItem

pytestmark = pytest.mark.django_db


def test_a_line_without_a_url_says_which_line(upcoming_week, people, client_for):
    url = reverse("assignments:prework_editor", args=[upcoming_week.cohort.slug, 1])
    response = client_for(people["organizer"]).post(
        url,
        {
            "action": "paste",
            "paste-kind": "video",
            "paste-lines": "https://example.com/ok\nIntro | | 5",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "Line 2 has no URL." in page and "“” is not a web address" not in page
    assert PreworkItem.objects.count() == 0


def test_every_shape_of_line_without_a_url():
    _, errors = parse_pasted_items("Intro | \nIntro | | 5\n |  | 3")
    assert [message for _, _, message in errors] == [
        "Line 1 has no URL.",
        "Line 2 has no URL.",
        "Line 3 has no URL.",
    ]
