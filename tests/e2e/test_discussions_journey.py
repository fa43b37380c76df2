"""Discussion sessions in a real browser.

A facilitator marks attendance, generates pairs, swaps two people, opens the print view,
downloads the PDF and runs the room timer from the keyboard. A participant posts a
muddiest point, upvotes another, shares a link and submits feedback — without page
reloads where htmx is at work.
"""

import io
import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from cohorts.models import Role
from discussions.models import (
    Attendance,
    Feedback,
    MuddiestPoint,
    MuddiestVote,
    Pairing,
    PairPrompt,
    SharedResource,
)
from tests.e2e.people import cohort_in_session, person, sign_in

pytestmark = pytest.mark.e2e
PROMPTS = [
    "Explain why y = w₁x₁ + w₂x₂ + w₃x₃² is still a linear model.",
    "Explain what the learning rate does.",
]
NAMES = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Barbara Liskov", "Edsger Dijkstra",
         "Frances Allen", "Donald Knuth"]  # fmt: skip


@pytest.fixture
def session_week():
    """A cohort whose week 1 session started an hour ago, with seven participants."""
    cohort, week = cohort_in_session(weeks=2, started_ago=timedelta(hours=1))
    for text in PROMPTS:
        PairPrompt.objects.create(week=week, prompt=text)
    person("fatima@example.com", "Fatima Facilitator", Role.FACILITATOR, cohort)
    levels = ["new", "some", "experienced"]
    participants = [
        person(f"p{n}@example.com", name, Role.PARTICIPANT, cohort, levels[n % 3])
        for n, name in enumerate(NAMES)
    ]
    return week, participants


def mark_page(page):
    """Set a flag that a full page load would wipe out."""
    page.evaluate("window.__sameDocument = true")


def assert_same_document(page):
    assert page.evaluate("window.__sameDocument === true"), "the page was reloaded"


def test_facilitator_marks_attendance_pairs_swaps_and_prints(page, session_week):
    week, participants = session_week
    sign_in(page, "fatima@example.com")
    page.goto("/c/ml/weeks/1/")
    page.get_by_role("link", name="Open the session page").click()
    expect(page.get_by_role("heading", name="Run the session")).to_be_visible()
    attendance = page.locator("#attendance")
    expect(attendance.get_by_text("7 of 7 to pair")).to_be_visible()

    # Donald Knuth is not here today: one tap on his name, no reload.
    mark_page(page)
    knuth = attendance.get_by_role("button", name=re.compile("^Donald Knuth (not marked|absent)$"))
    expect(knuth).to_have_attribute("aria-pressed", "false")
    knuth.click()
    expect(attendance.get_by_text("6 of 7 to pair")).to_be_visible()
    expect(
        attendance.get_by_role("button", name=re.compile("^Donald Knuth (not marked|absent)$"))
    ).to_have_attribute("aria-pressed", "true")
    assert_same_document(page)
    assert Attendance.objects.get(week=week, user__name="Donald Knuth").status == "absent"

    page.get_by_role("button", name="Generate pairs for 6 people").click()
    cards = page.locator(".pair-card")
    expect(cards).to_have_count(3)
    pairs = page.locator("#pairs")
    expect(pairs.get_by_text("Donald Knuth")).to_have_count(0)
    assert_same_document(page)

    # Swap the first people at tables 1 and 2.
    first = cards.nth(0).locator(".pair-card__name").first.inner_text()
    second = cards.nth(1).locator(".pair-card__name").first.inner_text()
    page.get_by_label("Swap", exact=True).select_option(label=first)
    page.get_by_label("with", exact=True).select_option(label=second)
    page.get_by_role("button", name="Swap", exact=True).click()
    expect(cards.nth(0).locator(".pair-card__name").first).to_have_text(second)
    expect(cards.nth(1).locator(".pair-card__name").first).to_have_text(first)
    stored = Pairing.objects.get(week=week).groups.order_by("number")
    assert stored[0].person_a.display_name == second
    assert stored[1].person_a.display_name == first

    page.get_by_role("button", name="Lock these pairs").click()
    expect(pairs.get_by_text("Locked")).to_be_visible()

    # The print view: an overview and one sheet per pair.
    page.get_by_role("link", name="Print pair sheets").first.click()
    expect(page.get_by_role("heading", name=re.compile("Facilitator overview"))).to_be_visible()
    expect(page.locator("article.sheet")).to_have_count(4)
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    for name in NAMES[:-1]:
        expect(page.locator("main").get_by_text(name).first).to_be_visible()

    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile(r"Download PDF")).click()
    download = download_info.value
    assert download.suggested_filename == "ml-week-1-pairs.pdf"
    with open(download.path(), "rb") as pdf_file:
        reader = PdfReader(io.BytesIO(pdf_file.read()))
    text = " ".join(" ".join(page_.extract_text() for page_ in reader.pages).split())
    for name in NAMES[:-1]:
        assert name in text
    for prompt in PROMPTS:
        assert prompt in text
    assert len(reader.pages) == 4

    # The room timer: Space starts, N moves to the other person's turn.
    page.goto("/c/ml/weeks/1/timer/")
    clock = page.locator(".timer__turn--current [data-clock]")
    expect(clock).to_have_text("5:00")
    expect(page.locator(".timer__turn--current")).to_contain_text("A explains to B")
    page.keyboard.press("Space")
    expect(clock).not_to_have_text("5:00", timeout=3000)
    page.keyboard.press("Space")
    # The room's timer is on the server: the page shows "Start" once the pause is stored.
    expect(page.locator('[data-action="toggle"]')).to_have_text("Start")
    paused = clock.inner_text()
    page.wait_for_timeout(1300)
    assert clock.inner_text() == paused, "Space pauses"
    page.keyboard.press("n")
    expect(page.locator(".timer__turn--current")).to_contain_text("B explains to A")
    expect(page.locator(".timer__turn--current [data-clock]")).to_have_text("5:00")


def test_participant_posts_upvotes_shares_and_gives_feedback(page, session_week):
    week, participants = session_week
    ada, grace = participants[0], participants[1]
    MuddiestPoint.objects.create(week=week, author=grace, text="What is a convex loss surface?")

    sign_in(page, "p0@example.com")
    page.goto("/c/ml/weeks/1/")
    mark_page(page)
    muddiest = page.locator("#muddiest")

    # Post a muddiest point.
    page.get_by_label("What did you find hard?").fill("Why does the bias need a weight?")
    muddiest.get_by_role("button", name="Post").click()
    mine = muddiest.locator("li.muddiest", has_text="Why does the bias need a weight?")
    expect(mine).to_be_visible()
    expect(mine.get_by_text("Yours")).to_be_visible()

    # +1 Grace's point.
    theirs = page.locator("#muddiest li.muddiest", has_text="convex loss surface")
    theirs.get_by_role("button", name="+1").click()
    theirs = page.locator("#muddiest li.muddiest", has_text="convex loss surface")
    expect(theirs.get_by_role("button", name="+1")).to_have_attribute("aria-pressed", "true")
    expect(theirs.locator(".muddiest__votes strong")).to_have_text("1")
    assert MuddiestVote.objects.filter(point__text__contains="convex", user=ada).exists()

    # Share a link.
    resources = page.locator("#resources")
    resources.get_by_text("Share a link").click()
    resources.get_by_label("Title").fill("Why momentum really works")
    resources.get_by_label("Link").fill("https://distill.pub/2017/momentum/")
    resources.get_by_label("Why it helped").fill("Interactive and clear")
    resources.get_by_role("button", name="Share").click()
    expect(
        page.locator("#resources").get_by_role("link", name=re.compile("Why momentum really works"))
    ).to_be_visible()
    assert SharedResource.objects.get().shared_by == ada

    # Feedback on the session, which started an hour ago.
    feedback = page.locator("#feedback")
    for legend, value in [
        ("Logistics", "4"),
        ("Content quality", "5"),
        ("Content relevance", "4"),
        ("Overall", "5"),
    ]:
        feedback.get_by_role("group", name=legend).get_by_label(value, exact=True).check()
    feedback.get_by_label("Anything to keep or change?").fill("The pair rounds work.")
    feedback.get_by_role("button", name="Send feedback").click()
    expect(page.locator("#feedback").get_by_text("you rated this session")).to_be_visible()
    assert_same_document(page)
    response = Feedback.objects.get(week=week, user=ada)
    assert (response.logistics, response.content_quality, response.overall) == (4, 5, 5)
    assert response.comment == "The pair rounds work."
