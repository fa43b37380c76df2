"""A cohort with a full curriculum and a group's traces, for copying and course files.

"Autumn ML" meets on Mondays at 18:00 in Berlin from 19 October 2026, so the European
clock change (Sunday 25 October) falls between week 2's Saturday due time and its session,
and the American one (1 November) inside a New York copy starting a week later.
"""

from datetime import date, datetime, time, timedelta

import pytest

from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Cohort, Membership, Role
from discussions.models import (
    Attendance,
    DiscussionPoint,
    Feedback,
    MuddiestPoint,
    PairGroup,
    Pairing,
    PairPrompt,
    SharedResource,
)
from tests.conftest import BERLIN


@pytest.fixture
def course_cohort(db, make_user):
    cohort = Cohort.objects.create(
        title="Autumn ML",
        slug="autumn-ml",
        description="Twelve lectures, *one* room.\n\nBring a laptop.",
        time_zone="Europe/Berlin",
        start_date=date(2026, 10, 19),
        session_weekday=0,
        session_time=time(18, 0),
        session_minutes=90,
        location="Room 4.12",
        reminder_lead_hours=24,
    )
    weeks = cohort.create_weeks(4, ["Linear models", "Loss: what we minimise", "Trees", "Wrap-up"])
    for week in weeks:
        # Published the Monday before at 09:00; due the Saturday before at 18:00 local.
        week.publish_at = datetime.combine(
            cohort.local(week.session_start).date() - timedelta(days=7), time(9, 0), BERLIN
        )
        week.summary = f"Week {week.number}: read, watch, *think*.\n\n- one\n- two"
        week.facilitator_notes = f"Notes for week {week.number}: start with the whiteboard."
        week.save()
        PreworkItem.objects.create(
            week=week,
            kind="video",
            title="Lecture: y = w₁x₁ + w₂x₂",
            url="https://example.com/v",
            minutes=14,
            order=1,
        )
        PreworkItem.objects.create(
            week=week,
            kind="reading",
            title="Notes: “quoted”, #hash, colon: yes",
            minutes=0,
            required=False,
            notes="Skim it.\nThen: the summary.",
            order=2,
        )
        local_session = cohort.local(week.session_start)
        Assignment.objects.create(
            week=week,
            title="Notebook",
            instructions="Fit a line.\n\n```python\nmodel.fit(x, y)\n```",
            due_at=datetime.combine(local_session.date() - timedelta(days=2), time(18, 0), BERLIN),
            submission_kind="link",
        )
        Assignment.objects.create(
            week=week, title="Reflection", due_at=week.session_start, submission_kind="text"
        )
        DiscussionPoint.objects.create(
            week=week, text="Why is y = w₁x₁ + w₂x₂ + w₃x₃² still a *linear* model?"
        )
        DiscussionPoint.objects.create(week=week, text="Loss vs. metric")
        PairPrompt.objects.create(
            week=week, prompt="A, explain to B what a gradient is.", minutes=5
        )
        PairPrompt.objects.create(week=week, prompt="Swap: B explains *overfitting*.", minutes=7)
    weeks[3].publish_at = None  # the last week is still a draft
    weeks[3].save()
    return cohort


@pytest.fixture
def group_traces(course_cohort, make_user):
    """Everything a group leaves behind in the cohort, none of which a copy may take."""
    organizer = make_user("olga@example.com", "Olga Organizer")
    pat = make_user("pat@example.com", "Pat Participant")
    sam = make_user("sam@example.com", "Sam Participant")
    Membership.objects.create(user=organizer, cohort=course_cohort, role=Role.ORGANIZER)
    Membership.objects.create(user=pat, cohort=course_cohort, role=Role.PARTICIPANT)
    Membership.objects.create(user=sam, cohort=course_cohort, role=Role.PARTICIPANT)
    week = course_cohort.weeks.get(number=1)
    Completion.objects.create(user=pat, item=week.prework_items.first())
    Submission.objects.create(assignment=week.assignments.first(), user=pat, link="https://x.test")
    Attendance.objects.create(week=week, user=sam, present=False)
    pairing = Pairing.objects.create(week=week, seed=7)
    PairGroup.objects.create(pairing=pairing, number=1, person_a=pat, person_b=sam)
    Feedback.objects.create(
        week=week, user=pat, logistics=4, content_quality=5, content_relevance=4, overall=5
    )
    MuddiestPoint.objects.create(week=week, author=pat, text="Gradients?")
    SharedResource.objects.create(
        week=week,
        shared_by=pat,
        title="A great post",
        url="https://blog.example.com/p",
        note="Best intro",
        pinned=True,
    )
    SharedResource.objects.create(
        week=week, shared_by=sam, title="Unpinned", url="https://blog.example.com/q"
    )
    return {"organizer": organizer, "pat": pat, "sam": sam}


def local_text(cohort, moment):
    return None if moment is None else f"{cohort.local(moment):%a %Y-%m-%d %H:%M}"


def relative_text(cohort, moment, session):
    """A moment as (days from the session's local day, local clock time), or "session"."""
    if moment is None:
        return None
    if moment == session:
        return "session"
    local, local_session = cohort.local(moment), cohort.local(session)
    return ((local.date() - local_session.date()).days, f"{local:%H:%M}")


def curriculum_snapshot(cohort):
    """Everything a curriculum is, with times relative to each session: equal snapshots
    mean an equal curriculum."""
    weeks = []
    for week in cohort.weeks.all():
        weeks.append(
            {
                "number": week.number,
                "title": week.title,
                "summary": week.summary,
                "facilitator_notes": week.facilitator_notes,
                "publish": relative_text(cohort, week.publish_at, week.session_start),
                "prework": [
                    (i.kind, i.title, i.url, i.minutes, i.required, i.notes, i.order)
                    for i in week.prework_items.all()
                ],
                "assignments": [
                    (
                        a.title,
                        a.instructions,
                        relative_text(cohort, a.due_at, week.session_start),
                        a.submission_kind,
                    )
                    for a in week.assignments.all()
                ],
                "points": [p.text for p in week.discussion_points.all()],
                "prompts": [(p.prompt, p.minutes) for p in week.pair_prompts.all()],
            }
        )
    return weeks
