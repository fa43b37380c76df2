"""A four-day workshop: an organizer pastes four dates, checks the preview, creates the
cohort, and a participant finds "Day 1" where a course would say "Week 1"."""

from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.utils import timezone
from playwright.sync_api import expect

from cohorts.models import Cohort, Membership, Role, User
from tests.e2e.people import PASSWORD, sign_in

pytestmark = pytest.mark.e2e


def test_the_preview_works_without_javascript(browser, live_server):
    staff = User.objects.create_user(
        email="sam@example.com", password=PASSWORD, name="Sam", is_staff=True
    )
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, "sam@example.com")
        page.goto("/cohorts/new/")
        page.get_by_label("Title").fill("Workshop")
        page.get_by_role("radio", name="Daily").check()
        page.get_by_label("First session on or after").fill("2027-05-06")
        page.get_by_label("Weekdays only").check()
        page.get_by_label("Session time").fill("10:00")
        page.get_by_label("Number of sessions").fill("4")
        page.get_by_role("button", name="Preview the sessions").click()
        preview = page.locator(".schedule-preview")
        expect(preview.get_by_role("heading", name="The sessions (4)")).to_be_visible()
        expect(preview.locator("li").nth(2)).to_contain_text("Day 3 · Mon 10 May 2027, 10:00")
        assert not Cohort.objects.exists()
    finally:
        context.close()


def test_organizer_creates_a_four_day_workshop_from_pasted_dates(page):
    staff = User.objects.create_user(
        email="olga@example.com", password=PASSWORD, name="Olga", is_staff=True
    )
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    first = (timezone.now() + timedelta(days=3)).date()
    days = [first + timedelta(days=n) for n in range(4)]
    pasted = "\n".join(f"{day:%Y-%m-%d} 10:00" for day in days)

    sign_in(page, "olga@example.com")
    page.goto("/cohorts/new/")
    page.get_by_label("Title").fill("Data science workshop")
    page.get_by_label("Time zone").select_option("Asia/Jerusalem")
    page.get_by_label("A list of dates").check()
    page.get_by_label("List of dates: one session per line").fill(pasted)
    page.get_by_label("Session length (minutes)").fill("180")
    page.get_by_label("Call each session").select_option("Day")
    # With JavaScript the preview follows the fields by itself …
    preview = page.locator(".schedule-preview")
    expect(preview.get_by_role("heading", name="The sessions (4)")).to_be_visible()
    page.get_by_label("List of dates: one session per line").fill(pasted + "\n2020-13-01 10:00")
    expect(preview).to_contain_text("Line 5:")
    page.get_by_label("List of dates: one session per line").fill(pasted)
    expect(preview.get_by_role("heading", name="The sessions (4)")).to_be_visible()
    # … and the button shows the same list from the server, as it does without JavaScript.
    page.get_by_role("button", name="Preview the sessions").click()

    expect(preview.get_by_role("heading", name="The sessions (4)")).to_be_visible()
    items = preview.locator("li")
    expect(items).to_have_count(4)
    expect(items.nth(0)).to_contain_text(
        f"Day 1 · {days[0]:%a} {days[0].day} {days[0]:%b %Y}, 10:00–13:00"
    )
    expect(items.nth(3)).to_contain_text(f"Day 4 · {days[3]:%a} {days[3].day}")
    assert not Cohort.objects.exists()  # a preview creates nothing
    # The pasted list is still in the form, ready to create.
    expect(page.get_by_label("List of dates: one session per line")).to_have_value(pasted)

    page.get_by_role("button", name="Create cohort").click()
    expect(page.get_by_role("heading", name="Data science workshop", level=1)).to_be_visible()
    cohort = Cohort.objects.get()
    assert cohort.weeks.count() == 4

    pat = User.objects.create_user(email="pat@example.com", password=PASSWORD, name="Pat")
    EmailAddress.objects.create(user=pat, email=pat.email, verified=True, primary=True)
    Membership.objects.create(user=pat, cohort=cohort, role=Role.PARTICIPANT)
    sign_in(page, "pat@example.com")
    page.goto(cohort.get_absolute_url())
    expect(page.locator("main")).to_contain_text("Day 1")
    expect(page.locator("main")).to_contain_text("Day 4")
    expect(page.locator("main")).not_to_contain_text("Week")


def test_the_form_and_its_preview_fit_a_phone(page):
    staff = User.objects.create_user(
        email="sam@example.com", password=PASSWORD, name="Sam", is_staff=True
    )
    EmailAddress.objects.create(user=staff, email=staff.email, verified=True, primary=True)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "sam@example.com")
    page.goto("/cohorts/new/")
    page.get_by_label("Title").fill("Workshop")
    page.get_by_label("A list of dates").check()
    page.get_by_label("List of dates: one session per line").fill(
        "2027-05-02 10:00\n2027-05-03 10:00 240\n2027-05-04 10:00\n2027-05-05 10:00"
    )
    page.get_by_role("button", name="Preview the sessions").click()
    expect(page.get_by_role("heading", name="The sessions (4)")).to_be_visible()
    scroll, client = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert scroll <= client
