"""Survey prompts: after a session, one email with one-tap ratings to each participant who
was there; the link's GET saves nothing, the POST saves once; results, CSV, last run."""

import csv
import io
import re
from datetime import date, datetime, timedelta
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from cohorts.models import Membership, Role
from curriculum.course import Course
from curriculum.course_file import parse_course
from discussions import survey
from discussions.digest import survey_line
from discussions.models import Attendance, Feedback, SurveySettings
from notifications import preferences
from notifications.models import Delivery
from notifications.tasks import dispatch_due
from tests.conftest import NEW_YORK, berlin_time, text_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_dispatch(django_capture_on_commit_callbacks):
    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return dispatch_due()

    return run


def join(cohort, make_user, name, role=Role.PARTICIPANT):
    user = make_user(f"{name.lower()}@example.com", name)
    Membership.objects.create(
        user=user, cohort=cohort, role=role, joined_at=datetime(2026, 8, 1, tzinfo=NEW_YORK)
    )
    return user


@pytest.fixture
def held(cohort, people, make_user):
    """Week 1 of the Berlin cohort (Thu 3 Sep 2026, 16:00–17:30), published; par, ada and bea
    are participants, bea was marked absent."""
    week = cohort.weeks.get(number=1)
    week.publish_at = berlin_time("2026-08-27 09:00")
    week.save()
    users = {"par": people["participant"]}
    for name in ("Ada", "Bea"):
        users[name.lower()] = join(cohort, make_user, name)
    Attendance.objects.create(week=week, user=users["bea"], present=False)
    return week, users


def surveys(inbox):
    return {
        to: [m for m in messages if "How was" in m["Subject"] or "how was" in m["Subject"]]
        for to, messages in inbox().items()
    }


def links_in(message):
    return re.findall(r"https://homeroom\.example\.com(/survey/[^\s]+)", text_of(message))


def test_prompt_goes_when_the_session_ends_to_those_present_once(
    held, smtp_inbox, time_machine, run_dispatch
):
    week, users = held
    time_machine.move_to(berlin_time("2026-09-03 17:29"))
    run_dispatch()
    assert surveys(smtp_inbox) == {}

    time_machine.move_to(berlin_time("2026-09-03 17:30"))
    run_dispatch()
    run_dispatch()
    got = {to: len(m) for to, m in surveys(smtp_inbox).items() if m}
    # bea was absent; organizer and facilitator are not asked.
    assert got == {"par@example.com": 1, "ada@example.com": 1}
    [message] = surveys(smtp_inbox)["par@example.com"]
    assert message["Subject"] == "How was Week 1? · Machine Learning"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "until Thu 10 Sep 2026, 16:00 (Europe/Berlin)" in text_of(message)
    links = links_in(message)
    assert len(links) == 4 * 5 + 1  # four questions, 1–5 each, and the form
    assert {link.split("?")[1] for link in links[:5]} == {f"logistics={n}" for n in range(1, 6)}
    # The delivery log keeps the email without the personal links.
    stored = Delivery.objects.get(recipient="par@example.com", kind="survey")
    assert "/survey/" not in stored.body_text and "/survey/" not in stored.body_html
    assert survey.REDACTED in stored.body_text


def test_prompt_timing_on_new_yorks_clock(other_cohort, make_user, smtp_inbox, time_machine):
    # The Statistics cohort meets Tuesdays 12:00 in New York: week 1 on Tue 1 Sep 2026.
    week = other_cohort.weeks.get(number=1)
    week.publish_at = datetime(2026, 8, 25, 9, tzinfo=NEW_YORK)
    week.save()
    join(other_cohort, make_user, "Nia")

    def run_at(moment):
        time_machine.move_to(moment)
        dispatch_due()

    run_at(datetime(2026, 9, 1, 13, 29, tzinfo=NEW_YORK))
    assert not Delivery.objects.filter(kind="survey").exists()
    run_at(datetime(2026, 9, 1, 13, 30, tzinfo=NEW_YORK))
    [row] = Delivery.objects.filter(kind="survey")
    assert row.recipient == "nia@example.com"
    # Open until the next session starts (Tue 8 Sep, 12:00 in New York).
    assert row.expires_at == datetime(2026, 9, 8, 12, tzinfo=NEW_YORK)


def test_a_rating_link_get_saves_nothing_the_post_saves_once(
    held, smtp_inbox, time_machine, run_dispatch
):
    week, users = held
    time_machine.move_to(berlin_time("2026-09-03 17:30"))
    run_dispatch()
    [message] = surveys(smtp_inbox)["par@example.com"]
    overall_4 = next(link for link in links_in(message) if link.endswith("overall=4"))

    client = Client()  # signed out: the token is the key
    page = client.get(overall_4)
    assert page.status_code == 200
    html = page.content.decode()
    assert "How was Week 1" in html
    assert re.search(
        r'value="4"[^>]*name="feedback-overall"[^>]*checked|'
        r'name="feedback-overall" value="4"[^>]*checked',
        html,
    )
    assert "Not saved yet" in html
    assert not Feedback.objects.exists()

    form_url = overall_4.split("?")[0]
    answers = {
        "feedback-logistics": "5",
        "feedback-content_quality": "4",
        "feedback-content_relevance": "3",
        "feedback-overall": "4",
        "feedback-comment": "More pairs, please",
    }
    saved = client.post(form_url, answers)
    assert saved.status_code == 200
    assert "your answers are saved" in saved.content.decode()
    client.post(form_url, {**answers, "feedback-overall": "5"})  # a change of mind
    [feedback] = Feedback.objects.all()
    assert (feedback.user, feedback.week, feedback.overall) == (users["par"], week, 5)
    assert feedback.comment == "More pairs, please"

    # Answered: no reminder for par; ada, who has not, gets exactly one.
    time_machine.move_to(berlin_time("2026-09-05 17:30"))
    run_dispatch()
    run_dispatch()
    nudges = Delivery.objects.filter(kind="survey_nudge")
    assert [(d.recipient, d.status) for d in nudges] == [("ada@example.com", "sent")]
    [nudge] = [m for m in smtp_inbox()["ada@example.com"] if m["Subject"].startswith("Reminder")]
    assert nudge["Subject"] == "Reminder: how was Week 1? · Machine Learning"


def test_bad_survey_links_save_nothing(held, people, time_machine):
    week, users = held
    time_machine.move_to(berlin_time("2026-09-03 18:00"))
    good = reverse("survey", args=[survey.token(week, users["par"].pk)])
    answers = {f"feedback-{name}": "3" for name in ("logistics", "content_quality")}
    answers |= {"feedback-content_relevance": "3", "feedback-overall": "3"}

    tampered = good[:-3] + "xx/"
    response = Client().post(tampered, answers)
    assert response.status_code == 400
    assert "not valid" in response.content.decode()

    someone_else = Client()
    someone_else.force_login(users["ada"])
    response = someone_else.post(good, answers)
    assert response.status_code == 403
    assert "sent to someone else" in response.content.decode()

    time_machine.move_to(berlin_time("2026-09-10 16:00"))  # the next session has started
    response = Client().post(good, answers)
    assert response.status_code == 410
    assert "closed" in response.content.decode()

    time_machine.move_to(berlin_time("2026-09-03 18:00") + survey.TOKEN_MAX_AGE + timedelta(1))
    response = Client().post(good, answers)
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Feedback.objects.exists()


def test_switches_per_cohort_and_per_member(
    held, cohort, people, client_for, time_machine, run_dispatch
):
    week, users = held
    organizer = client_for(people["organizer"])
    organizer.post(reverse("discussions:survey_settings", args=[cohort.slug]), {"nudge": "on"})
    assert (SurveySettings.of(cohort).prompts, SurveySettings.of(cohort).nudge) == (False, True)
    time_machine.move_to(berlin_time("2026-09-03 17:31"))
    run_dispatch()
    assert not Delivery.objects.filter(kind="survey").exists()

    SurveySettings.objects.filter(cohort=cohort).update(prompts=True)
    ada = Membership.objects.get(user=users["ada"])
    preferences.switch(ada, "survey", False)
    run_dispatch()
    assert list(Delivery.objects.filter(kind="survey").values_list("recipient", flat=True)) == [
        "par@example.com"
    ]


class Table(HTMLParser):
    """The results table's cells, row by row (header row first)."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell, self.inside = [], None, False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("td", "th"):
            self.cell = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("td", "th") and self.cell is not None:
            self.rows[-1].append(self.cell.strip())
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data


def rate(week, user, overall, others=4):
    Feedback.objects.create(
        week=week,
        user=user,
        logistics=others,
        content_quality=others,
        content_relevance=others,
        overall=overall,
    )


def test_results_csv_equals_the_page_and_shows_the_last_run(
    held, cohort, people, make_user, client_for, time_machine
):
    week, users = held
    rate(week, users["par"], 5)
    rate(week, users["ada"], 2, others=3)
    course = Course.from_cohort(cohort)
    copy = course.create(
        course.new_run(title="ML again", start_date=date(2026, 9, 1)), people["organizer"]
    )
    assert SurveySettings.of(copy).previous_run == cohort
    copy_week = copy.weeks.get(number=1)
    Membership.objects.create(
        user=users["bea"], cohort=copy, joined_at=datetime(2026, 8, 1, tzinfo=NEW_YORK)
    )
    rate(copy_week, users["bea"], 4)

    time_machine.move_to(berlin_time("2026-09-04 12:00"))
    client = client_for(people["organizer"])
    page = client.get(reverse("discussions:feedback_results", args=[copy.slug]))
    table = Table()
    table.feed(page.content.decode())
    header, first = table.rows[0], table.rows[1]
    assert header == [
        "Session",
        "Responses",
        "Asked",
        "Response rate",
        "Logistics",
        "Quality",
        "Relevance",
        "Overall",
        "Last run: responses",
        "Last run: Logistics",
        "Last run: Quality",
        "Last run: Relevance",
        "Last run: Overall",
    ]
    assert first == [
        "Week 1",
        "1",
        "1",
        "100%",
        "4.0",
        "4.0",
        "4.0",
        "4.0",
        "2",
        "3.5",
        "3.5",
        "3.5",
        "3.5",
    ]

    response = client.get(reverse("discussions:feedback_csv", args=[copy.slug]))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == table.rows

    # The original run: two of the two present answered (bea was absent).
    page = client.get(reverse("discussions:feedback_results", args=[cohort.slug]))
    table = Table()
    table.feed(page.content.decode())
    assert table.rows[1][:8] == ["Week 1", "2", "2", "100%", "3.5", "3.5", "3.5", "3.5"]
    assert "Last run" not in table.rows[0][-1]


def test_a_run_made_from_an_exported_file_compares_with_its_source_for_its_organizers(
    held, cohort, people, make_user
):
    week, users = held
    rate(week, users["par"], 5)
    text = Course.from_cohort(cohort).to_yaml()
    assert "\nrun: " in text

    def import_as(user, file_text):
        course, problems = parse_course(file_text)
        assert problems == []
        new = course.create(course.new_run(title="ML again", start_date=date(2027, 1, 4)), user)
        return SurveySettings.of(new).previous_run

    # The organizer of the run the file came from sees it beside the new run.
    assert import_as(people["organizer"], text) == cohort
    # Someone who holds the file but was not in that run does not.
    stranger = make_user("stranger@example.com", "Sam Stranger")
    assert import_as(stranger, text) is None
    # An edited `run`, or none, names no run (and the file still imports).
    edited = re.sub(r"(?m)^run: .*$", "run: 1:forged", text)
    assert import_as(people["organizer"], edited) is None
    without = re.sub(r"(?m)^run: .*\n", "", text)
    assert import_as(people["organizer"], without) is None


def test_the_digest_says_the_last_surveys_response_rate(held, cohort, time_machine):
    week, users = held
    rate(week, users["par"], 5)
    time_machine.move_to(berlin_time("2026-09-07 09:00"))
    assert survey_line(cohort, cohort.weeks.get(number=2), berlin_time("2026-09-07 09:00")) == (
        "Survey for Week 1: 1 of 2 answered (50%)"
    )


def test_the_results_page_takes_the_same_queries_however_many_people(
    held, cohort, people, make_user, client_for
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    week, users = held
    rate(week, users["par"], 5)
    client = client_for(people["organizer"])
    path = reverse("discussions:feedback_results", args=[cohort.slug])

    def count():
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            client.get(path)
        return len(captured)

    before = count()
    for n in range(12):
        user = join(cohort, make_user, f"Extra{n}")
        rate(week, user, 3)
    assert count() == before
