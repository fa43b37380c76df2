"""Plain words on the week and session pages: votes, a pressed +1, the timing plan's
changeover minute, no pairing seed."""

import re

import pytest
from django.urls import reverse

from discussions import pairing
from discussions.models import MuddiestPoint, MuddiestVote, Pairing, PairPrompt

pytestmark = pytest.mark.django_db


def test_votes_are_counted_in_words_and_a_pressed_plus_one_is_quiet(
    week_in_session, participants, client_for
):
    author, me, other = participants[:3]
    point = MuddiestPoint.objects.create(week=week_in_session, author=author, text="Why linear?")
    lone = MuddiestPoint.objects.create(week=week_in_session, author=other, text="Loss?")
    for voter in (me, other):
        MuddiestVote.objects.create(point=point, user=voter)
    MuddiestVote.objects.create(point=lone, user=author)
    page = client_for(me).get(week_in_session.get_absolute_url()).content.decode()
    assert "+1s" not in page
    assert re.search(r"<strong>2</strong> <span[^>]*>votes</span>", page)
    assert re.search(r"<strong>1</strong> <span[^>]*>vote</span>", page)
    pressed = re.search(rf'<button [^>]*id="vote-muddiest-{point.pk}"[^>]*>', page).group(0)
    assert 'aria-pressed="true"' in pressed and "button--toggled" in pressed
    assert "button--secondary" not in pressed
    unpressed = re.search(rf'<button [^>]*id="vote-muddiest-{lone.pk}"[^>]*>', page).group(0)
    assert 'aria-pressed="false"' in unpressed and "button--toggled" not in unpressed


def test_the_session_page_explains_the_changeover_minute_and_hides_the_seed(
    week_in_session, participants, people, client_for
):
    PairPrompt.objects.create(week=week_in_session, prompt="Explain the slope", minutes=5)
    pairing.generate(week_in_session, seed=131967632)
    assert Pairing.objects.get(week=week_in_session).seed == 131967632  # still stored
    url = reverse("discussions:session", args=[week_in_session.cohort.slug, week_in_session.number])
    page = client_for(people["facilitator"]).get(url).content.decode()
    assert "131967632" not in page and "seed" not in page.lower()
    plan = page[page.index('id="plan-heading"') :]
    assert "<td>6</td>" in plan
    assert "prompt’s own minutes plus 1 minute to change over" in plan
