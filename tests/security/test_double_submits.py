"""Every create a double click can repeat is an idempotent upsert or a guarded transaction:
the same post twice (SQLite and PostgreSQL), and on PostgreSQL the same post from eight
threads at once, leave one row (or the one right answer) and never a 500."""

import threading
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, Submission
from cohorts.models import Cohort, Invitation, Membership, Role
from discussions.models import Feedback, MuddiestPoint, MuddiestVote

ON_POSTGRESQL = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
needs_postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="SQLite runs one write transaction at a time; races need PostgreSQL "
    "(DATABASE_URL=postgres://…)",
)
RATINGS = {f"feedback-{name}": "4" for name in Feedback.RATINGS}
COPY = {
    "title": "Second run",
    "time_zone": "Europe/Berlin",
    "start_date": "2027-03-01",
    "session_weekday": "3",
    "session_time": "16:00",
    "location": "",
}


def started_week(cohort):
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now() - timedelta(days=6)
    week.session_start = timezone.now() - timedelta(hours=1)
    week.save()
    return week


def client_of(user):
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def at_once(count, work):
    """Run work(index) in `count` threads released together; their results in order."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def target(index):
        try:
            barrier.wait(timeout=10)
            results[index] = work(index)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=target, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return results


def statuses(count, make_request, concurrently):
    if concurrently:
        return at_once(count, lambda _: make_request().status_code)
    return [make_request().status_code for _ in range(count)]


# The same scenarios twice: posted one after the other, and (PostgreSQL) all at once.
MODES = [
    pytest.param(False, id="one-after-the-other", marks=pytest.mark.django_db),
    pytest.param(
        True, id="at-once", marks=[needs_postgresql, pytest.mark.django_db(transaction=True)]
    ),
]


@pytest.mark.parametrize("concurrently", MODES)
def test_first_hand_ins(concurrently, cohort, people):
    week = started_week(cohort)
    assignment = Assignment.objects.create(
        week=week, title="Notebook", due_at=week.session_start + timedelta(days=3)
    )
    url = reverse("assignments:submit", args=[cohort.slug, assignment.pk])
    client = client_of(people["participant"])
    data = {"link": "https://example.com/notebook"}
    codes = statuses(8, lambda: client.post(url, data), concurrently)
    assert set(codes) == {302}, codes
    assert Submission.objects.filter(assignment=assignment).count() == 1


@pytest.mark.parametrize("concurrently", MODES)
def test_first_session_feedback(concurrently, cohort, people):
    started_week(cohort)
    url = reverse("discussions:feedback", args=[cohort.slug, 1])
    client = client_of(people["participant"])
    codes = statuses(4, lambda: client.post(url, RATINGS), concurrently)
    assert set(codes) == {302}, codes
    assert Feedback.objects.filter(user=people["participant"]).count() == 1


@pytest.mark.parametrize("concurrently", MODES)
def test_plus_one(concurrently, cohort, people):
    week = started_week(cohort)
    point = MuddiestPoint.objects.create(week=week, author=people["organizer"], text="Why?")
    url = reverse("discussions:muddiest_vote", args=[cohort.slug, 1, point.pk])
    client = client_of(people["participant"])
    codes = statuses(8, lambda: client.post(url, {"on": "1"}), concurrently)
    assert set(codes) == {302}, codes
    assert MuddiestVote.objects.filter(point=point).count() == 1
    codes = statuses(8, lambda: client.post(url, {"on": "0"}), concurrently)
    assert set(codes) == {302}, codes
    assert not MuddiestVote.objects.filter(point=point).exists()


@pytest.mark.parametrize("concurrently", MODES)
def test_copy_create_clicked_four_times(concurrently, cohort, people):
    url = reverse("curriculum:copy", args=[cohort.slug])
    client = client_of(people["organizer"])
    key = client.post(url, {**COPY, "action": "preview"}).context["preview_key"]
    data = {**COPY, "action": "create", "preview_key": key}
    codes = statuses(4, lambda: client.post(url, data), concurrently)
    assert 500 not in codes, codes
    assert Cohort.objects.filter(title="Second run").count() == 1
    # The key is spent: posting it again leads to the cohort it made.
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == Cohort.objects.get(title="Second run").get_absolute_url()


@pytest.mark.parametrize("concurrently", MODES)
def test_the_same_invitation_eight_times(concurrently, cohort, people, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    url = reverse("cohorts:manage_invitations", args=[cohort.slug])
    client = client_of(people["organizer"])
    data = {"emails": "ada@example.com", "role": "participant"}
    codes = statuses(8, lambda: client.post(url, data), concurrently)
    assert 500 not in codes, codes
    invitation = Invitation.objects.get(email="ada@example.com")
    assert invitation.sent_count == 1
    resend = reverse("cohorts:manage_invitation_resend", args=[cohort.slug, invitation.pk])
    Invitation.objects.update(last_sent_at=timezone.now() - timedelta(hours=1))
    codes = statuses(8, lambda: client.post(resend), concurrently)
    assert set(codes) == {302}, codes
    invitation.refresh_from_db()
    assert invitation.sent_count == 2


@pytest.mark.parametrize("concurrently", MODES)
def test_two_organizers_demoting_each_other(concurrently, cohort, people, make_user):
    second = make_user("second@example.com", "Second Organizer")
    Membership.objects.create(user=second, cohort=cohort, role=Role.ORGANIZER)
    first_membership = Membership.objects.get(user=people["organizer"], cohort=cohort)
    second_membership = Membership.objects.get(user=second, cohort=cohort)
    posts = [
        (people["organizer"], second_membership),
        (second, first_membership),
    ]

    def demote(index):
        user, target = posts[index]
        url = reverse("cohorts:manage_member_update", args=[cohort.slug, target.pk])
        return client_of(user).post(url, {"role": "participant", "experience": "some"})

    if concurrently:
        codes = at_once(2, lambda index: demote(index).status_code)
    else:
        codes = [demote(0).status_code, demote(1).status_code]
    assert 500 not in codes, codes
    organizers = Membership.objects.active().filter(cohort=cohort, role=Role.ORGANIZER)
    assert organizers.count() == 1


@pytest.mark.parametrize("concurrently", MODES)
def test_marking_and_unmarking_the_same_item_from_many_tabs(concurrently, cohort, people):
    """Ticks and unticks of one item racing each other all answer with the row, never "not
    found" or a 500; at most one mark is left."""
    from assignments.models import Completion, PreworkItem

    week = started_week(cohort)
    item = PreworkItem.objects.create(week=week, kind="video", title="Trees", minutes=9)
    url = reverse("assignments:item_completion", args=[cohort.slug, item.pk])
    client = client_of(people["participant"])
    for _ in range(10):
        if concurrently:
            codes = at_once(
                8,
                lambda n: (
                    client.post(url, {"done": str(n % 2)}, HTTP_HX_REQUEST="true").status_code
                ),
            )
        else:
            codes = [
                client.post(url, {"done": d}, HTTP_HX_REQUEST="true").status_code
                for d in "11001100"
            ]
        assert set(codes) == {200}, codes
        assert Completion.objects.filter(item=item).count() <= 1
