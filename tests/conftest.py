"""Shared fixtures: people and a cohort in each role."""

import socket
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from aiosmtpd.controller import Controller
from allauth.account.models import EmailAddress

from cohorts.models import Cohort, Membership, Role, User

PASSWORD = "correct-horse-battery-staple"

# The time zones the tests' cohorts live in (the `cohort` fixture is on Berlin's clock).
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def berlin_time(text):
    """An aware datetime: '2026-09-01 16:00' on Berlin's clock."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def _plain_static_storage(settings):
    # The hashed-manifest storage needs `collectstatic`; tests render templates without it.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


@pytest.fixture
def make_user(db):
    def make(email, name="", *, staff=False, password=PASSWORD):
        user = User.objects.create_user(email=email, password=password, name=name, is_staff=staff)
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        return user

    return make


@pytest.fixture
def cohort(db):
    cohort = Cohort.objects.create(
        title="Machine Learning",
        slug="ml",
        time_zone="Europe/Berlin",
        start_date=date(2026, 9, 1),
        session_weekday=3,
        session_time=time(16, 0),
        session_minutes=90,
    )
    cohort.create_weeks(12)
    return cohort


@pytest.fixture
def other_cohort(db):
    other = Cohort.objects.create(
        title="Statistics",
        slug="stats",
        time_zone="America/New_York",
        start_date=date(2026, 9, 1),
        session_weekday=1,
        session_time=time(12, 0),
    )
    other.create_weeks(4)
    return other


@pytest.fixture
def people(cohort, make_user):
    """One user per actor; `outsider` has no membership in `cohort`."""
    users = {
        "organizer": make_user("org@example.com", "Olga Organizer"),
        "facilitator": make_user("fac@example.com", "Fatima Facilitator"),
        "participant": make_user("par@example.com", "Pat Participant"),
        "outsider": make_user("out@example.com", "Oscar Outsider"),
    }
    # They joined before the cohort began: every week's session counts for them.
    joined = datetime.combine(cohort.start_date, time(), tzinfo=BERLIN) - timedelta(days=30)
    for role in (Role.ORGANIZER, Role.FACILITATOR, Role.PARTICIPANT):
        Membership.objects.create(
            user=users[role.value], cohort=cohort, role=role, joined_at=joined
        )
    return users


@pytest.fixture
def client_for(client):
    """A test client signed in as the given user (or anonymous for None)."""

    def signed_in(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        return client

    return signed_in


@pytest.fixture
def post_committed(django_capture_on_commit_callbacks):
    """POST, then run what the view queued for after commit (emails, tasks)."""

    def post(client, url, data=None, **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data or {}, **extra)

    return post


def free_port():
    """A loopback port that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class CollectingHandler:
    """An SMTP server's DATA handler that keeps every envelope it is given."""

    def __init__(self):
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1; `.port`, and `.handler.envelopes` for what arrived."""
    handler = CollectingHandler()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp_inbox(settings, smtp_server):
    """Django's SMTP backend pointed at a real in-process SMTP server; yields a function that
    returns what arrived, as parsed messages ({recipient: [message, …]})."""
    import email
    from email import policy

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.SITE_URL = "https://homeroom.example.com"

    def inbox():
        received = {}
        for envelope in smtp_server.handler.envelopes:
            message = email.message_from_bytes(envelope.original_content, policy=policy.default)
            for to in envelope.rcpt_tos:
                received.setdefault(to, []).append(message)
        return received

    return inbox


def text_of(message):
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message):
    return message.get_body(preferencelist=("html",)).get_content()


def assert_unsubscribes(message, membership, kind):
    """The message's one-click unsubscribe link (RFC 8058) names this member and kind. (Its
    token is signed with the second it was made, so it is read back, not compared.)"""
    from django.conf import settings
    from django.urls import reverse

    from notifications import preferences

    link = str(message["List-Unsubscribe"]).strip()
    prefix = f"<{settings.SITE_URL}{reverse('unsubscribe', kwargs={'token': 'TOKEN'})}"
    before, after = prefix.split("TOKEN")
    assert link.startswith(before) and link.endswith(f"{after}>"), link
    token = link.removeprefix(before).removesuffix(f"{after}>")
    assert preferences.from_token(token) == (membership, preferences.KINDS[kind])
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
