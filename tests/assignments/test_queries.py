"""Mark watched (htmx) and the facilitator's cohort page run a fixed number of SQL queries,
however many people are in the cohort (5 or 60), and at most ten."""

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments import progress
from assignments.models import Completion, Submission
from cohorts.models import Membership, User


def add_participants(week, items, assignment, count, start):
    for n in range(start, start + count):
        user = User.objects.create_user(email=f"p{n}@example.com", password="x", name=f"P {n:03d}")
        Membership.objects.create(user=user, cohort=week.cohort)
        Completion.objects.bulk_create(Completion(user=user, item=item) for item in items[: n % 4])
        if n % 2:
            Submission.objects.create(assignment=assignment, user=user, link="https://a.example/x")


def queries_of(request):
    with CaptureQueriesContext(connection) as queries:
        response = request()
    assert response.status_code == 200
    return len(queries), response


def test_mark_watched_with_htmx(upcoming_week, items, assignment, people, client_for):
    week = upcoming_week
    client = client_for(people["participant"])
    url = reverse("assignments:item_completion", args=[week.cohort.slug, items[0].pk])

    def mark(done):
        return queries_of(lambda: client.post(url, {"done": done}, HTTP_HX_REQUEST="true"))

    add_participants(week, items, assignment, 4, start=0)
    small, _ = mark("1")
    mark("0")
    add_participants(week, items, assignment, 55, start=4)
    large, response = mark("1")
    # The session, the user, the membership, then the mark and the week with this person's
    # marks: one statement on PostgreSQL, two on SQLite.
    expected = 4 if connection.vendor == "postgresql" else 5
    assert small == large == expected
    assert "2 videos, 1 assignment, 24 min left" in response.content.decode()
    unmark, response = mark("0")
    assert unmark == expected
    assert "3 videos, 1 assignment, 38 min left" in response.content.decode()


def test_the_facilitators_cohort_page(upcoming_week, items, assignment, people, client_for):
    week = upcoming_week
    client = client_for(people["facilitator"])
    url = week.cohort.get_absolute_url()
    add_participants(week, items, assignment, 4, start=0)  # p3 finished: 2 of 5
    client.get(url)  # the header's cohort list is then in the session, as after any first page
    small, response = queries_of(lambda: client.get(url))
    assert "1 of 5 ready" in response.content.decode()
    add_participants(week, items, assignment, 55, start=4)
    large, response = queries_of(lambda: client.get(url))
    assert small == large <= 10
    # The same count as the progress report's: p3, p7 … p55 did the three videos.
    (totals,) = progress.cohort_report(week.cohort).totals
    assert totals["finished"] == 14 and totals["participants"] == 60
    assert "14 of 60 ready" in response.content.decode()
