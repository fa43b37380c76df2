"""Phone-width layout: what people type must wrap, never push the page sideways.

Only a browser lays text out, so this lives with the browser tests.
"""

from datetime import timedelta

import pytest
from django.utils import timezone

from cohorts.models import Role
from discussions.models import MuddiestPoint
from tests.e2e.people import cohort_from_today, person, sign_in

pytestmark = pytest.mark.e2e
LONG_URL = (
    "https://developers.google.com/machine-learning/crash-course/overfitting/"
    "interpreting-loss-curves-and-what-they-tell-you-about-regularization"
)


def page_width(page):
    return page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )


@pytest.fixture
def week_with_a_pasted_link():
    cohort = cohort_from_today(1)
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now() - timedelta(days=6)
    week.session_start = timezone.now() + timedelta(days=1)
    week.save()
    author = person("ada@example.com", "Ada Lovelace", Role.PARTICIPANT, cohort)
    person("fatima@example.com", "Fatima Facilitator", Role.FACILITATOR, cohort)
    MuddiestPoint.objects.create(week=week, author=author, text=f"Why does {LONG_URL} say so?")
    return week


@pytest.mark.parametrize(
    ("email", "path"),
    [
        ("ada@example.com", "/c/ml/weeks/1/"),
        ("fatima@example.com", "/c/ml/weeks/1/"),
        ("fatima@example.com", "/c/ml/weeks/1/session/"),
    ],
)
def test_a_long_link_in_a_muddiest_point_wraps_on_a_phone(
    page, week_with_a_pasted_link, email, path
):
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, email)
    page.goto(path)
    assert page.get_by_text("Why does https://").first.is_visible()
    scroll_width, client_width = page_width(page)
    assert scroll_width <= client_width, f"{path} is {scroll_width}px wide on a 375px screen"
