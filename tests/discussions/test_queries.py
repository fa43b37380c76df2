"""The week page, the session page and the pair sheets run a fixed number of SQL queries,
however many people are in the cohort (5 or 60), and few of them."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Membership, Role, User
from discussions.models import (
    Attendance,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    MuddiestVote,
    PairGroup,
    Pairing,
    PairPrompt,
    ResourceUpvote,
    SessionSettings,
    SharedResource,
)

LEVELS = ["new", "some", "experienced"]


@pytest.fixture
def lived_in(week_in_session, people):
    """Week 1 (its session started an hour ago) with pre-work, an assignment, discussion
    points shown to participants, pair prompts and pairs."""
    week = week_in_session
    items = [
        PreworkItem.objects.create(week=week, title=f"Video {n}", minutes=10, order=n)
        for n in range(1, 4)
    ]
    assignment = Assignment.objects.create(
        week=week, title="Notebook", due_at=week.session_start + timedelta(days=1)
    )
    for n in range(1, 3):
        DiscussionPoint.objects.create(week=week, text=f"Point **{n}**", order=n)
        PairPrompt.objects.create(week=week, prompt=f"Explain *{n}*", minutes=5, order=n)
    SessionSettings.set_points_visible(week, True)
    Pairing.objects.create(week=week, seed=1)
    return {"week": week, "items": items, "assignment": assignment, "count": 0}


def add_participants(lived_in, count):
    """`count` more participants who did some pre-work, handed in, posted, voted, shared,
    rated the session; then pairs for everyone."""
    week, items = lived_in["week"], lived_in["items"]
    start = lived_in["count"]
    lived_in["count"] += count
    for n in range(start, start + count):
        user = User.objects.create_user(email=f"q{n}@example.com", password="x", name=f"Q {n:03d}")
        Membership.objects.create(
            user=user, cohort=week.cohort, role=Role.PARTICIPANT, experience=LEVELS[n % 3]
        )
        Completion.objects.bulk_create(Completion(user=user, item=item) for item in items[: n % 4])
        if n % 2:
            Submission.objects.create(
                assignment=lived_in["assignment"], user=user, link="https://a.example/x"
            )
        point = MuddiestPoint.objects.create(week=week, author=user, text=f"Hard {n}")
        resource = SharedResource.objects.create(
            week=week, shared_by=user, title=f"Link {n}", url=f"https://b.example/{n}"
        )
        for other in User.objects.exclude(pk=user.pk)[:3]:
            MuddiestVote.objects.get_or_create(point=point, user=other)
            ResourceUpvote.objects.get_or_create(resource=resource, user=other)
        Feedback.objects.create(
            week=week, user=user, logistics=4, content_quality=4, content_relevance=5, overall=4
        )
        if n % 7 == 0:
            Attendance.objects.create(week=week, user=user, present=False)
    pairing = Pairing.objects.get(week=week)
    pairing.groups.all().delete()
    ids = list(
        Membership.objects.filter(cohort=week.cohort, role=Role.PARTICIPANT).values_list(
            "user_id", flat=True
        )
    )
    groups = [ids[i : i + 2] for i in range(0, len(ids) - 1, 2)]
    if len(ids) % 2:
        groups[-1].append(ids[-1])  # the odd one out makes a trio
    PairGroup.objects.bulk_create(
        PairGroup.from_members(pairing, number, members)
        for number, members in enumerate(groups, start=1)
    )


def count_queries(client, url, **extra):
    # The header's cohort list lives in the session for a minute: count a page as people
    # see it after their first one.
    client.get(url, **extra)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, **extra)
    assert response.status_code == 200, url
    return len(queries)


def small_and_large(client, url, lived_in):
    add_participants(lived_in, 4)  # 5 with people["participant"]
    small = count_queries(client, url)
    add_participants(lived_in, 55)  # 60
    large = count_queries(client, url)
    assert small == large, f"{small} queries for 5 participants, {large} for 60"
    return large


def test_week_page_for_a_participant(lived_in, people, client_for):
    week = lived_in["week"]
    client = client_for(people["participant"])
    queries = small_and_large(client, week.get_absolute_url(), lived_in)
    # Session and user (2), cohort with membership (1), the week with its neighbours (1); the
    # pre-work (3: the week's items and assignments from the cache — one query on the
    # database cache the tests use —, my ticks, my hand-ins); the discussions (2: the
    # week's rows from the cache, own feedback); during the session "My session" (4: the
    # group with its people, the prompts, the shared timer, whether self check-in is on).
    assert queries <= 13


def test_week_page_for_a_participant_before_the_session(lived_in, people, client_for):
    week = lived_in["week"]
    week.session_start = timezone.now() + timedelta(days=1)
    week.save()
    client = client_for(people["participant"])
    queries = small_and_large(client, week.get_absolute_url(), lived_in)
    # As above without "My session" and own feedback, plus whether the last session is
    # still to rate (1).
    assert queries <= 9


def test_week_page_for_a_facilitator(lived_in, people, client_for):
    week = lived_in["week"]
    client = client_for(people["facilitator"])
    assert small_and_large(client, week.get_absolute_url(), lived_in) <= 10


def test_session_page(lived_in, people, client_for):
    week = lived_in["week"]
    url = reverse("discussions:session", args=[week.cohort.slug, week.number])
    # (One of them: whether the cohort has rooms.)
    assert small_and_large(client_for(people["facilitator"]), url, lived_in) <= 10


def test_session_page_of_one_room(lived_in, people, client_for):
    from discussions.models import Room

    week = lived_in["week"]
    Room.objects.create(cohort=week.cohort, name="Lovelace", facilitator=people["facilitator"])
    Room.objects.create(cohort=week.cohort, name="Hopper")
    url = reverse("discussions:session", args=[week.cohort.slug, week.number])
    # Rooms cost three more: where people are placed, the rooms' order, and (the room has
    # no pairs yet) looking for its pairing.
    assert small_and_large(client_for(people["facilitator"]), url, lived_in) <= 13


def test_pair_sheets(lived_in, people, client_for):
    week = lived_in["week"]
    url = reverse("discussions:pairs_print", args=[week.cohort.slug, week.number])
    assert small_and_large(client_for(people["facilitator"]), url, lived_in) <= 9


def test_the_week_page_lists_the_top_muddiest_points_and_links_and_offers_the_rest(
    lived_in, people, client_for
):
    week = lived_in["week"]
    add_participants(lived_in, 12)
    client = client_for(people["participant"])
    page = client.get(week.get_absolute_url()).content.decode()
    assert page.count('class="muddiest"') == 8 and "Show all muddiest points" in page
    assert page.count('class="resource"') == 8 and "Show all shared links" in page
    everything = client.get(week.get_absolute_url() + "?all=muddiest").content.decode()
    assert everything.count('class="muddiest"') == 12
    assert "Show all muddiest points" not in everything
    links = client.get(week.get_absolute_url() + "?all=resources").content.decode()
    assert links.count('class="resource"') == 12


def test_the_session_page_still_says_who_did_the_pre_work(lived_in, people, client_for):
    week = lived_in["week"]
    add_participants(lived_in, 4)  # Q 000 did nothing, Q 003 all three videos
    page = (
        client_for(people["facilitator"])
        .get(reverse("discussions:session", args=[week.cohort.slug, week.number]))
        .content.decode()
    )
    assert "Pre-work done" in page and "Pre-work 0%" in page
    assert f'action="/c/{week.cohort.slug}/weeks/1/session/attendance/' in page
    assert timezone.now() > week.session_start
