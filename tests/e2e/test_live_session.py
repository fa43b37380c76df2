"""The live session from two seats: the facilitator starts the room timer on a laptop; a
participant's phone, following it over server-sent events, shows the same time left within
seconds, and whose turn it is."""

import re

import pytest
from playwright.sync_api import expect

from cohorts.models import Role
from discussions import live, live_stream, pairing
from discussions.models import PairGroup, PairPrompt
from tests.e2e.people import cohort_in_session, person, sign_in

pytestmark = pytest.mark.e2e


@pytest.fixture
def running_session():
    cohort, week = cohort_in_session()
    PairPrompt.objects.create(week=week, prompt="Explain what the learning rate does.", minutes=5)
    PairPrompt.objects.create(week=week, prompt="Explain overfitting.", minutes=4)
    person("fatima@example.com", "Fatima Facilitator", Role.FACILITATOR, cohort)
    for n, name in enumerate(["Ada Lovelace", "Alan Turing", "Grace Hopper", "Edsger Dijkstra"]):
        person(f"p{n}@example.com", name, Role.PARTICIPANT, cohort)
    pairing.generate(week, seed=5)
    return PairGroup.objects.filter(pairing__week=week).order_by("number").first()


@pytest.fixture(autouse=True)
def streams_end_with_the_test():
    yield
    # The pages' streams end with the test (else each lasts until a write finds it gone).
    assert live_stream.hub.end_all()


def seconds(text):
    minutes, secs = re.search(r"(\d+):(\d\d)", text).groups()
    return int(minutes) * 60 + int(secs)


def test_the_participants_phone_follows_the_facilitators_timer(
    page, browser, live_server, running_session
):
    group = running_session
    explainer, listener = group.person_a, group.person_b

    # The participant's phone, already open on the week page.
    phone_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone_context.set_default_timeout(10_000)
    phone = phone_context.new_page()
    try:
        sign_in(phone, explainer.email)
        phone.goto("/c/ml/weeks/1/")
        card = phone.locator("#my-session")
        expect(card).to_contain_text(f"Table {group.number} — you and {listener.display_name}")
        expect(card).to_contain_text("You explain first")
        expect(card).to_contain_text("Explain what the learning rate does.")
        phone_clock = card.locator("li:not([hidden]) [data-live-clock]")
        expect(phone_clock).to_have_text("5:00")
        # The phone follows the room's timer over server-sent events, not by polling.
        expect(card).to_have_attribute("data-following", "stream")

        # The facilitator starts the room timer.
        sign_in(page, "fatima@example.com")
        page.goto("/c/ml/weeks/1/timer/")
        room_clock = page.locator(".timer__turn--current [data-clock]")
        expect(room_clock).to_have_text("5:00")
        expect(page.locator("[data-timer]")).to_have_attribute("data-following", "stream")
        page.keyboard.press("Space")
        expect(room_clock).not_to_have_text("5:00", timeout=3000)

        # Within three seconds the phone counts down too, to the same second (or one off).
        expect(phone_clock).not_to_have_text("5:00", timeout=3000)
        assert abs(seconds(phone_clock.inner_text()) - seconds(room_clock.inner_text())) <= 1
        expect(card.locator("li:not([hidden])")).to_contain_text("left")

        # Next turn on the laptop: the phone says the partner explains now.
        page.keyboard.press("n")
        expect(card.locator("li:not([hidden])")).to_contain_text(
            f"{listener.display_name} explains", timeout=3000
        )
        expect(phone_clock).to_have_text("4:00")
        assert phone.viewport_size["width"] == 390
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the week page is {width}px wide on a phone"
    finally:
        phone_context.close()


def test_three_clicks_from_sign_in_to_printed_sheets(page, running_session):
    week = running_session.pairing.week
    # The pairs are made in the session, from the people present.
    week.pairings.all().delete()
    week.attendance.all().delete()
    sign_in(page, "fatima@example.com")
    page.evaluate("window.__printed = 0")
    assert page.url.endswith("/c/ml/weeks/1/"), page.url  # `/` leads to today's session
    clicks = 0

    page.get_by_role("link", name="Run today’s session").click()
    clicks += 1
    # Edsger Dijkstra is absent: tapping a name is attendance, not navigation.
    page.locator("#attendance").get_by_role(
        "button", name=re.compile("^Edsger Dijkstra (not marked|absent)$")
    ).click()
    expect(page.locator("#attendance")).to_contain_text("3 of 4 to pair")

    page.get_by_role("button", name="Make pairs and print the sheets").click()
    clicks += 1
    expect(page.locator("article.sheet")).to_have_count(2)  # the overview, the trio's sheet
    expect(page.locator("main")).not_to_contain_text("Edsger Dijkstra")
    page.evaluate("window.print = function () { window.__printed = 1; }")
    page.get_by_role("button", name="Print").click()
    clicks += 1
    assert page.evaluate("window.__printed") == 1
    assert clicks <= 3


def test_a_waiting_phone_shows_the_pairs_once_they_are_made(page, running_session):
    week = running_session.pairing.week
    week.pairings.all().delete()
    week.attendance.all().delete()
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, "p0@example.com")
    page.goto("/c/ml/weeks/1/")
    card = page.locator("#my-session")
    expect(card).to_contain_text("Pairs are made when the session starts")
    pairing.generate(week, seed=8)  # the facilitator makes the pairs
    expect(card).to_contain_text("Table", timeout=5000)
    expect(card).to_contain_text("you and")


def test_a_phone_the_server_cannot_stream_to_polls_instead(
    browser, live_server, running_session, settings
):
    settings.LIVE_STREAMS_PER_PROCESS = 0  # every stream is refused (204), as on sync workers
    group = running_session
    phone_context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True
    )
    phone_context.set_default_timeout(10_000)
    phone = phone_context.new_page()
    try:
        sign_in(phone, group.person_a.email)
        phone.goto("/c/ml/weeks/1/")
        card = phone.locator("#my-session")
        expect(card).to_have_attribute("data-following", "poll")
        phone_clock = card.locator("li:not([hidden]) [data-live-clock]")
        expect(phone_clock).to_have_text("5:00")
        live.control(group.pairing.week, None, "start", [300, 300])
        # The next poll (every 2 s) picks it up.
        expect(phone_clock).not_to_have_text("5:00", timeout=3000)
        expect(card.locator("li:not([hidden])")).to_contain_text("left")
    finally:
        phone_context.close()
