"""Late joiners: weeks before someone joined are "not joined" and count in no rate; the
progress CSV's figures are numbers; each participant has a page of their own weeks."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assignments import progress
from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Membership, Role
from discussions import digest
from discussions.models import Attendance, Feedback

pytestmark = pytest.mark.django_db

RATINGS = {
    "feedback-logistics": "4",
    "feedback-content_quality": "4",
    "feedback-content_relevance": "4",
    "feedback-overall": "4",
}


@pytest.fixture
def two_weeks(cohort):
    """Week 1's session was six days ago, week 2's is tomorrow; one required video each."""
    now = timezone.now()
    weeks = []
    for number, session in ((1, now - timedelta(days=6)), (2, now + timedelta(days=1))):
        week = cohort.weeks.get(number=number)
        week.publish_at = now - timedelta(days=10)
        week.session_start = session
        week.save()
        PreworkItem.objects.create(
            week=week, title=f"Video {number}", url="https://v.example", minutes=5
        )
        weeks.append(week)
    Assignment.objects.create(week=weeks[0], title="Essay 1", due_at=weeks[0].session_start)
    return weeks


@pytest.fixture
def late(cohort, two_weeks, make_user):
    """Lee joined three days ago: after week 1's session, before week 2's."""
    user = make_user("late@example.com", "Lee Late")
    return Membership.objects.create(
        user=user, cohort=cohort, joined_at=timezone.now() - timedelta(days=3)
    )


def test_weeks_before_joining_count_in_no_rate(cohort, two_weeks, late, people):
    week1, week2 = two_weeks
    for week in two_weeks:  # Pat did everything; Lee nothing
        Completion.objects.create(user=people["participant"], item=week.prework_items.get())

    report = progress.cohort_report(cohort)
    rows = {row.membership.user.email: row for row in report.rows}
    assert rows["late@example.com"].statuses[0] is None  # week 1: not joined
    assert rows["late@example.com"].statuses[1].percent == 0
    assert not rows["late@example.com"].behind  # nothing they were there for has passed
    assert [(t["finished"], t["participants"], t["average"]) for t in report.totals] == [
        (1, 1, 100),
        (1, 2, 50),
    ]
    chart = progress.completion_chart(report)
    assert [bar["percent"] for bar in chart["bars"]] == [100, 50]
    assert progress.ready_counts(cohort, two_weeks) == {week1.pk: (1, 1), week2.pk: (1, 2)}
    assert digest.completion_line(cohort, week2) == (
        "Last week (Week 1): 1 of 1 finished the pre-work."
    )


def test_progress_page_shows_not_joined_and_a_legend(cohort, two_weeks, late, people, client_for):
    client = client_for(people["facilitator"])
    page = client.get(reverse("assignments:progress", args=[cohort.slug])).content.decode()
    lee = page.split("Lee Late")[1].split("</tr>")[0]
    assert '<td class="not-joined">—' in lee and "not joined yet" in lee
    assert lee.count("0%") == 1  # week 2 only: not a red 0% for week 1
    assert "<td>0 of 1</td>" in page  # week 1's total leaves Lee out
    assert "<td>0 of 2</td>" in page
    assert 'class="legend"' in page and "0/1" in page and "not joined yet" in page
    assert f'href="/c/{cohort.slug}/progress/{late.pk}/"' in page
    week_page = client.get(
        reverse("assignments:progress_week", args=[cohort.slug, 1])
    ).content.decode()
    assert "joined later" in week_page.split("Lee Late")[1].split("</tr>")[0]


def test_cohort_page_ready_badge_leaves_late_joiners_out(
    cohort, two_weeks, late, people, client_for
):
    page = client_for(people["facilitator"]).get(cohort.get_absolute_url()).content.decode()
    assert "0 of 1 ready" in page  # week 1: Pat only
    assert "0 of 2 ready" in page  # week 2: Pat and Lee


def test_my_cohorts_counts_only_who_had_joined(
    cohort, other_cohort, two_weeks, people, make_user, client_for
):
    # Week 1's session started half an hour ago; Lou joined ten minutes ago, during it.
    week1 = two_weeks[0]
    week1.session_start = timezone.now() - timedelta(minutes=30)
    week1.save()
    Membership.objects.create(user=people["facilitator"], cohort=other_cohort)
    Membership.objects.create(
        user=make_user("later@example.com", "Lou Later"),
        cohort=cohort,
        joined_at=timezone.now() - timedelta(minutes=10),
    )
    page = client_for(people["facilitator"]).get(reverse("home")).content.decode()
    assert "0 of 1 participants ready for Week 1" in page


def test_csv_figures_are_numbers_and_empty_before_joining(
    cohort, two_weeks, late, people, client_for
):
    week1 = two_weeks[0]
    Completion.objects.create(user=people["participant"], item=week1.prework_items.get())
    Submission.objects.create(
        assignment=week1.assignments.get(), user=people["participant"], link="https://a.example"
    )
    body = (
        client_for(people["organizer"])
        .get(reverse("assignments:progress_csv", args=[cohort.slug]))
        .content.decode()
    )
    rows = list(csv.reader(io.StringIO(body), quoting=csv.QUOTE_NONNUMERIC))
    assert rows[0] == [
        "Participant",
        "Email",
        "Week 1 pre-work %",
        "Week 1 assignments handed in",
        "Week 1 assignments due",
        "Week 2 pre-work %",
        "Week 2 assignments handed in",
        "Week 2 assignments due",
        "Sessions attended",
        "Sessions held",
    ]
    by_email = {row[1]: row for row in rows[1:]}
    # Unquoted cells are numbers: csv turns them into floats (a text cell would stay a str).
    assert by_email["par@example.com"][2:8] == [100.0, 1.0, 1.0, 0.0, 0.0, 0.0]
    assert by_email["late@example.com"][2:8] == ["", "", "", 0.0, 0.0, 0.0]
    assert all(isinstance(cell, float) for cell in by_email["par@example.com"][8:])
    assert "1/1" not in body and "%" not in body.splitlines()[1]


def test_no_rating_a_session_held_before_joining(cohort, two_weeks, late, people, client_for):
    url = reverse("discussions:feedback", args=[cohort.slug, 1])
    client = client_for(late.user)
    assert "held before you joined" in client.get(url).content.decode()
    assert client.post(url, RATINGS).status_code == 403
    assert not Feedback.objects.filter(user=late.user).exists()
    # Pat, a member since before the cohort began, rates it.
    assert client_for(people["participant"]).post(url, RATINGS).status_code == 302


def person_url(cohort, membership):
    return reverse("assignments:progress_person", args=[cohort.slug, membership.pk])


def test_person_page_shows_their_weeks(cohort, two_weeks, people, client_for):
    week1, week2 = two_weeks
    pat = Membership.objects.get(user=people["participant"], cohort=cohort)
    Completion.objects.create(user=pat.user, item=week2.prework_items.get())
    Submission.objects.create(
        assignment=week1.assignments.get(), user=pat.user, link="https://essay.example/pat"
    )
    Attendance.objects.create(week=week1, user=pat.user, present=False)
    Feedback.objects.create(
        week=week1, user=pat.user, logistics=4, content_quality=4, content_relevance=4, overall=4
    )
    page = client_for(people["facilitator"]).get(person_url(cohort, pat)).content.decode()
    assert "<h1>Pat Participant</h1>" in page
    week1_row, week2_row = page.split("<tbody>")[1].split("</tr>")[:2]
    assert "0%" in week1_row and "Absent" in week1_row and "Given" in week1_row
    assert 'href="https://essay.example/pat"' in week1_row
    assert "100%" in week2_row and "not held yet" in week2_row


def test_person_page_marks_weeks_before_joining(cohort, two_weeks, late, people, client_for):
    page = client_for(people["organizer"]).get(person_url(cohort, late)).content.decode()
    week1_row, week2_row = page.split("<tbody>")[1].split("</tr>")[:2]
    assert "not joined yet" in week1_row
    assert "not joined" not in week2_row and "0%" in week2_row


def test_person_page_access(cohort, other_cohort, two_weeks, people, make_user, client_for):
    pat = Membership.objects.get(user=people["participant"], cohort=cohort)
    url = person_url(cohort, pat)
    assert client_for(people["organizer"]).get(url).status_code == 200
    assert client_for(people["facilitator"]).get(url).status_code == 200
    assert client_for(people["participant"]).get(url).status_code == 403
    assert client_for(people["outsider"]).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302
    stranger = Membership.objects.create(
        user=make_user("s@example.com", "Stan Stranger"), cohort=other_cohort
    )
    staff = client_for(people["organizer"])
    assert staff.get(person_url(cohort, stranger)).status_code == 404
    facilitator = Membership.objects.get(user=people["facilitator"], cohort=cohort)
    assert facilitator.role == Role.FACILITATOR
    assert staff.get(person_url(cohort, facilitator)).status_code == 404
    huge = reverse("assignments:progress_person", args=[cohort.slug, 10**20])
    assert staff.get(huge).status_code == 404


def count_queries(client, url):
    client.get(url)  # the header's cohort list is then in the session
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def test_person_page_queries_do_not_grow_with_weeks(cohort, two_weeks, people, client_for):
    pat = Membership.objects.get(user=people["participant"], cohort=cohort)
    client = client_for(people["facilitator"])
    small = count_queries(client, person_url(cohort, pat))
    for week in cohort.weeks.filter(number__gt=2):
        week.publish_at = datetime(2026, 1, 1, tzinfo=UTC)
        week.save()
        assignment = Assignment.objects.create(
            week=week, title=f"Essay {week.number}", due_at=week.session_start
        )
        Submission.objects.create(assignment=assignment, user=pat.user, link="https://e.example")
        Attendance.objects.create(week=week, user=pat.user, present=False)
    assert count_queries(client, person_url(cohort, pat)) == small


def test_week_page_offers_no_rating_of_a_session_before_joining(
    cohort, two_weeks, late, people, client_for
):
    week1 = two_weeks[0]
    page = client_for(late.user).get(week1.get_absolute_url()).content.decode()
    feedback = page.split('id="feedback"')[1].split("</section>")[0]
    assert "held before you joined" in feedback and "feedback-overall" not in feedback
    page = client_for(people["participant"]).get(week1.get_absolute_url()).content.decode()
    assert "feedback-overall" in page.split('id="feedback"')[1].split("</section>")[0]
