"""A cohort with a week of pre-work and participants in every state; Slack played locally."""

import pytest
from django.utils import timezone

from assignments.models import Assignment, Completion, PreworkItem, Submission
from cohorts.models import Membership, Role
from notifications.tasks import dispatch_due
from tests.conftest import berlin_time

from .slack_standin import SlackStandIn


@pytest.fixture
def slack_standin(settings):
    standin = SlackStandIn().start()
    settings.SLACK_WEBHOOK_URL_PREFIXES = [f"{standin.base_url}/"]
    settings.SLACK_TIMEOUT_SECONDS = 1
    try:
        yield standin
    finally:
        standin.stop()


@pytest.fixture
def september_week(cohort):
    """Week 1 of the Berlin cohort (Thursdays 16:00): session Thu 3 Sep 2026, published a week
    before; reminders are due from Tue 1 Sep 16:00, the digest on Mon 31 Aug 09:00."""
    week = cohort.weeks.get(number=1)
    week.title = "Linear models"
    week.publish_at = berlin_time("2026-08-27 09:00")
    week.save()
    return week


@pytest.fixture
def prework(september_week):
    return {
        "video1": PreworkItem.objects.create(
            week=september_week,
            kind="video",
            title="Linear regression",
            url="https://videos.example.com/linreg",
            minutes=14,
            order=1,
        ),
        "video2": PreworkItem.objects.create(
            week=september_week,
            kind="video",
            title="Gradient descent",
            url="https://videos.example.com/gd",
            minutes=11,
            order=2,
        ),
        "optional": PreworkItem.objects.create(
            week=september_week,
            kind="reading",
            title="Extra reading",
            minutes=20,
            order=3,
            required=False,
        ),
        "assignment": Assignment.objects.create(
            week=september_week, title="Notebook", due_at=september_week.session_start
        ),
    }


@pytest.fixture
def class_list(cohort, people, prework, make_user):
    """Participants in every state for week 1:

    - par: nothing done → reminder (all of it)
    - bea: one video left → reminder (one video)
    - ada: everything done → no reminder
    - cat: switched reminders off → no reminder
    - dan: left the cohort → no reminder
    plus the organizer and facilitator (never reminded: they are not participants).
    """
    users = {"par": people["participant"]}
    # All of them members since before the cohort began, like par.
    joined = Membership.objects.get(user=users["par"], cohort=cohort).joined_at
    for key, name in [("ada", "Ada"), ("bea", "Bea"), ("cat", "Cat"), ("dan", "Dan")]:
        users[key] = make_user(f"{key}@example.com", name)
        Membership.objects.create(
            user=users[key], cohort=cohort, role=Role.PARTICIPANT, joined_at=joined
        )
    Membership.objects.filter(user=users["cat"]).update(reminders_opt_out=True)
    Membership.objects.filter(user=users["dan"]).update(left_at=timezone.now())
    for item in ("video1", "video2"):
        Completion.objects.create(user=users["ada"], item=prework[item])
    Submission.objects.create(assignment=prework["assignment"], user=users["ada"], link="x")
    Completion.objects.create(user=users["bea"], item=prework["video1"])
    Submission.objects.create(assignment=prework["assignment"], user=users["bea"], link="x")
    return users


@pytest.fixture
def run_dispatch(django_capture_on_commit_callbacks):
    """Beat's dispatch task, with what it queues after commit run (eagerly) too."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return dispatch_due()

    return run


@pytest.fixture
def no_survey_emails(cohort):
    """The cohort's after-session survey emails switched off, for tests about what else
    dispatch sends once a session has ended."""
    from discussions.models import SurveySettings

    SurveySettings.objects.create(cohort=cohort, prompts=False)
