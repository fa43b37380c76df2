"""Every member of a trio explains: sheets and the room timer follow the same turns."""

import pytest
from django.urls import reverse

from discussions import pairing
from discussions.models import Attendance, Pairing, PairPrompt


def url(name, week):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number])


@pytest.fixture
def trio_week(week_in_session, participants):
    """Five of six people present (one trio, one pair) and only two prompts."""
    for text in ("Explain gradient descent.", "Explain the learning rate."):
        PairPrompt.objects.create(week=week_in_session, prompt=text, minutes=5)
    Attendance.objects.create(week=week_in_session, user=participants[-1], present=False)
    pairing.generate(week_in_session, seed=7)
    return week_in_session


def test_with_two_prompts_the_trio_takes_a_third_turn_so_c_explains(trio_week, people, client_for):
    client = client_for(people["facilitator"])
    page = client.get(url("pairs_print", trio_week)).content.decode()
    trio = Pairing.objects.get(week=trio_week).groups.exclude(person_c=None).get()
    a, b, c = (user.display_name for _, user in trio.members)
    assert f"<strong>{a}</strong> (A) explains to <strong>{b}</strong> (B)" in page
    assert f"<strong>{b}</strong> (B) explains to <strong>{c}</strong> (C)" in page
    assert f"<strong>{c}</strong> (C) explains to <strong>{a}</strong> (A)" in page
    assert "Turn 3 · Prompt 1" in page

    timer = client.get(url("timer", trio_week)).content.decode()
    assert timer.count("data-turn ") == 3
    assert "Turn 3 of 3 · Prompt 1" in timer
    assert "In the trio, C explains to A." in timer
    assert "In the trio, B explains to C." in timer
