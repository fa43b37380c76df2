"""User Markdown is a bounded input, rendered once on save: the worst texts answer a clear
4xx from every form that takes Markdown (never a 500, never minutes), pages show the stored
HTML without rendering anything, and rows saved before the HTML was stored get it."""

import signal
from contextlib import contextmanager
from datetime import time, timedelta

import markdown as python_markdown
import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, PreworkItem, Submission
from cohorts.markdown import LONG_TEXT, MAX_NESTING, SHORT_TEXT, render_markdown
from cohorts.models import JoinLink
from curriculum.course_file import parse_course
from discussions import pairing
from discussions.models import DiscussionPoint, PairPrompt, SessionSettings

BRACKETS = "[" * 10_000
NESTED_LIST = "".join("    " * level + "- item\n" for level in range(300))
ONE_MEGABYTE = "All work and no play. " * 48_000
GUARD_SECONDS = 10  # generous: each of these takes well under a second


class TooSlow(Exception):
    pass


@contextmanager
def finishes_within(seconds):
    """Fail instead of hanging when the code inside runs past `seconds` (wall clock)."""

    def interrupt(signum, frame):
        raise TooSlow(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def week(cohort):
    week = cohort.weeks.get(number=1)
    week.publish_at = timezone.now() - timedelta(days=6)
    week.session_start = timezone.now() - timedelta(hours=1)
    week.save()
    return week


@pytest.fixture
def submission(week, people):
    assignment = Assignment.objects.create(
        week=week, title="Fit a line", due_at=week.session_start, submission_kind="text"
    )
    return Submission.objects.create(assignment=assignment, user=people["participant"], body="y")


def markdown_forms(week, submission):
    """(name, url, data without the Markdown, Markdown field, its limit) for every form."""
    slug, number = week.cohort.slug, week.number
    session_start = timezone.localtime(week.session_start, week.cohort.tz)
    return [
        (
            "cohort settings",
            reverse("cohorts:manage_settings", args=[slug]),
            {
                "title": "Machine Learning",
                "time_zone": "Europe/Berlin",
                "start_date": "2026-09-01",
                "session_weekday": "3",
                "session_time": "16:00",
                "session_minutes": "90",
                "status": "active",
            },
            "description",
            LONG_TEXT,
        ),
        (
            "week",
            reverse("cohorts:manage_week", args=[slug, number]),
            {"title": "Linear models", "session_start": f"{session_start:%Y-%m-%dT%H:%M}"},
            "summary",
            LONG_TEXT,
        ),
        (
            "pre-work item",
            reverse("assignments:prework_editor", args=[slug, number]),
            {"action": "add", "item-kind": "video", "item-title": "Intro", "item-minutes": "5"},
            "item-notes",
            SHORT_TEXT,
        ),
        (
            "assignment",
            reverse("assignments:assignment_create", args=[slug, number]),
            {"title": "Fit a line", "submission_kind": "link"},
            "instructions",
            LONG_TEXT,
        ),
        (
            "feedback on a hand-in",
            reverse("assignments:feedback", args=[slug, submission.pk]),
            {},
            "feedback",
            LONG_TEXT,
        ),
        (
            "facilitator notes",
            reverse("discussions:facilitator_notes", args=[slug, number]),
            {},
            "notes-facilitator_notes",
            LONG_TEXT,
        ),
        (
            "discussion point",
            reverse("discussions:point_add", args=[slug, number]),
            {},
            "point-text",
            SHORT_TEXT,
        ),
        (
            "pair prompt",
            reverse("discussions:prompt_add", args=[slug, number]),
            {"prompt-minutes": "5"},
            "prompt-prompt",
            SHORT_TEXT,
        ),
    ]


WORST = {
    "10 KB of [": BRACKETS,
    "a list nested 300 levels": NESTED_LIST,
    "1 MB of text": ONE_MEGABYTE,
}


@pytest.mark.django_db
@pytest.mark.parametrize("text_name", WORST)
def test_every_markdown_form_answers_the_worst_texts_quickly_and_clearly(
    text_name, week, submission, people, client_for
):
    text = WORST[text_name]
    client = client_for(people["organizer"])
    for name, url, data, field, limit in markdown_forms(week, submission):
        with finishes_within(GUARD_SECONDS):
            response = client.post(url, {**data, field: text})
        page = response.content.decode()
        if len(text) > limit:
            assert response.status_code == 400, name
            assert f"at most {limit} characters" in page, name
        elif text is NESTED_LIST:
            assert response.status_code == 400, name
            assert f"nested at most {MAX_NESTING} levels deep" in page, name
        else:  # ten thousand brackets are harmless text: saved, and shown as typed
            assert response.status_code == 302, (name, response.status_code)


@pytest.mark.django_db
def test_brackets_are_saved_and_shown_as_typed(week, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("cohorts:manage_week", args=[week.cohort.slug, week.number])
    start = timezone.localtime(week.session_start, week.cohort.tz)
    with finishes_within(GUARD_SECONDS):
        response = client.post(
            url,
            {
                "title": "Linear models",
                "summary": BRACKETS,
                "session_start": f"{start:%Y-%m-%dT%H:%M}",
            },
        )
    assert response.status_code == 302
    week.refresh_from_db()
    assert week.summary_html == f"<p>{BRACKETS}</p>"
    page = client.get(week.get_absolute_url()).content.decode()
    assert BRACKETS in page


@pytest.mark.django_db
def test_twenty_levels_of_nesting_are_fine_twenty_one_are_refused(week, people, client_for):
    client = client_for(people["facilitator"])
    url = reverse("discussions:facilitator_notes", args=[week.cohort.slug, week.number])

    def nested(levels):
        return "".join("    " * level + f"- level {level + 1}\n" for level in range(levels))

    assert client.post(url, {"notes-facilitator_notes": nested(MAX_NESTING)}).status_code == 302
    week.refresh_from_db()
    assert week.facilitator_notes_html.count("<ul>") == MAX_NESTING
    refused = client.post(url, {"notes-facilitator_notes": nested(MAX_NESTING + 1)})
    assert refused.status_code == 400
    assert "Lists and quotes can be nested at most 20 levels deep" in refused.content.decode()
    week.refresh_from_db()
    assert week.facilitator_notes_html.count("<ul>") == MAX_NESTING  # unchanged


@pytest.mark.django_db
def test_a_course_file_with_text_over_the_limits_is_refused_with_its_place():
    course, problems = parse_course(
        "homeroom_course: 1\n"
        "title: Too long\n"
        "weeks:\n"
        f"  - title: One\n    summary: {'x' * (LONG_TEXT + 1)}\n"
        f"    discussion_points:\n      - {'y' * (SHORT_TEXT + 1)}\n"
        f"    pair_prompts:\n      - prompt: {'z' * (SHORT_TEXT + 1)}\n"
    )
    assert course is None
    messages = [str(problem) for problem in problems]
    assert f"line 5, weeks[1].summary: is longer than {LONG_TEXT} characters" in messages
    assert (
        f"line 7, weeks[1].discussion_points[1]: is longer than {SHORT_TEXT} characters" in messages
    )
    assert f"line 9, weeks[1].pair_prompts[1].prompt: is longer than {SHORT_TEXT} characters" in (
        messages
    )


# --- Pages show what was stored ---------------------------------------------------------------


@pytest.fixture
def conversions(monkeypatch):
    """Counts every Markdown conversion, whichever instance makes it."""
    calls = []
    original = python_markdown.Markdown.convert

    def counting(self, source):
        calls.append(source)
        return original(self, source)

    monkeypatch.setattr(python_markdown.Markdown, "convert", counting)
    return calls


@pytest.mark.django_db
def test_pages_show_stored_html_and_render_no_markdown(
    week, submission, people, client_for, conversions
):
    cohort = week.cohort
    cohort.description = "A course about **models**."
    cohort.save()
    week.summary = "This week: **linear** models."
    week.facilitator_notes = "Watch the *clock*."
    week.save()
    PreworkItem.objects.create(week=week, title="Lecture", notes="Skip to `12:00`.")
    Assignment.objects.filter(pk=submission.assignment_id).update(instructions="Use *Python*.")
    submission.feedback = "Nice **fit**."
    submission.save()
    DiscussionPoint.objects.create(week=week, text="Why is it *linear*?")
    PairPrompt.objects.create(week=week, prompt="Explain **bias**.")
    SessionSettings.set_points_visible(week, True)
    pairing.generate(week, seed=1)
    assert len(conversions) == 8  # each text once, when it was saved

    conversions.clear()
    slug, number = cohort.slug, week.number
    participant = client_for(people["participant"])
    week_page = participant.get(week.get_absolute_url()).content.decode()
    for html in [
        "<strong>linear</strong>",
        "<code>12:00</code>",
        "Use <em>Python</em>.",
        "Nice <strong>fit</strong>",
        "Why is it <em>linear</em>?",
    ]:
        assert html in week_page
    assert "<strong>models</strong>" in participant.get(cohort.get_absolute_url()).content.decode()
    facilitator = client_for(people["facilitator"])
    for name in ["session", "pairs_print", "timer"]:
        page = facilitator.get(reverse(f"discussions:{name}", args=[slug, number])).content.decode()
        assert "Explain <strong>bias</strong>." in page, name
    guide = facilitator.get(reverse("discussions:guide", args=[slug])).content.decode()
    assert "Watch the <em>clock</em>." in guide
    link = JoinLink.objects.create(cohort=cohort)
    join_page = client_for(None).get(link.get_absolute_url()).content.decode()
    assert "<strong>models</strong>" in join_page
    assert conversions == []


@pytest.mark.django_db
def test_bulk_writes_store_the_html_too(week):
    DiscussionPoint.objects.bulk_create([DiscussionPoint(week=week, text="**a**", order=1)])
    assert DiscussionPoint.objects.get().text_html == "<p><strong>a</strong></p>"
    PairPrompt.objects.bulk_create([PairPrompt(week=week, prompt="*b*", order=1)])
    prompt = PairPrompt.objects.get()
    prompt.prompt = "*c*"
    PairPrompt.objects.bulk_update([prompt], ["prompt"])
    assert PairPrompt.objects.get().prompt_html == "<p><em>c</em></p>"
    week.cohort.weeks.filter(pk=week.pk).update(summary="`d`")
    week.refresh_from_db()
    assert week.summary_html == "<p><code>d</code></p>"
    week.summary = "e"
    week.save(update_fields=["summary"])
    week.refresh_from_db()
    assert week.summary_html == "<p>e</p>"


# --- Rows saved before the HTML was stored -----------------------------------------------------

APPS = ("cohorts", "assignments", "discussions")


def _before_html(loader):
    """Per app, the migration just before the one that adds the HTML columns."""
    targets = []
    for app in APPS:
        (name,) = [
            name
            for label, name in loader.disk_migrations
            if label == app and name.endswith("markdown_html_beside_source")
        ]
        (parent,) = [p.key for p in loader.graph.node_map[(app, name)].parents if p.key[0] == app]
        targets.append(parent)
    return targets


@pytest.mark.django_db(transaction=True)
def test_migration_fills_the_html_of_existing_rows():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    old = _before_html(executor.loader)
    try:
        executor.migrate(old)
        apps = executor.loader.project_state(old).apps
        user = apps.get_model("cohorts", "User").objects.create(email="old@example.com")
        cohort = apps.get_model("cohorts", "Cohort").objects.create(
            title="Old",
            slug="old",
            description="An **old** cohort",
            start_date="2025-01-06",
            session_weekday=0,
            session_time="10:00",
        )
        week = apps.get_model("cohorts", "Week").objects.create(
            cohort=cohort,
            number=1,
            title="One",
            summary="*summary*",
            facilitator_notes="<script>alert(1)</script>notes",
            session_start=timezone.now(),
        )
        apps.get_model("assignments", "PreworkItem").objects.create(
            week=week, title="Video", notes="[link](https://example.com)"
        )
        assignment = apps.get_model("assignments", "Assignment").objects.create(
            week=week, title="Task", instructions="- a\n- b", due_at=timezone.now()
        )
        apps.get_model("assignments", "Submission").objects.create(
            assignment=assignment, user=user, feedback="`ok`"
        )
        apps.get_model("discussions", "DiscussionPoint").objects.create(week=week, text="# Point")
        apps.get_model("discussions", "PairPrompt").objects.create(week=week, prompt="**Prompt**")
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    apps = executor.loader.project_state(latest).apps

    def stored(app, model, field):
        return apps.get_model(app, model).objects.values_list(field, flat=True).get()

    assert (
        stored("cohorts", "Cohort", "description_html") == "<p>An <strong>old</strong> cohort</p>"
    )
    assert stored("cohorts", "Week", "summary_html") == "<p><em>summary</em></p>"
    assert stored("cohorts", "Week", "facilitator_notes_html").strip() == "<p>notes</p>"
    assert stored("assignments", "PreworkItem", "notes_html") == str(
        render_markdown("[link](https://example.com)")
    )
    assert "<li>b</li>" in stored("assignments", "Assignment", "instructions_html")
    assert stored("assignments", "Submission", "feedback_html") == "<p><code>ok</code></p>"
    assert stored("discussions", "DiscussionPoint", "text_html") == "<h1>Point</h1>"
    assert stored("discussions", "PairPrompt", "prompt_html") == "<p><strong>Prompt</strong></p>"


@pytest.mark.django_db
def test_a_cohort_made_from_a_course_file_has_its_html_stored(people):
    course, problems = parse_course(
        "homeroom_course: 1\n"
        "title: Stored\n"
        "description: The **course**\n"
        "weeks:\n"
        "  - title: One\n"
        "    summary: '*summary*'\n"
        "    facilitator_notes: '`notes`'\n"
        "    prework:\n"
        "      - title: Video\n        notes: '**watch**'\n"
        "    assignments:\n"
        "      - title: Task\n        instructions: '# Do'\n"
        "    discussion_points:\n      - '*point*'\n"
        "    pair_prompts:\n      - '**prompt**'\n"
    )
    assert problems == []
    cohort = course.create(
        course.new_run(
            start_date=timezone.localdate(), session_weekday=0, session_time=time(10, 0)
        ),
        people["organizer"],
    )
    week = cohort.weeks.get()
    assert cohort.description_html == "<p>The <strong>course</strong></p>"
    assert (week.summary_html, week.facilitator_notes_html) == (
        "<p><em>summary</em></p>",
        "<p><code>notes</code></p>",
    )
    assert week.prework_items.get().notes_html == "<p><strong>watch</strong></p>"
    assert week.assignments.get().instructions_html == "<h1>Do</h1>"
    assert week.discussion_points.get().text_html == "<p><em>point</em></p>"
    assert week.pair_prompts.get().prompt_html == "<p><strong>prompt</strong></p>"
