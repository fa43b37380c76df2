import csv
import io
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from assignments import progress
from assignments.models import Completion, PreworkItem, Submission
from cohorts.models import Membership, User

pytestmark = pytest.mark.django_db


def progress_url(cohort, suffix=""):
    return reverse("assignments:progress" + suffix, args=[cohort.slug])


def test_progress_shows_percent_and_submissions(
    upcoming_week, items, assignment, people, make_user, client_for
):
    slow = make_user("slow@example.com", "Sam Slow")
    Membership.objects.create(user=slow, cohort=upcoming_week.cohort)
    for item in items[:2]:
        Completion.objects.create(user=people["participant"], item=item)
    Submission.objects.create(
        assignment=assignment, user=people["participant"], link="https://a.example/x"
    )
    client = client_for(people["facilitator"])
    page = client.get(progress_url(upcoming_week.cohort)).content.decode()
    assert "Pat Participant" in page and "Sam Slow" in page
    assert "67%" in page  # 2 of 3 required videos
    assert "0 of 2" in page  # nobody finished week 1 yet
    not_started = client.get(
        progress_url(upcoming_week.cohort) + "?show=not-started"
    ).content.decode()
    assert "Sam Slow" in not_started and "Pat Participant" not in not_started

    drill = client.get(
        reverse("assignments:progress_week", args=[upcoming_week.cohort.slug, 1])
    ).content.decode()
    assert "https://a.example/x" in drill and "not handed in" in drill

    rows = list(
        csv.reader(
            io.StringIO(client.get(progress_url(upcoming_week.cohort, "_csv")).content.decode())
        )
    )
    assert rows[0][:5] == [
        "Participant",
        "Email",
        "Week 1 pre-work %",
        "Week 1 assignments handed in",
        "Week 1 assignments due",
    ]
    by_email = {row[1]: row for row in rows[1:]}
    # Hand-ins are two numbers, never "1/1" (which a spreadsheet reads as a date).
    assert by_email["par@example.com"][2:5] == ["67", "1", "1"]
    assert by_email["slow@example.com"][2:5] == ["0", "0", "1"]


def test_behind_means_an_earlier_session_passed_unprepared(
    upcoming_week, items, people, make_user, client_for, time_machine
):
    Membership.objects.filter(user=people["participant"]).update(
        joined_at=upcoming_week.session_start - timedelta(days=7)
    )
    time_machine.move_to(upcoming_week.session_end)
    time_machine.shift(60)
    newcomer = make_user("new@example.com", "Nell Newcomer")
    Membership.objects.create(
        user=newcomer, cohort=upcoming_week.cohort
    )  # joined after that session
    url = progress_url(upcoming_week.cohort) + "?show=behind"
    page = client_for(people["organizer"]).get(url).content.decode()
    assert "Pat Participant" in page
    assert "Nell Newcomer" not in page


def test_csv_neutralises_spreadsheet_formulas(upcoming_week, items, people, make_user, client_for):
    evil = make_user("evil@example.com", '=HYPERLINK("http://x")')
    Membership.objects.create(user=evil, cohort=upcoming_week.cohort)
    body = (
        client_for(people["organizer"])
        .get(progress_url(upcoming_week.cohort, "_csv"))
        .content.decode()
    )
    assert "'=HYPERLINK" in body
    weird = make_user("=cmd@example.com", "Weird Address")
    Membership.objects.create(user=weird, cohort=upcoming_week.cohort)
    body = (
        client_for(people["organizer"])
        .get(progress_url(upcoming_week.cohort, "_csv"))
        .content.decode()
    )
    assert "'=cmd@example.com" in body


def test_participants_cannot_see_progress(upcoming_week, people, client_for):
    client = client_for(people["participant"])
    assert client.get(progress_url(upcoming_week.cohort)).status_code == 403
    assert client.get(progress_url(upcoming_week.cohort, "_csv")).status_code == 403


def add_participants(cohort, week, count, start):
    items = list(PreworkItem.objects.filter(week=week))
    assignment = week.assignments.first()
    for n in range(start, start + count):
        user = User.objects.create_user(email=f"p{n}@example.com", password="x", name=f"P {n:03d}")
        Membership.objects.create(user=user, cohort=cohort)
        Completion.objects.bulk_create(Completion(user=user, item=item) for item in items[: n % 4])
        if n % 2:
            Submission.objects.create(assignment=assignment, user=user, link="https://a.example/x")


def count_queries(client, url):
    client.get(url)  # the header's cohort list is then in the session, as after any first page
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


PAGES = ["week", "cohort", "progress", "progress_csv", "progress_week", "editor"]


@pytest.mark.parametrize(
    ("viewer", "page"),
    [("participant", "week"), ("participant", "cohort")] + [("organizer", page) for page in PAGES],
)
def test_query_count_does_not_grow_with_the_cohort(
    viewer, page, upcoming_week, items, assignment, people, client_for
):
    cohort = upcoming_week.cohort
    urls = {
        "week": upcoming_week.get_absolute_url(),
        "cohort": cohort.get_absolute_url(),
        "progress": progress_url(cohort),
        "progress_csv": progress_url(cohort, "_csv"),
        "progress_week": reverse("assignments:progress_week", args=[cohort.slug, 1]),
        "editor": reverse("assignments:prework_editor", args=[cohort.slug, 1]),
    }
    client = client_for(people[viewer])
    add_participants(cohort, upcoming_week, 5, start=0)
    small = count_queries(client, urls[page])
    add_participants(cohort, upcoming_week, 55, start=5)
    assert Membership.objects.filter(cohort=cohort, role="participant").count() == 61
    large = count_queries(client, urls[page])
    assert small == large, f"{page}: {small} queries for 6 participants, {large} for 61"


def test_a_whole_class_gets_the_same_states_as_each_person_asked_alone(
    upcoming_week, items, assignment, people
):
    # For many people `statuses` reads the weeks' rows without listing them; someone not
    # asked about (here the facilitator, who ticked everything) never shows up.
    cohort = upcoming_week.cohort
    add_participants(cohort, upcoming_week, 25, start=0)
    for item in items:
        Completion.objects.create(user=people["facilitator"], item=item)
    user_ids = list(
        Membership.objects.filter(cohort=cohort, role="participant").values_list("user", flat=True)
    )
    assert len(user_ids) > progress.FEW_PEOPLE
    table = progress.statuses([upcoming_week], user_ids)
    assert set(table) == {(user, upcoming_week.pk) for user in user_ids}
    for user in user_ids:
        alone = progress.statuses([upcoming_week], [user])
        assert table[(user, upcoming_week.pk)] == alone[(user, upcoming_week.pk)]
    done = sorted(status.required_done for status in table.values())
    assert done.count(3) >= 6 and done.count(0) >= 6  # P 003, P 007, … did all three


def test_nothing_to_count_is_an_empty_table_not_an_error(upcoming_week, people, client_for):
    assert progress.statuses([], [people["participant"].pk]) == {}
    assert progress.statuses([upcoming_week], []) == {}
    upcoming_week.publish_at = None  # nothing published: no weeks to ask about
    upcoming_week.save()
    client = client_for(people["organizer"])
    assert client.get(progress_url(upcoming_week.cohort)).status_code == 200
    assert client.get(progress_url(upcoming_week.cohort, "_csv")).status_code == 200
