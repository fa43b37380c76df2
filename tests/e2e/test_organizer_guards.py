"""What organizers trip over, in the browser: the last organizer cannot demote themselves,
and pasted bare video URLs become readable "untitled" items the editor flags, with
publishing asking first."""

from datetime import date, time

import pytest
from playwright.sync_api import expect

from assignments.models import PreworkItem
from cohorts.models import Cohort, Membership, Role
from tests.e2e.people import person, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def course():
    cohort = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="Europe/Berlin",
        start_date=date(2026, 9, 7),
        session_weekday=0,
        session_time=time(18, 0),
    )
    cohort.create_weeks(3)
    person("olga@example.com", "Olga Organizer", Role.ORGANIZER, cohort)
    person("pat@example.com", "Pat Participant", Role.PARTICIPANT, cohort)
    return cohort


def test_the_only_organizer_cannot_demote_themselves_on_the_members_page(page, course):
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/manage/members/")
    page.get_by_label("Role of Olga Organizer").select_option(label="Participant")
    page.get_by_role("row", name="Olga Organizer").get_by_role("button", name="Save").click()

    expect(page.locator(".message--error")).to_contain_text("organizer")
    expect(page.get_by_label("Role of Olga Organizer")).to_have_value(Role.ORGANIZER)
    olga = Membership.objects.get(user__email="olga@example.com")
    assert olga.role == Role.ORGANIZER
    # Still an organizer: the management pages still open.
    assert page.goto("/c/ml/manage/members/").status == 200

    # With a second organizer, stepping down works.
    page.get_by_label("Role of Pat Participant").select_option(label="Organizer")
    page.get_by_role("row", name="Pat Participant").get_by_role("button", name="Save").click()
    expect(page.locator(".message--success")).to_be_visible()
    page.get_by_label("Role of Olga Organizer").select_option(label="Participant")
    page.get_by_role("row", name="Olga Organizer").get_by_role("button", name="Save").click()
    olga.refresh_from_db()
    assert olga.role == Role.PARTICIPANT


def test_bare_video_urls_get_readable_untitled_titles_and_publishing_asks_first(page, course):
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/manage/weeks/1/prework/")
    page.get_by_label("One item per line").fill(
        "https://www.youtube.com/watch?v=aircAruvnKk\n"
        "https://youtu.be/IHZwWFHWa-w\n"
        "https://vimeo.com/76979871\n"
        "Backpropagation | https://example.com/backprop | 12"
    )
    page.get_by_role("button", name="Add these").click()
    expect(page.get_by_text("Added 4 items.")).to_be_visible()

    items = page.locator(".editor-list__item")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text("YouTube video aircAruvnKk (untitled — add a title)")
    expect(items.nth(1)).to_contain_text("YouTube video IHZwWFHWa-w (untitled — add a title)")
    expect(items.nth(2)).to_contain_text("Vimeo video 76979871 (untitled — add a title)")
    # Those three are flagged; the titled one with minutes is not.
    for n in range(3):
        expect(items.nth(n).locator(".badge--warning")).to_have_text("Needs a title and minutes")
    expect(items.nth(3).locator(".badge--warning")).to_have_count(0)

    # Publishing now asks first, naming what is unfinished, and publishes nothing yet.
    page.get_by_label("Publish now").check()
    page.get_by_role("button", name="Save visibility").click()
    expect(page.get_by_text("3 items still need a title or minutes")).to_be_visible()
    expect(
        page.get_by_text("Vimeo video 76979871 (untitled — add a title) (needs a title")
    ).to_be_visible()
    week = course.weeks.get(number=1)
    assert week.publish_at is None

    # Fixing one item clears its flag.
    items.nth(0).get_by_role("link", name="Edit").click()
    page.get_by_label("Title").fill("But what is a neural network?")
    page.get_by_label("Minutes").fill("19")
    page.get_by_role("button", name="Save").click()
    page.goto("/c/ml/manage/weeks/1/prework/")
    expect(page.locator(".editor-list__item .badge--warning")).to_have_count(2)

    # Confirmed: published, and participants see readable titles, not four "Watch" rows.
    page.get_by_label("Publish now").check()
    page.get_by_label("Publish anyway").check()
    page.get_by_role("button", name="Save visibility").click()
    expect(page.get_by_text("Published: participants can see Week 1 now.")).to_be_visible()
    week.refresh_from_db()
    assert week.publish_at is not None
    titles = list(PreworkItem.objects.filter(week=week).values_list("title", flat=True))
    assert len(set(titles)) == 4 and "Watch" not in titles

    sign_in(page, "pat@example.com")
    page.goto("/c/ml/weeks/1/")
    expect(page.get_by_text("But what is a neural network?")).to_be_visible()
    expect(page.get_by_text("Vimeo video 76979871")).to_be_visible()
