"""The facilitator's session page: attendance, pairs, points, prompts, notes — and who may
see and change them."""

import pytest
from django.urls import reverse

from assignments.models import Completion, PreworkItem
from cohorts.models import Membership, Role
from discussions import pairing
from discussions.models import Attendance, DiscussionPoint, Pairing, PairPrompt

pytestmark = pytest.mark.django_db


def url(name, week, *args):
    return reverse(f"discussions:{name}", args=[week.cohort.slug, week.number, *args])


def test_participants_cannot_open_any_facilitator_page(week_in_session, participants, client_for):
    pairing.generate(week_in_session, seed=1)
    client = client_for(participants[0])
    for name in ["session", "pairs_print", "pairs_pdf", "timer", "facilitator_notes"]:
        assert client.get(url(name, week_in_session)).status_code == 403, name
    assert client.post(url("pairs_generate", week_in_session)).status_code == 403
    assert (
        client.post(
            url("attendance_mark", week_in_session, participants[1].pk), {"status": "absent"}
        ).status_code
        == 403
    )
    assert not Attendance.objects.filter(status="absent").exists()


def test_attendance_is_a_record_set_by_tapping(week_in_session, participants, people, client_for):
    client = client_for(people["facilitator"])
    page = client.get(url("session", week_in_session)).content.decode()
    # Nobody marked: everyone is shown as not marked, and everyone would be paired.
    assert f"{len(participants)} of {len(participants)} to pair" in page
    assert f"Unmarked: {len(participants)}" in page
    assert page.count("not marked</span>") == len(participants)
    # Facilitators and organizers are not on the attendance list.
    assert (
        people["facilitator"].display_name
        not in page.split('id="attendance"')[1].split("</section>")[0]
    )

    # Tapping a name marks them absent; the same tap twice is one record.
    mark = url("attendance_mark", week_in_session, participants[2].pk)
    for _ in range(2):
        response = client.post(mark, {"status": "absent"})
        assert response.status_code == 302 and response["Location"].endswith("#attendance")
    assert Attendance.objects.get(user=participants[2]).status == "absent"
    client.post(url("attendance_mark", week_in_session, participants[3].pk), {"status": "excused"})
    page = client.get(url("session", week_in_session)).content.decode()
    assert f"{len(participants) - 2} of {len(participants)} to pair" in page
    assert "Absent: 1 · Excused: 1 · Unmarked: 4" in page

    # Once someone is marked here, only those marked here are paired.
    client.post(url("attendance_mark", week_in_session, participants[0].pk), {"status": "present"})
    assert [m.user for m in Attendance.objects.present_memberships(week_in_session)] == [
        participants[0]
    ]
    # "Mark everyone not marked as here" leaves the absent and excused as they are.
    client.post(url("attendance_everyone", week_in_session))
    assert dict(Attendance.objects.filter(week=week_in_session).values_list("user", "status")) == {
        **{p.pk: "present" for p in participants},
        participants[2].pk: "absent",
        participants[3].pk: "excused",
    }
    client.post(mark, {"status": "unmarked"})
    assert not Attendance.objects.filter(user=participants[2]).exists()
    assert client.post(mark, {"status": "maybe"}).status_code == 400
    assert client.post(mark).status_code == 400


def test_pairs_made_in_the_session_record_who_was_there(
    week_in_session, participants, people, client_for
):
    client = client_for(people["facilitator"])
    client.post(url("attendance_mark", week_in_session, participants[1].pk), {"status": "absent"})
    client.post(url("pairs_generate", week_in_session))
    statuses = Attendance.objects.statuses(week_in_session)
    assert statuses == {
        **{p.pk: "present" for p in participants},
        participants[1].pk: "absent",
    }
    paired = {
        m for g in Pairing.objects.get(week=week_in_session).groups.all() for m in g.member_ids
    }
    assert paired == {p.pk for p in participants} - {participants[1].pk}


def test_attendance_only_for_this_cohorts_participants(
    week_in_session, other_cohort, participants, people, make_user, client_for
):
    stranger = make_user("stranger@example.com")
    Membership.objects.create(user=stranger, cohort=other_cohort, role=Role.PARTICIPANT)
    client = client_for(people["facilitator"])
    absent = {"status": "absent"}
    mark = url("attendance_mark", week_in_session, stranger.pk)
    assert client.post(mark, absent).status_code == 404
    mark = url("attendance_mark", week_in_session, people["organizer"].pk)
    assert client.post(mark, absent).status_code == 404


def test_generate_swap_lock_and_unlock(week_in_session, participants, people, client_for):
    client = client_for(people["facilitator"])
    Attendance.objects.create(week=week_in_session, user=participants[5], present=False)
    response = client.post(url("pairs_generate", week_in_session))
    assert response.status_code == 302 and response["Location"].endswith("#pairs")
    result = Pairing.objects.get(week=week_in_session)
    groups = [g.member_ids for g in result.groups.all()]
    assert sorted(len(g) for g in groups) == [2, 3]
    assert participants[5].pk not in {m for g in groups for m in g}

    a, b = groups[0][0], groups[1][0]
    client.post(url("pairs_swap", week_in_session), {"swap-first": a, "swap-second": b})
    swapped = [g.member_ids for g in Pairing.objects.get(week=week_in_session).groups.all()]
    assert swapped[0][0] == b and swapped[1][0] == a

    bad = client.post(url("pairs_swap", week_in_session), {"swap-first": a, "swap-second": a})
    assert bad.status_code == 400 and b"Choose two different people" in bad.content

    client.post(url("pairs_lock", week_in_session), {"locked": "1"})
    assert Pairing.objects.get(week=week_in_session).locked
    seed = Pairing.objects.get(week=week_in_session).seed
    client.post(url("pairs_generate", week_in_session))
    assert Pairing.objects.get(week=week_in_session).seed == seed
    client.post(url("pairs_swap", week_in_session), {"swap-first": a, "swap-second": b})
    assert [g.member_ids for g in Pairing.objects.get(week=week_in_session).groups.all()] == swapped
    page = client.get(url("session", week_in_session)).content.decode()
    assert "Unlock to change" in page and "Swap two people" not in page

    client.post(url("pairs_lock", week_in_session), {"locked": "0"})
    assert not Pairing.objects.get(week=week_in_session).locked


def test_session_page_warns_when_attendance_changed_after_pairing(
    week_in_session, participants, people, client_for
):
    pairing.generate(week_in_session, seed=3)
    Attendance.mark(week_in_session, participants[1], "absent", by=None)
    page = client_for(people["facilitator"]).get(url("session", week_in_session)).content.decode()
    assert "Attendance changed since these pairs were made" in page
    assert f"Paired but absent: {participants[1].display_name}" in page


def test_pairs_show_preparedness_to_facilitators(week_in_session, participants, people, client_for):
    item = PreworkItem.objects.create(week=week_in_session, title="Video", minutes=10)
    Completion.objects.create(user=participants[0], item=item)
    pairing.generate(week_in_session, seed=9)
    page = client_for(people["facilitator"]).get(url("session", week_in_session)).content.decode()
    assert page.count("Pre-work done") == 1
    assert page.count("Pre-work 0%") == len(participants) - 1


def test_facilitators_write_notes_that_participants_never_see(
    week_in_session, participants, people, client_for
):
    client = client_for(people["facilitator"])
    response = client.post(
        url("facilitator_notes", week_in_session),
        {"notes-facilitator_notes": "Watch the **clock**."},
    )
    assert response.status_code == 302
    week_in_session.refresh_from_db()
    assert week_in_session.facilitator_notes == "Watch the **clock**."
    assert (
        "Watch the <strong>clock</strong>."
        in client.get(url("session", week_in_session)).content.decode()
    )
    participant = client_for(participants[0])
    assert b"Watch the" not in participant.get(week_in_session.get_absolute_url()).content
    assert (
        participant.post(
            url("facilitator_notes", week_in_session), {"notes-facilitator_notes": "x"}
        ).status_code
        == 403
    )


def test_discussion_points_and_prompts_are_added_edited_moved_and_removed(
    week_in_session, people, client_for
):
    client = client_for(people["facilitator"])
    client.post(url("point_add", week_in_session), {"point-text": "First"})
    client.post(url("point_add", week_in_session), {"point-text": "Second"})
    first, second = DiscussionPoint.objects.filter(week=week_in_session)
    assert (first.text, second.text) == ("First", "Second")
    client.post(url("point_move", week_in_session, second.pk), {"direction": "up"})
    assert [p.text for p in DiscussionPoint.objects.filter(week=week_in_session)] == [
        "Second",
        "First",
    ]
    client.post(url("point_edit", week_in_session, first.pk), {"point-text": "First, edited"})
    client.post(url("point_delete", week_in_session, second.pk))
    assert [p.text for p in DiscussionPoint.objects.filter(week=week_in_session)] == [
        "First, edited"
    ]

    client.post(
        url("prompt_add", week_in_session), {"prompt-prompt": "Explain it", "prompt-minutes": "4"}
    )
    prompt = PairPrompt.objects.get(week=week_in_session)
    assert prompt.minutes == 4
    response = client.post(
        url("prompt_edit", week_in_session, prompt.pk),
        {"prompt-prompt": "Explain", "prompt-minutes": "0"},
    )
    assert response.status_code == 200  # refused: at least one minute
    assert PairPrompt.objects.get().minutes == 4


def test_points_that_share_a_number_still_move_one_place(week_in_session, people, client_for):
    points = DiscussionPoint.objects.bulk_create(
        DiscussionPoint(week=week_in_session, text=text, order=1) for text in ("A", "B", "C")
    )
    client = client_for(people["facilitator"])
    client.post(url("point_move", week_in_session, points[2].pk), {"direction": "up"})
    assert [p.text for p in DiscussionPoint.objects.filter(week=week_in_session)] == ["A", "C", "B"]
    client.post(
        url("point_move", week_in_session, points[0].pk), {"direction": "up"}
    )  # already first
    assert [p.text for p in DiscussionPoint.objects.filter(week=week_in_session)] == ["A", "C", "B"]


def test_pair_prompt_minutes_default_to_five(week_in_session):
    assert PairPrompt.objects.create(week=week_in_session, prompt="Explain").minutes == 5


def test_facilitator_of_one_cohort_gets_404_on_anothers_objects(
    week_in_session, other_cohort, participants, people, make_user, client_for
):
    """A facilitator of cohort A may not reach cohort B's rows through A's URLs, nor B's."""
    other_week = other_cohort.weeks.get(number=1)
    stranger = make_user("b-participant@example.com")
    Membership.objects.create(user=stranger, cohort=other_cohort, role=Role.PARTICIPANT)
    foreign_point = DiscussionPoint.objects.create(week=other_week, text="B's point")
    foreign_prompt = PairPrompt.objects.create(week=other_week, prompt="B's prompt")
    from discussions.models import MuddiestPoint, SharedResource

    foreign_muddiest = MuddiestPoint.objects.create(week=other_week, author=stranger, text="B")
    foreign_resource = SharedResource.objects.create(
        week=other_week, shared_by=stranger, title="B", url="https://b.example/"
    )
    client = client_for(people["facilitator"])
    # Cohort A's URLs with cohort B's ids.
    for name, obj in [
        ("point_edit", foreign_point),
        ("point_delete", foreign_point),
        ("prompt_edit", foreign_prompt),
        ("prompt_delete", foreign_prompt),
        ("muddiest_delete", foreign_muddiest),
    ]:
        assert client.get(url(name, week_in_session, obj.pk)).status_code == 404, name
    for name, obj in [
        ("point_move", foreign_point),
        ("muddiest_vote", foreign_muddiest),
        ("muddiest_promote", foreign_muddiest),
        ("resource_upvote", foreign_resource),
    ]:
        assert client.post(url(name, week_in_session, obj.pk)).status_code == 404, name
    # Cohort B's own URLs.
    for name in ["session", "pairs_print", "pairs_pdf", "timer", "feedback"]:
        assert client.get(url(name, other_week)).status_code == 404, name
    assert (
        client.get(reverse("discussions:feedback_results", args=[other_cohort.slug])).status_code
        == 404
    )
    assert DiscussionPoint.objects.get(pk=foreign_point.pk).text == "B's point"
    assert not foreign_muddiest.votes.exists()


def test_timer_lists_every_turn_with_who_explains(week_in_session, people, client_for):
    PairPrompt.objects.create(week=week_in_session, prompt="Explain *gradients*", minutes=4)
    PairPrompt.objects.create(week=week_in_session, prompt="Explain loss", minutes=5)
    page = client_for(people["facilitator"]).get(url("timer", week_in_session)).content.decode()
    assert 'data-seconds="240"' in page and 'data-seconds="300"' in page
    assert "explains to B" in page and "explains to A" in page
    assert "<em>gradients</em>" in page
    assert "<script>" not in page.replace('<script src="', "")  # no inline script
    assert 'src="/static/js/timer.js"' in page


def test_a_refused_swap_shows_its_error_when_sent_by_htmx(
    week_in_session, participants, people, client_for
):
    # htmx leaves the page as it is on a 4xx answer, so the facilitator would press "Swap"
    # and see nothing happen: the error must come back as a page htmx swaps in.
    client = client_for(people["facilitator"])
    client.post(url("pairs_generate", week_in_session))
    someone = Pairing.objects.get(week=week_in_session).groups.first().member_ids[0]
    response = client.post(
        url("pairs_swap", week_in_session),
        {"swap-first": someone, "swap-second": someone},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert b"Choose two different people" in response.content
    assert b'id="session-board"' in response.content
