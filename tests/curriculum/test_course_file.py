"""Course files: a cohort's curriculum as YAML, and cohorts created from one."""

import textwrap
from datetime import date, time

import pytest
import yaml
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from assignments.models import Assignment, PreworkItem
from cohorts.models import Cohort, Membership, Role, Week
from curriculum.course import Course, sign_run
from curriculum.course_file import parse_course
from discussions.models import DiscussionPoint, PairPrompt

from .conftest import curriculum_snapshot

pytestmark = pytest.mark.django_db


def rows():
    models = (Cohort, Week, Membership, PreworkItem, Assignment, DiscussionPoint, PairPrompt)
    return {model.__name__: model.objects.count() for model in models}


def test_round_trip_export_import_gives_an_equal_curriculum(course_cohort, make_user):
    text = Course.from_cohort(course_cohort).to_yaml()
    course, problems = parse_course(text)
    assert problems == []
    run = course.new_run(title="Autumn ML again", start_date=date(2027, 10, 18))
    assert (run.time_zone, run.session_weekday, run.session_time) == (
        "Europe/Berlin",
        0,
        time(18, 0),
    )
    again = course.create(run, make_user("olga@example.com"))
    assert curriculum_snapshot(again) == curriculum_snapshot(course_cohort)
    assert (again.description, again.location, again.session_minutes) == (
        course_cohort.description,
        course_cohort.location,
        course_cohort.session_minutes,
    )
    # And the file it exports is the file it came from, but for the run it names.
    assert sign_run(course_cohort.pk) in text
    assert Course.from_cohort(again).to_yaml() == text.replace(
        "Autumn ML", "Autumn ML again", 1
    ).replace(sign_run(course_cohort.pk), sign_run(again.pk))


def test_round_trip_into_another_zone_and_weekday(course_cohort, make_user):
    course, _ = parse_course(Course.from_cohort(course_cohort).to_yaml())
    run = course.new_run(
        title="Tokyo",
        time_zone="Asia/Tokyo",
        start_date=date(2027, 3, 1),
        session_weekday=3,
        session_time=time(19, 30),
    )
    again = course.create(run, make_user("olga@example.com"))
    assert curriculum_snapshot(again) == curriculum_snapshot(course_cohort)
    assert again.local(again.weeks.first().session_start).strftime("%a %H:%M") == "Thu 19:30"


def test_the_file_is_plain_yaml_with_times_relative_to_the_session(course_cohort):
    text = Course.from_cohort(course_cohort).to_yaml()
    assert text.startswith("# Homeroom course file")
    data = yaml.safe_load(text)
    assert data["homeroom_course"] == 1
    assert data["schedule"] == {
        "kind": "weekly",
        "unit": "Week",
        "time_zone": "Europe/Berlin",
        "weekday": "Monday",
        "time": "18:00",
        "minutes": 90,
        "location": "Room 4.12",
    }
    week = data["weeks"][0]
    assert week["publish"] == "session - 7d 09:00"
    assert [a["due"] for a in week["assignments"]] == ["session - 2d 18:00", "session"]
    assert "publish" not in data["weeks"][3]
    # Markdown reads as Markdown: literal blocks, not escaped strings.
    assert "  summary: |-\n    Week 1: read, watch, *think*.\n\n    - one\n" in text
    # Nothing about people.
    for word in ("pat@", "olga@", "Gradients?", "A great post"):
        assert word not in text


def test_export_page(course_cohort, group_traces, client_for):
    client = client_for(group_traces["organizer"])
    response = client.get(reverse("curriculum:course_file", args=[course_cohort.slug]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    assert 'filename="autumn-ml.course.yaml"' in response["Content-Disposition"]
    assert parse_course(response.content.decode())[1] == []
    participant = client_for(group_traces["pat"])
    assert (
        participant.get(reverse("curriculum:course_file", args=[course_cohort.slug])).status_code
        == 403
    )


# --- Problems, with where they are ------------------------------------------------------------

BROKEN = textwrap.dedent(
    """\
    homeroom_course: 1
    title: Broken course
    schedule:
      time_zone: Europe/Atlantis
      weekday: Funday
      time: 25:00
      minutes: 5
    weeks:
      - title: Fine week
        prework:
          - title: A video
            url: https://example.com/ok
      - summary: no title here
        publish: next tuesday
        prework:
          - title: Not a link
            url: notaurl
            minutes: lots
            required: maybe
          - kind: podcast
            title: ""
        assignments:
          - title: Notebook
            due: session - 2d 18:99
            submission: carrier pigeon
        pair_prompts:
          - prompt: Explain it
            minutes: 90
          - minutes: 5
        discussion_points:
          - ""
          - {a: b}
        colour: blue
    """
)


def test_a_broken_file_lists_every_problem_with_its_line():
    course, problems = parse_course(BROKEN)
    assert course is None
    found = [(p.line, p.path, p.message.split(";")[0]) for p in problems]
    assert found == [
        (4, "schedule.time_zone", "“Europe/Atlantis” is not a time zone such as Europe/Berlin"),
        (
            5,
            "schedule.weekday",
            "“Funday” is not one of: monday, tuesday, wednesday, thursday, friday, saturday, sunday",
        ),
        (6, "schedule.time", '“25:00” is not a time of day such as 18:30 (quote it: "18:30")'),
        (7, "schedule.minutes", "“5” is not a whole number from 15 to 480"),
        (13, "weeks[2].title", "is missing"),
        (14, "weeks[2].publish", "“next tuesday” is not a time relative to the session"),
        (17, "weeks[2].prework[1].url", "“notaurl” is not a web address (http:// or https://)"),
        (18, "weeks[2].prework[1].minutes", "“lots” is not a whole number from 0 to 600"),
        (19, "weeks[2].prework[1].required", "“maybe” is not true or false"),
        (20, "weeks[2].prework[2].kind", "“podcast” is not one of: video, reading, exercise"),
        (21, "weeks[2].prework[2].title", "is empty"),
        (24, "weeks[2].assignments[1].due", "“18:99” is not a time of day"),
        (
            25,
            "weeks[2].assignments[1].submission",
            "“carrier pigeon” is not one of: link, text, done",
        ),
        (28, "weeks[2].pair_prompts[1].minutes", "“90” is not a whole number from 1 to 60"),
        (29, "weeks[2].pair_prompts[2].prompt", "is missing"),
        (31, "weeks[2].discussion_points[1]", "is empty"),
        (32, "weeks[2].discussion_points[2]", "should be text (Markdown)"),
        (33, "weeks[2].colour", "unknown key"),
    ]
    assert str(problems[6]) == (
        "line 17, weeks[2].prework[1].url: “notaurl” is not a web address (http:// or https://)"
    )


@pytest.mark.parametrize(
    ("text", "line", "path", "message"),
    [
        ("", 1, "", "not a Homeroom course file"),
        ("- just\n- a list\n", 1, "", "not a Homeroom course file"),
        ("title: X\nweeks:\n  - title: A\n", 1, "homeroom_course", "is missing"),
        ("homeroom_course: 2\ntitle: X\nweeks: [{title: A}]\n", 1, "homeroom_course", "format 2"),
        ("homeroom_course: 1\ntitle: X\nweeks: []\n", 3, "weeks", "is empty"),
        ("homeroom_course: 1\ntitle: X\n", 1, "weeks", "is missing"),
        ("homeroom_course: 1\ntitle: X\nweeks: nope\n", 3, "weeks", "should be a list"),
        (
            "homeroom_course: 1\ntitle: X\nweeks:\n  - just a title\n",
            4,
            "weeks[1]",
            "should be a mapping",
        ),
        (
            "homeroom_course: 1\ntitle: X\ntitle: Y\nweeks: [{title: A}]\n",
            3,
            "title",
            "appears twice",
        ),
        ("homeroom_course: 1\ntitle: [X]\nweeks: [{title: A}]\n", 2, "title", "single value"),
        (
            "homeroom_course: 1\ntitle: X\nweeks:\n  - title: A\n   bad: indent\n",
            5,
            "",
            "not valid YAML",
        ),
        ("homeroom_course: 1\ntitle: &t X\nweeks:\n  - title: *t\n", 4, "", "aliases"),
        ("homeroom_course: 1\n---\ntitle: X\n", 2, "", "not valid YAML"),
    ],
)
def test_structural_problems(text, line, path, message):
    course, problems = parse_course(text)
    assert course is None
    assert (problems[0].line, problems[0].path) == (line, path), problems
    assert message in problems[0].message


def test_times_may_be_written_unquoted_and_weekdays_in_any_case():
    course, problems = parse_course(
        "homeroom_course: 1\ntitle: X\nschedule: {weekday: THURSDAY, time: 16:00}\n"
        "weeks:\n  - title: A\n    pair_prompts: [Explain it]\n"
    )
    assert problems == []
    assert (course.session_weekday, course.session_time) == (3, time(16, 0))
    assert course.weeks[0].parts["discussions"].prompts[0].minutes == 5


# --- The import page ----------------------------------------------------------------------------


@pytest.fixture
def organizer(course_cohort, make_user):
    user = make_user("olga@example.com", "Olga Organizer")
    Membership.objects.create(user=user, cohort=course_cohort, role=Role.ORGANIZER)
    return user


def upload(client, text, name="course.yaml"):
    file = SimpleUploadedFile(name, text.encode("utf-8"), content_type="application/yaml")
    return client.post(reverse("course_import"), {"step": "upload", "file": file})


def test_import_a_file_preview_then_create(course_cohort, organizer, client_for):
    client = client_for(organizer)
    text = Course.from_cohort(course_cohort).to_yaml()
    checked = upload(client, text)
    assert checked.status_code == 200
    html = checked.content.decode()
    assert "4 weeks, and the file is valid" in html
    form = checked.context["form"]
    assert form.initial["title"] == "Autumn ML"
    assert form.initial["session_weekday"] == 0

    data = {
        "step": "run",
        "course": form.initial["course"],
        "title": "Autumn ML 2027",
        "time_zone": "Europe/Berlin",
        "start_date": "2027-10-18",
        "session_weekday": "0",
        "session_time": "18:00",
        "location": "Room 4.12",
    }
    before = rows()
    preview = client.post(reverse("course_import"), {**data, "action": "preview"})
    assert rows() == before
    assert "Mon 25 Oct 2027, 18:00" in preview.content.decode()  # week 2
    key = preview.context["preview_key"]
    created = client.post(
        reverse("course_import"), {**data, "action": "create", "preview_key": key}
    )
    new = Cohort.objects.get(title="Autumn ML 2027")
    assert created.status_code == 302 and created["Location"] == new.get_absolute_url()
    assert curriculum_snapshot(new) == curriculum_snapshot(course_cohort)
    assert list(new.memberships.values_list("user", "role")) == [(organizer.pk, Role.ORGANIZER)]


def test_pasted_text_with_browser_line_ends_works(course_cohort, organizer, client_for):
    text = Course.from_cohort(course_cohort).to_yaml().replace("\n", "\r\n")
    response = client_for(organizer).post(
        reverse("course_import"), {"step": "upload", "text": text}
    )
    assert "4 weeks, and the file is valid" in response.content.decode()


def test_a_broken_file_shows_located_problems_and_creates_nothing(organizer, client_for):
    before = rows()
    response = upload(client_for(organizer), BROKEN)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing was created: 18 problems in the file" in html
    assert (
        "Line 17</span> <code>weeks[2].prework[1].url</code>: “notaurl” is not a web address"
        in html
    )
    assert rows() == before


def test_a_tampered_run_step_is_checked_again(course_cohort, organizer, client_for):
    before = rows()
    response = client_for(organizer).post(
        reverse("course_import"),
        {
            "step": "run",
            "action": "create",
            "course": BROKEN,
            "title": "X",
            "time_zone": "UTC",
            "start_date": "2027-01-01",
            "session_weekday": "0",
            "session_time": "18:00",
        },
    )
    assert "Nothing was created" in response.content.decode()
    assert rows() == before
    # Pasted text comes back for fixing.
    assert response.context["upload_form"].initial["text"] == BROKEN


def test_a_file_that_is_not_text_or_too_big(organizer, client_for):
    client = client_for(organizer)
    latin1 = SimpleUploadedFile("c.yaml", "title: Café".encode("latin-1"))
    response = client.post(reverse("course_import"), {"step": "upload", "file": latin1})
    assert "not UTF-8 text" in response.content.decode()
    big = SimpleUploadedFile("c.yaml", b"#" * (1024 * 1024 + 1))
    response = client.post(reverse("course_import"), {"step": "upload", "file": big})
    assert "larger than 1 MB" in response.content.decode()
    response = client.post(reverse("course_import"), {"step": "upload"})
    assert "Choose a course file, or paste one." in response.content.decode()


def test_who_may_import(course_cohort, organizer, make_user, client_for):
    url = reverse("course_import")
    assert client_for(organizer).get(url).status_code == 200
    assert client_for(make_user("staff@example.com", staff=True)).get(url).status_code == 200
    participant = make_user("pat@example.com")
    Membership.objects.create(user=participant, cohort=course_cohort, role=Role.PARTICIPANT)
    assert client_for(participant).get(url).status_code == 403
    former = make_user("former@example.com")
    Membership.objects.create(
        user=former, cohort=course_cohort, role=Role.ORGANIZER, left_at=course_cohort.created_at
    )
    assert client_for(former).get(url).status_code == 403
    anonymous = client_for(None).get(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
