from datetime import timedelta

import pytest
from django.urls import reverse

from assignments.models import Assignment, Submission

pytestmark = pytest.mark.django_db


def submit_url(assignment):
    return reverse("assignments:submit", args=[assignment.week.cohort.slug, assignment.pk])


def test_participant_hands_in_a_link_and_can_edit_before_due(assignment, people, client_for):
    client = client_for(people["participant"])
    response = client.post(submit_url(assignment), {"link": "https://colab.example.com/nb1"})
    assert response.status_code == 302
    client.post(submit_url(assignment), {"link": "https://colab.example.com/nb2"})
    submission = Submission.objects.get()
    assert submission.link == "https://colab.example.com/nb2" and not submission.is_late
    page = client.get(assignment.week.get_absolute_url()).content.decode()
    assert "Handed in" in page and "https://colab.example.com/nb2" in page


def test_link_assignment_requires_a_valid_link(assignment, people, client_for):
    client = client_for(people["participant"])
    response = client.post(submit_url(assignment), {"link": "javascript:alert(1)"})
    assert response.status_code == 200
    assert 'class="field__error"' in response.content.decode()
    assert not Submission.objects.exists()


def test_late_submission_is_accepted_and_shown_as_late(
    assignment, people, client_for, time_machine
):
    time_machine.move_to(assignment.due_at + timedelta(hours=5))
    client = client_for(people["participant"])
    form = client.get(submit_url(assignment)).content.decode()
    assert "it will be marked late" in form
    client.post(submit_url(assignment), {"link": "https://colab.example.com/late"})
    submission = Submission.objects.get()
    assert submission.is_late
    assert "Late" in client.get(assignment.week.get_absolute_url()).content.decode()


def test_on_time_submission_is_locked_after_the_due_time(
    assignment, people, client_for, time_machine
):
    client = client_for(people["participant"])
    client.post(submit_url(assignment), {"link": "https://colab.example.com/on-time"})
    time_machine.move_to(assignment.due_at + timedelta(minutes=1))
    response = client.post(submit_url(assignment), {"link": "https://colab.example.com/changed"})
    assert "Changes closed at the due time" in response.content.decode()
    assert Submission.objects.get().link == "https://colab.example.com/on-time"


def test_text_and_done_kinds(assignment, people, client_for):
    client = client_for(people["participant"])
    assignment.submission_kind = "text"
    assignment.save()
    assert client.post(submit_url(assignment), {"body": ""}).status_code == 200
    client.post(submit_url(assignment), {"body": "Because the model is linear in w."})
    assert Submission.objects.get().body == "Because the model is linear in w."
    Submission.objects.all().delete()
    assignment.submission_kind = "done"
    assignment.save()
    client.post(submit_url(assignment), {})
    assert Submission.objects.filter(user=people["participant"]).exists()


def test_a_participant_sees_only_their_own_submission_and_feedback(
    assignment, people, make_user, client_for
):
    from cohorts.models import Membership

    other = make_user("other@example.com", "Olive Other")
    Membership.objects.create(user=other, cohort=assignment.week.cohort)
    mine = Submission.objects.create(
        assignment=assignment, user=people["participant"], link="https://a.example/mine"
    )
    Submission.objects.create(
        assignment=assignment, user=other, link="https://a.example/theirs", feedback="Secret note"
    )
    client = client_for(people["participant"])
    page = client.get(assignment.week.get_absolute_url()).content.decode()
    assert "https://a.example/mine" in page
    assert "https://a.example/theirs" not in page and "Secret note" not in page
    page = client.get(submit_url(assignment)).content.decode()
    assert "theirs" not in page
    # Feedback pages are for facilitators and organizers only.
    feedback_url = reverse("assignments:feedback", args=[assignment.week.cohort.slug, mine.pk])
    assert client.get(feedback_url).status_code == 403


def test_facilitator_gives_feedback_only_that_participant_sees(
    assignment, people, make_user, client_for
):
    from cohorts.models import Membership

    submission = Submission.objects.create(
        assignment=assignment, user=people["participant"], link="https://a.example/x"
    )
    other = make_user("other@example.com", "Olive Other")
    Membership.objects.create(user=other, cohort=assignment.week.cohort)
    url = reverse("assignments:feedback", args=[assignment.week.cohort.slug, submission.pk])
    response = client_for(people["facilitator"]).post(
        url, {"feedback": "Nice **derivation**. <script>x</script>"}
    )
    assert response.status_code == 302
    page = (
        client_for(people["participant"]).get(assignment.week.get_absolute_url()).content.decode()
    )
    assert "Nice <strong>derivation</strong>." in page and "<script>x" not in page
    assert "from Fatima Facilitator" in page
    other_page = client_for(other).get(assignment.week.get_absolute_url()).content.decode()
    assert "derivation" not in other_page


def test_organizer_adds_assignment_due_at_session_by_default(upcoming_week, people, client_for):
    url = reverse(
        "assignments:assignment_create", args=[upcoming_week.cohort.slug, upcoming_week.number]
    )
    client_for(people["organizer"]).post(
        url,
        {"title": "Notebook", "instructions": "Fit it.", "due_at": "", "submission_kind": "link"},
    )
    assert upcoming_week.assignments.get().due_at == upcoming_week.session_start
    client_for(people["organizer"]).post(
        url,
        {
            "title": "Essay",
            "instructions": "",
            "due_at": "2026-09-02T18:00",
            "submission_kind": "text",
        },
    )
    essay = upcoming_week.assignments.get(title="Essay")
    assert upcoming_week.cohort.local(essay.due_at).strftime("%d %H:%M") == "02 18:00"


def test_removing_an_assignment_with_submissions_asks_first(assignment, people, client_for):
    Submission.objects.create(
        assignment=assignment, user=people["participant"], link="https://a.example/x"
    )
    client = client_for(people["organizer"])
    url = reverse(
        "assignments:assignment_delete", args=[assignment.week.cohort.slug, assignment.pk]
    )
    assert "1 submission and any feedback" in client.get(url).content.decode()
    client.post(url)
    assert not Submission.objects.exists()


def test_moving_a_session_moves_assignments_due_at_its_start(assignment, people, client_for):
    week = assignment.week
    other = Assignment.objects.create(
        week=week, title="Essay", due_at=week.session_start - timedelta(days=1)
    )
    old_essay_due = other.due_at
    new_start = week.cohort.local(week.session_start + timedelta(days=1))
    client_for(people["organizer"]).post(
        reverse("cohorts:manage_week", args=[week.cohort.slug, week.number]),
        {"title": week.title, "summary": "", "session_start": new_start.strftime("%Y-%m-%dT%H:%M")},
    )
    week.refresh_from_db()
    assignment.refresh_from_db()
    other.refresh_from_db()
    assert assignment.due_at == week.session_start  # followed the session
    assert other.due_at == old_essay_due  # an explicit due time stays put
