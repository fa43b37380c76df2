"""Bad input anywhere a date, a number, a title or a URL is typed: a clear message on
the form (or a 4xx), never a 500, and nothing saved."""

from datetime import UTC, datetime, timedelta

import pytest
from django.urls import reverse

from assignments.models import Assignment, PreworkItem
from cohorts.models import Cohort
from curriculum.course import Course
from curriculum.course_file import parse_course
from notifications.models import Announcement

pytestmark = pytest.mark.django_db

FAR = ["9999-12-31", "0001-01-01", "1999-12-31", "2101-01-01"]
FAR_TIMES = [f"{day}T23:30" for day in FAR]

COHORT = {
    "title": "Deep Learning",
    "description": "",
    "time_zone": "Pacific/Kiritimati",
    "start_date": "2026-11-02",
    "session_weekday": "2",
    "session_time": "12:00",
    "session_minutes": "90",
    "location": "",
    "weeks": "10",
    "organizer_email": "",
    "status": "active",
}


@pytest.fixture
def organizer(cohort, people, no_500):
    no_500.force_login(people["organizer"])
    return no_500


@pytest.fixture
def staff(make_user, no_500):
    no_500.force_login(make_user("staff@example.com", staff=True))
    return no_500


def refused(response, message="between 2000 and 2100"):
    assert response.status_code == 200, response.status_code
    assert message in response.content.decode()


@pytest.mark.parametrize("day", FAR)
def test_cohort_dates_are_bounded(day, cohort, organizer, staff):
    refused(staff.post(reverse("cohort_create"), {**COHORT, "start_date": day}))
    assert Cohort.objects.count() == 1


@pytest.mark.parametrize("day", FAR)
def test_settings_copy_and_import_dates_are_bounded(day, cohort, organizer):
    url = reverse("cohorts:manage_settings", args=[cohort.slug])
    refused(organizer.post(url, {**COHORT, "start_date": day}))
    copy = reverse("curriculum:copy", args=[cohort.slug])
    refused(organizer.post(copy, {**COHORT, "start_date": day, "action": "preview"}))
    text = Course.from_cohort(cohort).to_yaml()
    data = {**COHORT, "start_date": day, "step": "run", "course": text, "action": "preview"}
    refused(organizer.post(reverse("course_import"), data))
    cohort.refresh_from_db()
    assert cohort.start_date.year == 2026 and Cohort.objects.count() == 1


@pytest.mark.parametrize("moment", FAR_TIMES)
def test_session_due_and_publish_times_are_bounded(moment, cohort, organizer):
    week = cohort.weeks.get(number=1)
    url = reverse("cohorts:manage_week", args=[cohort.slug, 1])
    refused(organizer.post(url, {"title": "W", "summary": "", "session_start": moment}))
    url = reverse("assignments:assignment_create", args=[cohort.slug, 1])
    data = {"title": "A", "instructions": "", "due_at": moment, "submission_kind": "link"}
    refused(organizer.post(url, data))
    url = reverse("assignments:prework_editor", args=[cohort.slug, 1])
    data = {"action": "publish", "publish-when": "schedule", "publish-publish_at": moment}
    refused(organizer.post(url, data))
    week.refresh_from_db()
    assert week.publish_at is None and not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("moment", "message"),
    [
        ("2026-10-25T02:30", "02:30 happens twice on Sun 25 Oct 2026 in Europe/Berlin"),
        ("2027-03-28T02:30", "02:30 does not exist on Sun 28 Mar 2027 in Europe/Berlin"),
    ],
)
def test_due_publish_and_send_times_in_a_dst_gap_or_fold_are_named(
    moment, message, cohort, organizer
):
    """A time the cohort's clock shows twice or never is refused in the app's words (the
    date as the app writes dates), for due, publish and announcement times alike."""
    week = cohort.weeks.get(number=1)
    url = reverse("assignments:assignment_create", args=[cohort.slug, 1])
    data = {"title": "A", "instructions": "", "due_at": moment, "submission_kind": "link"}
    refused(organizer.post(url, data), message)
    url = reverse("assignments:prework_editor", args=[cohort.slug, 1])
    data = {"action": "publish", "publish-when": "schedule", "publish-publish_at": moment}
    refused(organizer.post(url, data), message)
    url = reverse("notifications:announcement_new", args=[cohort.slug])
    data = {"subject": "S", "body": "B", "audience": "everyone", "when": "at"}
    refused(organizer.post(url, {**data, "send_at": moment, "form_key": "dst"}), message)
    week.refresh_from_db()
    assert week.publish_at is None and not Assignment.objects.exists()
    assert not Announcement.objects.exists()


def test_the_dispatch_preview_time_is_bounded(cohort, organizer):
    url = reverse("notifications:manage_dispatch", args=[cohort.slug])
    for moment in FAR_TIMES:
        refused(organizer.get(url, {"at": moment}))


def test_pages_of_a_cohort_at_the_edge_of_the_range_work(cohort, people, organizer):
    """The latest session the forms accept, on the clock furthest ahead of UTC."""
    url = reverse("cohorts:manage_settings", args=[cohort.slug])
    response = organizer.post(url, {**COHORT, "start_date": "2100-12-31"})
    assert response.status_code == 302
    week = reverse("cohorts:manage_week", args=[cohort.slug, 1])
    response = organizer.post(
        week, {"title": "W", "summary": "", "session_start": "2100-12-31T23:30"}
    )
    assert response.status_code == 302
    membership = people["organizer"].memberships.get()
    for url in [
        reverse("cohorts:detail", args=[cohort.slug]),
        reverse("cohorts:week", args=[cohort.slug, 1]),
        reverse("discussions:guide", args=[cohort.slug]),
        reverse("discussions:session", args=[cohort.slug, 1]),
        reverse("notifications:manage_dispatch", args=[cohort.slug]),
        membership.get_calendar_url(),
    ]:
        assert organizer.get(url).status_code == 200, url


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("Intro | https://example.com/v | ²", "is not a number of minutes"),
        ("Intro | https://example.com/v | " + "9" * 4301, "is not a number of minutes"),
        ("https://example.com/" + "a" * 500, "longer than 500 characters"),
    ],
)
def test_pasted_items_are_checked(line, message, cohort, organizer):
    url = reverse("assignments:prework_editor", args=[cohort.slug, 1])
    response = organizer.post(url, {"action": "paste", "paste-kind": "video", "paste-lines": line})
    refused(response, message)
    assert not PreworkItem.objects.exists()


def test_a_title_derived_from_a_long_url_is_cut_to_fit(cohort, organizer):
    url = reverse("assignments:prework_editor", args=[cohort.slug, 1])
    line = "https://example.com/" + "a" * 400
    response = organizer.post(url, {"action": "paste", "paste-kind": "video", "paste-lines": line})
    assert response.status_code == 302
    assert len(PreworkItem.objects.get().title) == 200


def test_too_many_pasted_items(cohort, organizer):
    url = reverse("assignments:prework_editor", args=[cohort.slug, 1])
    lines = "\n".join(f"https://example.com/{n}" for n in range(201))
    response = organizer.post(url, {"action": "paste", "paste-kind": "video", "paste-lines": lines})
    refused(response, "at most 200 lines")
    assert not PreworkItem.objects.exists()


def test_titles_are_one_line_and_the_calendar_stays_whole(cohort, people, organizer):
    url = reverse("cohorts:manage_settings", args=[cohort.slug])
    response = organizer.post(url, {**COHORT, "title": "Deep\r\nLearning\rX"})
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.title == "Deep Learning X"
    refused(organizer.post(url, {**COHORT, "title": "Deep\x07Learning"}), "control characters")
    feed = organizer.get(people["organizer"].memberships.get().get_calendar_url())
    lines = feed.content.decode().split("\r\n")
    assert "X-WR-CALNAME:Deep Learning X" in lines


def test_an_assignment_is_due_within_a_year_of_its_session(cohort, organizer):
    week = cohort.weeks.get(number=1)
    late = cohort.local(week.session_start + timedelta(days=400)).strftime("%Y-%m-%dT%H:%M")
    url = reverse("assignments:assignment_create", args=[cohort.slug, 1])
    data = {"title": "A", "instructions": "", "due_at": late, "submission_kind": "link"}
    refused(organizer.post(url, data), "within a year of its session")


def test_export_writes_what_import_reads_even_for_old_far_due_dates(cohort, organizer):
    week = cohort.weeks.get(number=1)
    Assignment.objects.create(
        week=week, title="Late", due_at=week.session_start + timedelta(days=400)
    )
    response = organizer.get(reverse("curriculum:course_file", args=[cohort.slug]))
    course, problems = parse_course(response.content.decode())
    assert problems == []
    assert "session + 366d" in response.content.decode()
    assert course.title == cohort.title


def test_far_dates_in_old_rows_do_not_break_the_cohort_pages(cohort, people, organizer):
    """Dates stored before the forms were bounded: the pages still answer."""
    week = cohort.weeks.get(number=1)
    week.session_start = datetime(2100, 12, 31, 23, 0, tzinfo=UTC)
    week.save()
    assert organizer.get(reverse("cohorts:detail", args=[cohort.slug])).status_code == 200


def test_an_old_title_with_line_breaks_keeps_the_calendar_whole(cohort, people, organizer):
    Cohort.objects.filter(pk=cohort.pk).update(title="Evil\r\nX-INJECTED:1\rTitle")
    feed = organizer.get(people["organizer"].memberships.get().get_calendar_url())
    lines = feed.content.decode().split("\r\n")
    assert "X-WR-CALNAME:Evil X-INJECTED:1 Title" in lines
    assert not any(line.startswith("X-INJECTED") for line in lines)


def test_a_course_file_title_is_one_line():
    text = "homeroom_course: 1\ntitle: |\n  Two\n  lines\nweeks:\n  - title: W\n"
    course, problems = parse_course(text)
    assert course is None
    assert "a title is one line" in problems[0].message
