"""The pre-work journey: an organizer posts and schedules a week; after the publish time a
participant works through it without page reloads; the organizer sees who is ready."""

import csv
import io
import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from assignments.models import Completion, Submission
from cohorts.models import Cohort, Role
from tests.e2e.people import person, sign_in

pytestmark = pytest.mark.e2e


def test_organizer_posts_a_week_and_sees_a_participant_get_ready(page, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=True)
    cohort = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="Europe/Berlin",
        start_date=timezone.localdate() + timedelta(days=3),
        session_weekday=(timezone.localdate() + timedelta(days=3)).weekday(),
        session_time=time(16, 0),
    )
    cohort.create_weeks(4)
    person("olga@example.com", "Olga Organizer", Role.ORGANIZER, cohort)
    pat = person("pat@example.com", "Pat Participant", Role.PARTICIPANT, cohort)
    person("sam@example.com", "Sam Slow", Role.PARTICIPANT, cohort)

    # The organizer pastes three videos, adds an assignment and schedules the week.
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/manage/weeks/1/prework/")
    page.get_by_label("One item per line").fill(
        "Linear regression | https://example.com/lr | 14\n"
        "Training and loss | https://example.com/loss | 11\n"
        "Gradient descent | https://example.com/gd | 13"
    )
    page.get_by_role("button", name="Add these").click()
    expect(page.get_by_text("Added 3 items.")).to_be_visible()

    page.get_by_role("link", name="Add an assignment").click()
    page.get_by_label("Title").fill("Notebook: fit a line")
    page.get_by_label("Instructions").fill("Share a link to your notebook.")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text("Added the assignment")).to_be_visible()

    publish_at = cohort.local(start + timedelta(hours=2)).replace(second=0, microsecond=0)
    page.get_by_label("Schedule for").check()
    page.get_by_label("Publish at").fill(publish_at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Save visibility").click()
    expect(page.get_by_text("Scheduled: participants see Week 1 from")).to_be_visible()

    # Before the publish time the participant cannot see it.
    sign_in(page, "pat@example.com")
    assert page.goto("/c/ml/weeks/1/").status == 404

    # After it, the week is there; two videos are marked watched without a page reload.
    time_machine.move_to(publish_at + timedelta(minutes=1), tick=True)
    page.goto("/c/ml/weeks/1/")
    expect(page.get_by_text("3 videos, 1 assignment, 38 min left")).to_be_visible()
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name="Mark watched").first.click()
    expect(page.get_by_text("2 videos, 1 assignment, 24 min left")).to_be_visible()
    page.get_by_role("button", name="Mark watched").first.click()
    expect(page.get_by_text("1 video, 1 assignment, 13 min left")).to_be_visible()
    assert page.evaluate("window.__sameDocument") is True  # no reload happened
    assert Completion.objects.filter(user=pat).count() == 2

    page.get_by_role("link", name="Hand it in").click()
    page.get_by_label("Link").fill("https://colab.example.com/pat-week-1")
    page.get_by_role("button", name="Hand it in").click()
    expect(page.get_by_text("Handed in “Notebook: fit a line”")).to_be_visible()
    assert Submission.objects.get(user=pat).link == "https://colab.example.com/pat-week-1"

    # The organizer sees 2 of 3 and the submission; the CSV says the same.
    sign_in(page, "olga@example.com")
    page.goto("/c/ml/progress/")
    pat_row = page.get_by_role("row", name=re.compile("Pat Participant"))
    expect(pat_row).to_contain_text("67%")
    page.goto("/c/ml/progress/weeks/1/")
    pat_row = page.get_by_role("row", name=re.compile("Pat Participant"))
    expect(pat_row.get_by_text("✓")).to_have_count(2)
    expect(pat_row.get_by_role("link", name="link")).to_have_attribute(
        "href", "https://colab.example.com/pat-week-1"
    )
    with page.expect_download() as download_info:
        page.goto("/c/ml/progress/")
        page.get_by_role("link", name="Download progress.csv").click()
    text = Path(download_info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text)))
    by_email = {row[1]: row for row in rows[1:]}
    # Handed in and due are separate numbers, never "1/1" (a date to a spreadsheet).
    assert by_email["pat@example.com"][2:5] == ["67", "1", "1"]
    assert by_email["sam@example.com"][2:5] == ["0", "0", "1"]
