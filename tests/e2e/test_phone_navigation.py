"""On a 360 px phone: every cohort tab is on screen, tables scroll inside their frame, and
three cohorts do not make a tall header."""

from datetime import date, time, timedelta

import pytest

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, Role
from tests.e2e.people import person, sign_in

pytestmark = pytest.mark.e2e
PHONE = {"width": 360, "height": 780}


def make_cohort(slug, title):
    cohort = Cohort.objects.create(
        title=title,
        slug=slug,
        time_zone="Europe/Berlin",
        start_date=date(2026, 9, 7),
        session_weekday=0,
        session_time=time(18, 0),
    )
    cohort.create_weeks(3)
    return cohort


@pytest.fixture
def organizer_of_three():
    first = make_cohort("ml", "Machine Learning, autumn cohort")
    organizer = person("olga@example.com", "Olga Organizer", Role.ORGANIZER, first)
    for slug, title in (("stats", "Statistics for engineers"), ("ds", "Data science workshop")):
        Membership.objects.create(user=organizer, cohort=make_cohort(slug, title), role="organizer")
    for n in range(6):
        person(f"p{n}@example.com", f"Participant Number {n}", Role.PARTICIPANT, first)
    return first


def test_every_cohort_tab_is_on_screen_on_a_phone(page, organizer_of_three):
    page.set_viewport_size(PHONE)
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/")
    tabs = page.locator(".cohort-nav li a")
    assert tabs.count() >= 9  # Schedule … Notifications, Preferences
    for i in range(tabs.count()):
        box = tabs.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], tabs.nth(i).inner_text()


def test_three_cohorts_make_one_switcher_not_a_tall_header(page, organizer_of_three):
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/")
    header = page.locator(".site-header").bounding_box()
    assert header["height"] < 90
    page.locator(".cohort-switcher summary").click()
    page.get_by_role("link", name="Data science workshop").click()
    page.wait_for_url("**/c/ds/")


def test_the_members_table_scrolls_inside_its_frame_with_names_in_view(page, organizer_of_three):
    page.set_viewport_size(PHONE)
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/manage/members/")
    width, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert width <= client, "the page itself does not scroll sideways"
    frame = page.locator(".table-wrap").first
    frame.evaluate("el => el.scrollLeft = el.scrollWidth")
    name = page.get_by_text("Participant Number 0").first
    box = name.bounding_box()
    assert 0 <= box["x"] < PHONE["width"], "the first column stays in view while scrolled"


def test_progress_tables_stay_readable_on_a_phone(page, organizer_of_three):
    cohort = organizer_of_three
    cohort.weeks.all().delete()
    cohort.create_weeks(12)
    cohort.weeks.update(publish_at=cohort.weeks.get(number=1).session_start - timedelta(days=7))
    for n in range(6):
        PreworkItem.objects.create(
            week=cohort.weeks.get(number=1), kind="video", title=f"Lecture {n + 1}", minutes=10
        )
    page.set_viewport_size(PHONE)
    sign_in(page, "olga@example.com")

    for path in ("/c/ml/progress/", "/c/ml/progress/weeks/1/"):
        page.goto(path)
        width, client = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert width <= client, f"{path}: the page itself does not scroll sideways"
        frame = page.locator(".table-wrap").last
        box = frame.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], path
        frame.evaluate("el => el.scrollLeft = el.scrollWidth")
        name = frame.get_by_text("Participant Number 0").first
        name_box = name.bounding_box()
        assert 0 <= name_box["x"] < PHONE["width"], f"{path}: names stay in view while scrolled"
