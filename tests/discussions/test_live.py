"""The live session: the shared timer, its poll (one query, 304 while unchanged) and
"My session" on a participant's week page."""

import json
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from discussions import live, pairing
from discussions.models import PairGroup, SessionTimer
from tests.conftest import berlin_time
from tests.security.test_double_submits import ON_POSTGRESQL

pytestmark = pytest.mark.django_db


def url(name, week):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number])


def poll_url(week, user):
    membership = Membership.objects.get(cohort=week.cohort, user=user)
    return reverse("live_poll", args=[live.poll_token(membership.pk, week.pk, None)])


def test_facilitator_drives_the_shared_timer(paired_week, people, client_for):
    client = client_for(people["facilitator"])
    control = url("timer_control", paired_week)
    json_accept = {"HTTP_ACCEPT": "application/json"}
    state = client.post(control, {"action": "toggle"}, **json_accept).json()
    assert state["turn"] == 0 and state["running"] is True
    ends_in = state["ends_at"] / 1000 - timezone.now().timestamp()
    assert 290 < ends_in <= 300  # the first prompt's five minutes
    state = client.post(control, {"action": "pause"}, **json_accept).json()
    assert state["running"] is False and 290_000 < state["remaining_ms"] <= 300_000
    state = client.post(control, {"action": "next"}, **json_accept).json()
    assert state == {**state, "turn": 1, "running": False, "remaining_ms": None}
    # Pairs only and two prompts: two turns; "next" stops at the last.
    assert client.post(control, {"action": "next"}, **json_accept).json()["turn"] == 1
    # Without JavaScript: a form, then back to the timer page, which shows the state.
    response = client.post(control, {"action": "previous"})
    assert response.status_code == 302 and response["Location"] == url("timer", paired_week)
    page = client.get(url("timer", paired_week)).content.decode()
    assert 'data-turn-index="0"' in page and "5:00" in page
    assert client.post(control, {"action": "explode"}).status_code == 400


def test_poll_answers_304_in_one_query_while_unchanged(paired_week, participants, people, client):
    address = poll_url(paired_week, participants[0])
    client.get(address)  # warm up (URL resolver, signing)
    with CaptureQueriesContext(connection) as queries:
        first = client.get(address)
    assert first.status_code == 200 and len(queries) == 1
    assert first["Cache-Control"] == "private, no-cache"
    etag = first["ETag"]
    with CaptureQueriesContext(connection) as queries:
        again = client.get(address, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and len(queries) == 1

    live.control(paired_week, None, "start", [300, 240])
    changed = client.get(address, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert json.loads(changed.content)["running"] is True


def test_poll_is_only_for_members_with_a_valid_address(
    paired_week, participants, other_cohort, client
):
    assert client.get(reverse("live_poll", args=["nonsense"])).status_code == 404
    forged = live.poll_token(1, paired_week.pk, None) + "x"
    assert client.get(reverse("live_poll", args=[forged])).status_code == 404
    address = poll_url(paired_week, participants[0])
    Membership.objects.filter(user=participants[0]).update(left_at=timezone.now())
    assert client.get(address).status_code == 404
    # Another cohort's week with this member's address: not found.
    membership = Membership.objects.get(cohort=paired_week.cohort, user=participants[1])
    other_week = other_cohort.weeks.first()
    token = live.poll_token(membership.pk, other_week.pk, None)
    assert client.get(reverse("live_poll", args=[token])).status_code == 404


def test_participants_cannot_drive_the_timer(paired_week, participants, client_for):
    client = client_for(participants[0])
    assert client.post(url("timer_control", paired_week), {"action": "start"}).status_code == 403
    assert not SessionTimer.objects.filter(running=True).exists()


def test_my_session_card_shows_table_partner_prompt_and_turn(paired_week, participants, client_for):
    group = PairGroup.objects.filter(pairing__week=paired_week).first()  # six people: pairs
    explainer, listener = group.person_a, group.person_b
    page = client_for(explainer).get(paired_week.get_absolute_url()).content.decode()
    assert 'id="my-session"' in page
    assert f"<strong>Table {group.number}</strong> — you and {listener.display_name}" in page
    assert "You explain first" in page and "<em>overfitting</em>" in page
    assert "5:00" in page and "not started" in page
    assert "Next: " in page and f"{listener.display_name} explains to you" in page
    assert 'data-hx-get="/live/' in page and 'data-hx-trigger="every 2s"' in page

    page = client_for(listener).get(paired_week.get_absolute_url()).content.decode()
    assert f"{explainer.display_name} explains first — <strong>you listen</strong>" in page

    # The shared timer runs: the card shows the time left on the server's clock.
    live.control(paired_week, None, "start", [300, 240])
    SessionTimer.objects.update(started_at=timezone.now() - timedelta(seconds=61))
    page = client_for(explainer).get(paired_week.get_absolute_url()).content.decode()
    assert "3:59" in page or "3:58" in page


def test_before_pairs_exist_the_card_says_when_they_come(week_in_session, participants, client_for):
    page = client_for(participants[0]).get(week_in_session.get_absolute_url()).content.decode()
    assert "Pairs are made when the session starts" in page


def test_no_card_outside_the_session_window_or_for_facilitators(
    future_week, week_in_session, participants, people, client_for
):
    page = client_for(participants[0]).get(future_week.get_absolute_url()).content.decode()
    assert 'id="my-session"' not in page
    page = client_for(people["facilitator"]).get(week_in_session.get_absolute_url())
    assert 'id="my-session"' not in page.content.decode()


def test_check_in_button_only_where_allowed(week_in_session, participants, client_for):
    from discussions.models import CohortSessionOptions

    client = client_for(participants[0])
    assert "I’m here" not in client.get(week_in_session.get_absolute_url()).content.decode()
    CohortSessionOptions.set_self_check_in(week_in_session.cohort, True)
    assert "I’m here" in client.get(week_in_session.get_absolute_url()).content.decode()
    client.post(url("check_in", week_in_session))
    assert "You’re checked in" in client.get(week_in_session.get_absolute_url()).content.decode()


def test_run_todays_session_leads_the_facilitators_week_page_on_the_day(
    week_in_session, future_week, participants, people, client_for, other_cohort
):
    client = client_for(people["facilitator"])
    page = client.get(week_in_session.get_absolute_url()).content.decode()
    assert "Run today’s session" in page
    assert url("session", week_in_session) in page.split('id="run-session"')[1]
    # Another day: not there.
    assert "Run today’s session" not in client.get(future_week.get_absolute_url()).content.decode()
    # Participants see their own card, not the facilitator's lead.
    page = client_for(participants[0]).get(week_in_session.get_absolute_url()).content.decode()
    assert "Run today’s session" not in page

    # With two cohorts, "My cohorts" says it beside today's cohort.
    Membership.objects.create(user=people["facilitator"], cohort=other_cohort, role="facilitator")
    page = client_for(people["facilitator"]).get(reverse("home") + "?all=1").content.decode()
    assert page.count("Run today’s session") == 1


def test_run_todays_session_stays_past_midnight_while_the_session_runs(
    cohort, people, client_for, time_machine
):
    # A late session, 23:30 to 01:00 on Berlin's clock: after midnight it is under way,
    # and the facilitator's page and My cohorts keep leading with it until it ends.
    week = cohort.weeks.get(number=1)
    week.publish_at = berlin_time("2026-09-01 09:00")
    week.session_start = berlin_time("2026-09-03 23:30")
    week.save()
    client = client_for(people["facilitator"])
    for moment, shown in [
        ("2026-09-03 18:00", True),
        ("2026-09-04 00:05", True),
        ("2026-09-04 00:59", True),
        ("2026-09-04 01:01", False),
    ]:
        time_machine.move_to(berlin_time(moment))
        page = client.get(week.get_absolute_url()).content.decode()
        assert ("Run today’s session" in page) is shown, moment
        home = client.get(reverse("home") + "?all=1").content.decode()
        assert ("Run today’s session" in home) is shown, moment


def test_my_cohorts_says_where_a_participant_sits_during_the_session(
    paired_week, participants, other_cohort, client_for
):
    group = PairGroup.objects.filter(pairing__week=paired_week).first()
    Membership.objects.create(user=group.person_a, cohort=other_cohort, role="participant")
    page = client_for(group.person_a).get(reverse("home") + "?all=1").content.decode()
    assert f"Your session is on: table {group.number} — you and {group.person_b.display_name}" in (
        page
    )
    assert f"{paired_week.get_absolute_url()}#my-session" in page


@pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="Health checks and dead connections are PostgreSQL's (DATABASE_URL=postgres://…)",
)
@pytest.mark.django_db(transaction=True)  # as a request runs: no transaction around the poll
def test_poll_survives_a_dead_connection_without_a_health_check_query(paired_week, participants):
    from django.db import connection

    membership = Membership.objects.get(cohort=paired_week.cohort, user=participants[0])
    assert live.polled_state(membership.pk, paired_week.pk, None) is not None
    connection.connection.close()  # the server went away between two polls
    state = live.polled_state(membership.pk, paired_week.pk, None)
    assert state is not None and state.version == SessionTimer.objects.get().version


def test_new_pairs_reach_every_page_following_the_timer(paired_week, participants, client):
    address = poll_url(paired_week, participants[0])
    before = json.loads(client.get(address).content)
    pairing.generate(paired_week, seed=99)
    after = client.get(address, HTTP_IF_NONE_MATCH=f'"{before["version"]}"')
    assert after.status_code == 200
    state = json.loads(after.content)
    assert state["pairs"] == before["pairs"] + 1 and state["turn"] == 0


def test_my_session_only_for_weeks_the_participant_can_see(paired_week, participants, client_for):
    paired_week.publish_at = timezone.now() + timedelta(days=1)  # not published yet
    paired_week.save()
    client = client_for(participants[0])
    assert client.get(paired_week.get_absolute_url()).status_code == 404
    page = client.get(reverse("home") + "?all=1").content.decode()
    assert "Your session is on" not in page and "#my-session" not in page
