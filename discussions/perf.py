"""Throwaway data and bench-only views for `manage.py perf_report` and the load script.

Nothing here is reachable from the product's URLs: the benchmark installs `bench_urls()` as
a temporary URLconf (the product's patterns plus a minimal signed-in page and the "floor",
Django rendering the progress table from precomputed values through base.html).
"""

import random
from datetime import time as clock
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.csrf import csrf_exempt

from assignments import progress
from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Cohort, Membership, Role, User
from cohorts.permissions import CohortAccess

from .models import (
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

SLUG = "perf-report"
PDF_SLUG = "perf-report-pdf"
WEEKS = 12
DONE_SHARE = 0.7
LEVELS = [choice for choice, _ in Membership.Experience.choices]

PROMPT = (
    "Explain to your partner why a model that fits the training data **perfectly** can still "
    "be a bad model, with one example from your own work."
)
POINT = "Why does *regularization* help? Walk through `L2` on a small example."


class Built:
    """What `build` made: the cohort, the people to sign in as, the weeks measured."""

    def __init__(self, **kwargs):
        self.__dict__.update(kwargs)


def _users(prefix, count, start=0):
    return User.objects.bulk_create(
        User(email=f"{prefix}{n:04d}@perf.invalid", password="!", name=f"{prefix.title()} {n:04d}")  # noqa: S106
        for n in range(start, start + count)
    )


def build(participants, now=None, seed=2026):  # noqa: C901 - one straight script of throwaway data
    """One cohort of `participants` × 12 published weeks (11 past, the 12th's session in two
    days), ~70% of required pre-work done and assignments handed in, muddiest points, shared
    links, feedback and pairs every week; and a second cohort whose week has 30 pairs (PDF)."""
    now = now or timezone.now()
    rng = random.Random(seed)
    first = (now - timedelta(weeks=WEEKS - 1, days=-2)).date()
    cohort = Cohort.objects.create(
        title="Performance report",
        slug=SLUG,
        time_zone="Europe/Berlin",
        start_date=first,
        session_weekday=first.weekday(),
        session_time=clock(18, 0),
        location="Room 1",
    )
    weeks = cohort.create_weeks(WEEKS)
    for week in weeks:
        week.publish_at = week.session_start - timedelta(days=7)
        week.summary = f"What week {week.number} is about: *models* and **data**."
        week.facilitator_notes = "Start with the muddiest points.\n\n1. recap\n2. pairs"
    from cohorts.models import Week

    Week.objects.bulk_update(weeks, ["publish_at", "summary", "facilitator_notes"])

    organizer, facilitator = _users("staff", 2)
    people = _users("participant", participants)
    joined = now - timedelta(weeks=WEEKS + 1)
    Membership.objects.bulk_create(
        [
            Membership(user=organizer, cohort=cohort, role=Role.ORGANIZER, joined_at=joined),
            Membership(user=facilitator, cohort=cohort, role=Role.FACILITATOR, joined_at=joined),
        ]
        + [
            Membership(
                user=user,
                cohort=cohort,
                role=Role.PARTICIPANT,
                experience=LEVELS[n % len(LEVELS)],
                joined_at=joined,
            )
            for n, user in enumerate(people)
        ],
        batch_size=1000,
    )

    items, assignments = [], []
    for week in weeks:
        for order, (kind, required) in enumerate(
            [("video", True), ("video", True), ("reading", True), ("exercise", False)], start=1
        ):
            items.append(
                PreworkItem(
                    week=week,
                    kind=kind,
                    title=f"{kind.title()} {order} of week {week.number}",
                    url=f"https://example.com/w{week.number}/{order}",
                    minutes=12,
                    required=required,
                    order=order,
                    notes="Watch *closely*." if order == 1 else "",
                )
            )
        assignments.append(
            Assignment(
                week=week,
                title=f"Homework {week.number}",
                instructions="Hand in a **notebook** link.",
                due_at=week.session_start,
            )
        )
    items = PreworkItem.objects.bulk_create(items, batch_size=1000)
    assignments = Assignment.objects.bulk_create(assignments)

    completions, submissions = [], []
    for user in people:
        for item in items:
            if rng.random() < DONE_SHARE:
                completions.append(Completion(user=user, item=item))
        for assignment in assignments:
            if rng.random() < DONE_SHARE:
                submissions.append(
                    Submission(
                        assignment=assignment,
                        user=user,
                        link="https://example.com/notebook",
                        submitted_at=assignment.due_at - timedelta(hours=3),
                        updated_at=assignment.due_at - timedelta(hours=3),
                    )
                )
    Completion.objects.bulk_create(completions, batch_size=2000)
    Submission.objects.bulk_create(submissions, batch_size=2000)

    points, resources, prompts, discussion, feedback = [], [], [], [], []
    for week in weeks:
        for n in range(40):
            points.append(
                MuddiestPoint(week=week, author=people[n % len(people)], text=f"Hard part {n}")
            )
        for n in range(25):
            resources.append(
                SharedResource(
                    week=week,
                    shared_by=people[(n * 7) % len(people)],
                    title=f"A useful link {n}",
                    url=f"https://example.org/{week.number}/{n}",
                    note="Short and clear." if n % 2 else "",
                    pinned=n == 0,
                )
            )
        for n in range(1, 4):
            prompts.append(PairPrompt(week=week, prompt=PROMPT, minutes=8, order=n))
            discussion.append(DiscussionPoint(week=week, text=POINT, order=n))
        if week.number < WEEKS:
            for user in people[: len(people) // 2]:
                feedback.append(
                    Feedback(
                        week=week,
                        user=user,
                        logistics=4,
                        content_quality=5,
                        content_relevance=4,
                        overall=4,
                    )
                )
    points = MuddiestPoint.objects.bulk_create(points, batch_size=1000)
    resources = SharedResource.objects.bulk_create(resources, batch_size=1000)
    PairPrompt.objects.bulk_create(prompts)
    DiscussionPoint.objects.bulk_create(discussion)
    Feedback.objects.bulk_create(feedback, batch_size=1000)
    SessionSettings.objects.bulk_create(SessionSettings(week=w, points_visible=True) for w in weeks)
    voters = people[:60]
    MuddiestVote.objects.bulk_create(
        [
            MuddiestVote(point=point, user=user)
            for point in points
            for user in rng.sample(voters, rng.randrange(0, 12))
        ],
        batch_size=2000,
    )
    ResourceUpvote.objects.bulk_create(
        [
            ResourceUpvote(resource=resource, user=user)
            for resource in resources
            for user in rng.sample(voters, rng.randrange(0, 8))
        ],
        batch_size=2000,
    )
    # Pairs every week (the history pairing learns from), a few absent this week.
    pairings = Pairing.objects.bulk_create(
        Pairing(week=week, seed=week.number, generated_by=facilitator) for week in weeks
    )
    groups = []
    for pairing in pairings:
        order = [user.pk for user in people]
        rng.shuffle(order)
        groups.extend(_groups(pairing, order))
    PairGroup.objects.bulk_create(groups, batch_size=2000)
    Attendance.objects.bulk_create(
        Attendance(week=weeks[-1], user=user, present=False, marked_by=facilitator)
        for user in people[-3:]
    )

    pdf_cohort = Cohort.objects.create(
        title="Performance report (PDF)",
        slug=PDF_SLUG,
        time_zone="Europe/Berlin",
        start_date=first,
        session_weekday=first.weekday(),
        session_time=clock(18, 0),
    )
    (pdf_week,) = pdf_cohort.create_weeks(1)
    Membership.objects.create(user=facilitator, cohort=pdf_cohort, role=Role.FACILITATOR)
    pdf_people = people[:60]
    Membership.objects.bulk_create(
        Membership(user=user, cohort=pdf_cohort, role=Role.PARTICIPANT) for user in pdf_people
    )
    PairPrompt.objects.bulk_create(
        PairPrompt(week=pdf_week, prompt=PROMPT, minutes=8, order=n) for n in range(1, 4)
    )
    DiscussionPoint.objects.bulk_create(
        DiscussionPoint(week=pdf_week, text=POINT, order=n) for n in range(1, 4)
    )
    pdf_pairing = Pairing.objects.create(week=pdf_week, seed=1, generated_by=facilitator)
    PairGroup.objects.bulk_create(_groups(pdf_pairing, [user.pk for user in pdf_people]))

    participant = people[len(people) // 3]
    week = weeks[-1]
    item = next(i for i in items if i.week_id == week.pk and i.order == 1)
    return Built(
        cohort=cohort,
        weeks=weeks,
        week=week,
        item=item,
        organizer=organizer,
        facilitator=facilitator,
        participant=participant,
        people=people,
        pdf_cohort=pdf_cohort,
        pdf_week=pdf_week,
    )


def _groups(pairing, order):
    groups = []
    for number, start in enumerate(range(0, len(order) - 1, 2), start=1):
        members = order[start : start + 2]
        if len(order) % 2 and start + 3 == len(order):
            members = order[start:]
        groups.append(PairGroup.from_members(pairing, number, members))
    return groups


# --- Bench-only views (never in the product's URLconf) ---------------------------------------


@csrf_exempt
@login_required
def minimal(request):
    """A signed-in view returning a short page: the least a request can cost."""
    return HttpResponse("<!doctype html><title>ok</title><p>Hello.</p>")


FLOOR_ROWS = {}  # cohort slug -> precomputed table, filled by precompute_floor()


def precompute_floor(cohort):
    """The progress table as plain values (each cell's attributes and content), computed
    once, in the same markup the progress page sends."""
    from assignments.views import progress_cell_html

    report = progress.cohort_report(cohort)
    rows = []
    for row in report.rows:
        cells = []
        for status in row.statuses:
            html = progress_cell_html(status)
            split = html.index(">")
            cells.append((mark_safe(html[3:split]), mark_safe(html[split + 1 : -5])))  # noqa: S308
        badges = " behind" if row.behind else ""
        rows.append((row.membership.user.display_name + badges, cells))
    FLOOR_ROWS[cohort.slug] = {"weeks": [w.number for w in report.weeks], "rows": rows}


@login_required
def floor(request, slug):
    """The floor: the same table from precomputed values, through base.html."""
    cohort = Cohort.objects.get(slug=slug)
    membership = Membership.objects.filter(cohort=cohort, user=request.user).first()
    access = CohortAccess(cohort=cohort, membership=membership)
    return render(
        request,
        "discussions/perf_floor.html",
        {"cohort": cohort, "access": access, **FLOOR_ROWS[slug]},
    )


def bench_urlpatterns():
    from config import urls

    return [
        path("__bench__/minimal/", minimal, name="bench_minimal"),
        path("__bench__/floor/<slug:slug>/", floor, name="bench_floor"),
        *urls.urlpatterns,
    ]
