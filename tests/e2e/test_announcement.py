"""An organizer writes to the cohort: previews exactly who gets it, sends it; a participant
reads it in their email (real SMTP) and on the cohort page."""

import re
from datetime import date, time

import pytest
from playwright.sync_api import expect

from cohorts.models import Cohort, Role
from tests.conftest import html_of, text_of
from tests.e2e.people import person, sign_in

pytestmark = pytest.mark.e2e


def test_organizer_sends_an_announcement_participant_reads_it(page, smtp_inbox):
    cohort = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="Europe/Berlin",
        start_date=date(2026, 10, 19),
        session_weekday=0,
        session_time=time(18, 0),
    )
    cohort.create_weeks(4)
    person("olga@example.com", "Olga Organizer", Role.ORGANIZER, cohort)
    person("pat@example.com", "Pat Participant", Role.PARTICIPANT, cohort)

    sign_in(page, "olga@example.com")
    page.goto("/c/ml/")
    page.get_by_role("link", name="Write an announcement").click()
    page.get_by_label("Subject").fill("Room change on Monday")
    page.get_by_label("Message").fill("We meet in **room 4.12**, not the usual one.")
    page.get_by_label("Everyone in the cohort").check()
    page.get_by_role("button", name="Preview").click()

    expect(page.get_by_role("heading", name="Who gets it (2)")).to_be_visible()
    expect(page.locator(".recipients")).to_contain_text("Pat Participant <pat@example.com>")
    expect(page.locator(".prose strong")).to_have_text("room 4.12")
    assert smtp_inbox() == {}  # nothing before the organizer confirms
    page.get_by_role("button", name="Send now to 2").click()
    expect(page.get_by_text("Sending it to 2 recipient(s) now.")).to_be_visible()

    [message] = smtp_inbox()["pat@example.com"]
    assert str(message["Subject"]).strip() == "Room change on Monday · Machine Learning"
    assert message["Reply-To"] == "olga@example.com"
    assert "We meet in **room 4.12**, not the usual one." in text_of(message)
    assert "<strong>room 4.12</strong>" in html_of(message)
    link = re.search(r"Read it in Homeroom: https://homeroom\.example\.com(\S+)", text_of(message))

    sign_in(page, "pat@example.com")
    page.goto("/c/ml/")
    announcements = page.get_by_role("region", name="Announcements")
    expect(announcements).to_contain_text("Room change on Monday")
    announcements.get_by_role("link", name="Room change on Monday").click()
    expect(page.get_by_role("heading", name="Room change on Monday")).to_be_visible()
    expect(page.locator(".prose")).to_contain_text("We meet in room 4.12, not the usual one.")
    assert page.url.endswith(link.group(1))
