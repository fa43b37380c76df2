"""The facilitator guide: the whole course for whoever runs it next, ready to print."""

import pytest
from django.urls import reverse

from cohorts.models import Membership, Role

pytestmark = pytest.mark.django_db


def test_guide_has_every_week_with_notes_points_and_prompts(
    course_cohort, group_traces, make_user, client_for
):
    facilitator = make_user("fay@example.com")
    Membership.objects.create(user=facilitator, cohort=course_cohort, role=Role.FACILITATOR)
    response = client_for(facilitator).get(reverse("discussions:guide", args=["autumn-ml"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="guide__week"') == 4
    assert "Week 2: Loss: what we minimise" in html
    assert "Mon 26 Oct 2026, 18:00" in html  # on the cohort's clock, after the change
    assert "Notes for week 3: start with the whiteboard." in html
    assert "still a <em>linear</em> model?" in html  # Markdown, through the one filter
    assert "Swap: B explains <em>overfitting</em>." in html
    assert "7 min per turn" in html
    assert "css/curriculum.css" in html  # the print rules: a page per week
    # Nothing from the group: no muddiest points or people.
    assert "Gradients?" not in html and "Pat Participant" not in html


def test_guide_is_linked_for_facilitators_only(course_cohort, group_traces, client_for):
    organizer = client_for(group_traces["organizer"])
    page = organizer.get(reverse("cohorts:detail", args=["autumn-ml"])).content.decode()
    assert reverse("discussions:guide", args=["autumn-ml"]) in page
    assert reverse("curriculum:copy", args=["autumn-ml"]) in page
    participant = client_for(group_traces["pat"])
    page = participant.get(reverse("cohorts:detail", args=["autumn-ml"])).content.decode()
    assert reverse("discussions:guide", args=["autumn-ml"]) not in page
    assert participant.get(reverse("discussions:guide", args=["autumn-ml"])).status_code == 403
