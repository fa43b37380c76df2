"""On a phone: a newcomer opens the cohort's join link, signs up with the emailed code (no
password), says how much they know, and lands on this week's pre-work."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.utils import timezone
from playwright.sync_api import expect

from cohorts import joining
from cohorts.models import Cohort, Membership, Role
from tests.e2e.people import person

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 780}
CODE_LINE = re.compile(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})?)\s*$", re.M)


@pytest.fixture
def running_cohort():
    """A cohort that started last week, every week published."""
    start = timezone.localdate() - timedelta(days=7)
    cohort = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="UTC",
        start_date=start,
        session_weekday=start.weekday(),
        session_time=(timezone.now() + timedelta(hours=2)).time().replace(microsecond=0),
    )
    cohort.create_weeks(4)
    cohort.weeks.update(publish_at=timezone.now() - timedelta(days=10))
    person("olga@example.com", "Olga Organizer", Role.ORGANIZER, cohort)
    return cohort


def no_sideways_scroll(page):
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_newcomer_joins_by_link_on_a_phone(page, running_cohort):
    link = joining.switch_on(running_cohort)
    current = running_cohort.current_week()
    assert current.number > 1
    page.set_viewport_size(PHONE)

    page.goto(link.get_absolute_url())
    expect(page.get_by_role("heading", name="Join Machine Learning")).to_be_visible()
    assert no_sideways_scroll(page)
    page.get_by_role("link", name="Join", exact=True).click()

    page.wait_for_url(re.compile(r"/accounts/signup/"))
    form = page.locator("form", has=page.locator('input[name="email"]'))
    form.get_by_label("Your name").fill("Nia New")
    form.get_by_label("Email").fill("nia@example.com")
    form.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Confirm your email address")).to_be_visible()
    assert [m.to for m in mail.outbox] == [["nia@example.com"]]
    code = CODE_LINE.search(mail.outbox[0].body).group(1)
    page.locator('input[name="code"]').fill(code)
    page.get_by_role("button", name="Continue").click()

    # Back on the join page, signed in: the name is there, the level is asked.
    expect(page.get_by_text("pairs mix levels")).to_be_visible()
    expect(page.get_by_label("Your name")).to_have_value("Nia New")
    assert no_sideways_scroll(page)
    page.get_by_label("New to the topic").check()
    page.get_by_role("button", name="Join Machine Learning").click()

    page.wait_for_url(re.compile(rf"/c/ml/weeks/{current.number}/$"))
    expect(page.get_by_text("Welcome to Machine Learning")).to_be_visible()
    membership = Membership.objects.get(user__email="nia@example.com", cohort=running_cohort)
    assert (membership.role, membership.experience, membership.joined_via) == (
        Role.PARTICIPANT,
        "new",
        "link",
    )
    assert not membership.user.has_usable_password()
