"""Copying a cohort for a new group: the curriculum comes along, every date moves with its
session on the new cohort's local clock, and nothing about the people does."""

from datetime import UTC, date, datetime, time

import pytest
from django.urls import reverse

from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Cohort, Membership, Role
from curriculum.course import CopyOptions, Course, parts
from discussions.models import (
    Attendance,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    Pairing,
    PairPrompt,
    SharedResource,
)
from tests.conftest import NEW_YORK

from .conftest import curriculum_snapshot

pytestmark = pytest.mark.django_db


def new_york_run(course):
    return course.new_run(
        title="Autumn ML, New York",
        time_zone="America/New_York",
        start_date=date(2026, 10, 26),
        session_weekday=0,
        session_time=time(12, 0),
    )


def ny(*args):
    return datetime(*args, tzinfo=NEW_YORK)


def test_copy_to_new_york_keeps_every_time_on_the_local_clock(course_cohort, group_traces):
    course = Course.from_cohort(course_cohort)
    copy = course.create(new_york_run(course), group_traces["organizer"])
    weeks = list(copy.weeks.all())
    # Mondays at noon in New York; the US clock change (1 November) falls before week 2.
    assert [w.session_start for w in weeks] == [
        ny(2026, 10, 26, 12),
        ny(2026, 11, 2, 12),
        ny(2026, 11, 9, 12),
        ny(2026, 11, 16, 12),
    ]
    assert weeks[0].session_start.astimezone(UTC).hour == 16  # EDT
    assert weeks[1].session_start.astimezone(UTC).hour == 17  # EST

    for week in weeks:
        local_session = copy.local(week.session_start)
        notebook = week.assignments.get(title="Notebook")
        # Source: "two days before the session at 18:00 Berlin time". Copy: the same, in New
        # York — whatever the clocks did in between in either city.
        due = copy.local(notebook.due_at)
        assert (local_session.date() - due.date()).days == 2
        assert due.time() == time(18, 0)
        # The default due time, the session start, follows the new session time.
        assert week.assignments.get(title="Reflection").due_at == week.session_start
        if week.number < 4:
            publish = copy.local(week.publish_at)
            assert (local_session.date() - publish.date()).days == 7
            assert publish.time() == time(9, 0)
        else:
            assert week.publish_at is None  # a draft stays a draft

    # Week 2 straddles both changes: Berlin's due time was 49 real hours before its session,
    # New York's is 43 — only the wall clock stayed the same.
    source_week = course_cohort.weeks.get(number=2)
    source_due = source_week.assignments.get(title="Notebook").due_at
    assert (source_week.session_start - source_due).total_seconds() == 49 * 3600
    due = weeks[1].assignments.get(title="Notebook").due_at
    assert due == ny(2026, 10, 31, 18)
    assert (weeks[1].session_start - due).total_seconds() == 43 * 3600


def test_copy_has_the_same_curriculum_and_nothing_about_the_people(course_cohort, group_traces):
    organizer = group_traces["organizer"]
    course = Course.from_cohort(course_cohort)
    copy = course.create(new_york_run(course), organizer)
    assert curriculum_snapshot(copy) == curriculum_snapshot(course_cohort)
    assert copy.description == course_cohort.description
    assert copy.location == course_cohort.location
    assert copy.session_minutes == course_cohort.session_minutes

    assert list(Membership.objects.filter(cohort=copy).values_list("user", "role")) == [
        (organizer.pk, Role.ORGANIZER)
    ]
    in_copy = {"week__cohort": copy}
    assert not Completion.objects.filter(item__week__cohort=copy).exists()
    assert not Submission.objects.filter(assignment__week__cohort=copy).exists()
    for model in (Attendance, Pairing, Feedback, MuddiestPoint, SharedResource):
        assert not model.objects.filter(**in_copy).exists(), model
    assert not DiscussionPoint.objects.filter(**in_copy).exclude(source=None).exists()
    # The source is untouched.
    assert course_cohort.memberships.count() == 3
    assert Completion.objects.filter(item__week__cohort=course_cohort).count() == 1


def test_pinned_resources_become_optional_readings_when_asked(course_cohort, group_traces):
    options = CopyOptions(promote_pinned=True)
    course = Course.from_cohort(course_cohort, options)
    copy = course.create(new_york_run(course), group_traces["organizer"])
    week = copy.weeks.get(number=1)
    items = list(week.prework_items.all())
    assert [i.title for i in items] == [
        "Lecture: y = w₁x₁ + w₂x₂",
        "Notes: “quoted”, #hash, colon: yes",
        "A great post",
    ]
    promoted = items[-1]
    assert (promoted.kind, promoted.required, promoted.url, promoted.notes) == (
        PreworkItem.Kind.READING,
        False,
        "https://blog.example.com/p",
        "Best intro",
    )
    assert not SharedResource.objects.filter(week__cohort=copy).exists()
    # Only pinned ones, only where they were.
    assert PreworkItem.objects.filter(week__cohort=copy, title="Unpinned").count() == 0
    assert copy.weeks.get(number=2).prework_items.count() == 2


def test_promoted_readings_come_last_whichever_part_is_created_first(
    course_cohort, group_traces, monkeypatch
):
    monkeypatch.setattr(parts, "entries", list(reversed(parts.entries)))
    course = Course.from_cohort(course_cohort, CopyOptions(promote_pinned=True))
    copy = course.create(new_york_run(course), group_traces["organizer"])
    items = copy.weeks.get(number=1).prework_items.all()
    assert [(i.title, i.order) for i in items] == [
        ("Lecture: y = w₁x₁ + w₂x₂", 1),
        ("Notes: “quoted”, #hash, colon: yes", 2),
        ("A great post", 3),
    ]


def test_the_preview_lists_every_week_with_its_new_dates(course_cohort):
    course = Course.from_cohort(course_cohort)
    plan = course.plan(new_york_run(course))
    assert [week.number for week in plan] == [1, 2, 3, 4]
    assert plan[1].session_start == ny(2026, 11, 2, 12)
    assert plan[1].was == course_cohort.weeks.get(number=2).session_start
    assert plan[1].publish_at == ny(2026, 10, 26, 9)
    assert plan[3].publish_at is None
    due_lines = [line for line in plan[1].lines if line.when is not None]
    assert [(line.text, line.when) for line in due_lines] == [
        ("Assignment “Notebook” due", ny(2026, 10, 31, 18)),
        ("Assignment “Reflection” due", ny(2026, 11, 2, 12)),
    ]
    texts = [line.text for line in plan[1].lines]
    assert "2 pre-work items (1 required, 14 min)" in texts
    assert "2 discussion points" in texts
    assert "2 pair prompts (5 + 7 min per turn)" in texts
    assert not Cohort.objects.exclude(pk=course_cohort.pk).exists()  # a preview creates nothing


# --- The page -------------------------------------------------------------------------------


def form_data(**overrides):
    data = {
        "title": "Autumn ML, New York",
        "time_zone": "America/New_York",
        "start_date": "2026-10-26",
        "session_weekday": "0",
        "session_time": "12:00",
        "location": "https://meet.example.com/ml",
    }
    return {**data, **overrides}


def test_organizer_previews_then_creates(course_cohort, group_traces, client_for):
    client = client_for(group_traces["organizer"])
    url = reverse("curriculum:copy", args=[course_cohort.slug])
    page = client.get(url)
    assert page.status_code == 200
    assert "Autumn ML (new run)" in page.content.decode()

    preview = client.post(url, {**form_data(), "action": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200
    assert Cohort.objects.count() == 1  # nothing yet
    assert "The new schedule" in html
    assert "Mon 2 Nov 2026, 12:00" in html  # week 2's new session
    assert "(was Mon 26 Oct 2026, 18:00)" in html
    assert "Sat 31 Oct 2026, 18:00" in html  # its due time
    assert "Published <time" in html and "Mon 26 Oct 2026, 09:00" in html
    key = preview.context["preview_key"]

    created = client.post(url, {**form_data(), "action": "create", "preview_key": key})
    copy = Cohort.objects.exclude(pk=course_cohort.pk).get()
    assert created.status_code == 302 and created["Location"] == copy.get_absolute_url()
    assert copy.title == "Autumn ML, New York"
    assert copy.location == "https://meet.example.com/ml"
    assert copy.reminder_lead_hours == 24  # the cohort's settings come along
    assert copy.slack_webhook_url == ""
    assert copy.weeks.count() == 4
    assert curriculum_snapshot(copy) == curriculum_snapshot(course_cohort)
    schedule = client.get(copy.get_absolute_url()).content.decode()
    assert "Mon 2 Nov 2026, 12:00" in schedule


def test_a_copy_keeps_showing_upcoming_topics(course_cohort, group_traces, client_for, make_user):
    """The first run let participants see the named sessions ahead: the new run does too."""
    course_cohort.show_upcoming_titles = True
    course_cohort.save(update_fields=["show_upcoming_titles"])
    client = client_for(group_traces["organizer"])
    url = reverse("curriculum:copy", args=[course_cohort.slug])
    data = form_data(start_date="2027-10-25")  # a run in the future: nothing published yet
    key = client.post(url, {**data, "action": "preview"}).context["preview_key"]
    client.post(url, {**data, "action": "create", "preview_key": key})
    copy = Cohort.objects.exclude(pk=course_cohort.pk).get()
    assert copy.show_upcoming_titles
    newcomer = make_user("newcomer@example.com", "Nia Newcomer")
    Membership.objects.create(user=newcomer, cohort=copy)
    schedule = client_for(newcomer).get(copy.get_absolute_url()).content.decode()
    assert "Loss: what we minimise" in schedule  # week 2, not published yet


def test_create_after_changing_the_form_shows_the_new_preview_first(
    course_cohort, group_traces, client_for
):
    client = client_for(group_traces["organizer"])
    url = reverse("curriculum:copy", args=[course_cohort.slug])
    key = client.post(url, {**form_data(), "action": "preview"}).context["preview_key"]
    changed = form_data(start_date="2027-01-04")
    response = client.post(url, {**changed, "action": "create", "preview_key": key})
    assert response.status_code == 200
    assert Cohort.objects.count() == 1
    assert "Mon 4 Jan 2027, 12:00" in response.content.decode()
    assert "changed since the preview" in response.content.decode()


def test_promote_pinned_box_in_the_page(course_cohort, group_traces, client_for):
    client = client_for(group_traces["organizer"])
    url = reverse("curriculum:copy", args=[course_cohort.slug])
    data = {**form_data(), "promote_pinned": "on"}
    preview = client.post(url, {**data, "action": "preview"})
    assert "Optional reading from a pinned resource: “A great post”" in preview.content.decode()
    client.post(url, {**data, "action": "create", "preview_key": preview.context["preview_key"]})
    copy = Cohort.objects.exclude(pk=course_cohort.pk).get()
    assert copy.weeks.get(number=1).prework_items.filter(title="A great post").exists()


def test_a_bad_form_creates_nothing(course_cohort, group_traces, client_for):
    client = client_for(group_traces["organizer"])
    url = reverse("curriculum:copy", args=[course_cohort.slug])
    response = client.post(
        url, {**form_data(start_date="", time_zone="Mars/Olympus"), "action": "create"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors.keys() == {"start_date", "time_zone"}
    assert Cohort.objects.count() == 1


def test_facilitators_and_participants_cannot_copy(
    course_cohort, group_traces, make_user, client_for
):
    facilitator = make_user("fay@example.com")
    Membership.objects.create(user=facilitator, cohort=course_cohort, role=Role.FACILITATOR)
    url = reverse("curriculum:copy", args=[course_cohort.slug])
    for user in (facilitator, group_traces["pat"]):
        response = client_for(user).post(url, {**form_data(), "action": "create"})
        assert response.status_code == 403
    assert Cohort.objects.count() == 1
    assert Assignment.objects.count() == 8 and PairPrompt.objects.count() == 8


def copied_by_its_organizer(source, client):
    """The copy the organizer previews and creates on the copy page."""
    url = reverse("curriculum:copy", args=[source.slug])
    key = client.post(url, {**form_data(), "action": "preview"}).context["preview_key"]
    client.post(url, {**form_data(), "action": "create", "preview_key": key})
    return Cohort.objects.exclude(pk=source.pk).get()


def test_a_copy_runs_the_session_the_same_way(course_cohort, group_traces, client_for):
    """The first run switched the survey emails off and let people check themselves in:
    the next group's run does the same, and compares its ratings with the first run's."""
    from discussions.models import CohortSessionOptions, SurveySettings

    SurveySettings.objects.create(cohort=course_cohort, prompts=False, nudge=False)
    CohortSessionOptions.objects.create(cohort=course_cohort, self_check_in=True)
    copy = copied_by_its_organizer(course_cohort, client_for(group_traces["organizer"]))
    survey = SurveySettings.objects.get(cohort=copy)
    assert (survey.prompts, survey.nudge, survey.previous_run) == (False, False, course_cohort)
    assert CohortSessionOptions.objects.get(cohort=copy).self_check_in is True


def test_a_copy_of_a_cohort_with_default_settings_keeps_the_defaults(
    course_cohort, group_traces, client_for
):
    from discussions.models import CohortSessionOptions, SurveySettings

    copy = copied_by_its_organizer(course_cohort, client_for(group_traces["organizer"]))
    survey = SurveySettings.objects.get(cohort=copy)
    assert (survey.prompts, survey.nudge) == (True, True)
    assert not CohortSessionOptions.objects.filter(cohort=copy).exists()
