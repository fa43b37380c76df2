"""A participant finds last session's feedback form from the coming week's page, rates
it, and is not asked again; a printed week page has no pager."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Role
from discussions.models import Feedback
from tests.e2e.people import cohort_from_today, person, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def two_weeks():
    """Week 1's session was two days ago; week 2's is in five days. Both published."""
    cohort = cohort_from_today(3)
    now = timezone.now()
    for number, start in ((1, now - timedelta(days=2)), (2, now + timedelta(days=5))):
        cohort.weeks.filter(number=number).update(
            session_start=start, publish_at=now - timedelta(days=9)
        )
    ada = person("ada@example.com", "Ada Lovelace", Role.PARTICIPANT, cohort)
    return cohort, ada


@pytest.mark.django_db(transaction=True)
def test_rate_last_session_from_the_coming_weeks_page(page, two_weeks):
    cohort, ada = two_weeks
    sign_in(page, "ada@example.com")
    page.goto("/c/ml/weeks/2/")
    prompt = page.get_by_role("status").filter(has_text="How was Week 1?")
    expect(prompt).to_be_visible()
    prompt.get_by_role("link", name="Rate it").click()
    page.wait_for_url("**/c/ml/weeks/1/feedback/")
    for legend in ("Logistics", "Content quality", "Content relevance", "Overall"):
        page.get_by_role("group", name=legend).get_by_label("4", exact=True).check()
    page.get_by_role("button", name="Send feedback").click()
    page.wait_for_url(re.compile(r"/c/ml/weeks/1/(#feedback)?$"))
    expect(page.get_by_text("your feedback is saved")).to_be_visible()
    assert Feedback.objects.get(user=ada).week.number == 1

    page.goto("/c/ml/weeks/2/")
    expect(page.get_by_role("heading", name="Pre-work")).to_be_visible()
    expect(page.get_by_text("How was Week 1?")).to_have_count(0)
    page.goto("/c/ml/")
    expect(page.get_by_text("How was Week 1?")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_a_printed_week_page_has_no_pager(page, two_weeks):
    sign_in(page, "ada@example.com")
    page.goto("/c/ml/weeks/2/")
    pager = page.get_by_role("navigation", name="Other sessions")
    expect(pager).to_be_visible()
    page.emulate_media(media="print")
    expect(pager).to_be_hidden()
