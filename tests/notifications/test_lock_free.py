"""No database lock is held while a mail server or Slack answers.

A send runs in a thread and the stand-in holds its answer until the test releases it (an
event, not a timer). Meanwhile a participant ticks a video off through the web view: it must
commit at once. If the send held a transaction, SQLite's write lock would make the tick wait
for the release, which only comes after it: the test would fail with "database is locked".
The suite runs on SQLite by default and on PostgreSQL with DATABASE_URL.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from assignments.models import Completion
from notifications import outbox
from notifications.models import Delivery

from . import slack_standin as answers
from .smtp_standin import smtp_standin

pytestmark = pytest.mark.django_db(transaction=True)


class SendInThread:
    """outbox.send(pk) on its own thread and database connection."""

    def __init__(self, pk, **kwargs):
        self.pk, self.kwargs, self.outcome, self.error = pk, kwargs, None, None
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        try:
            self.outcome = outbox.send(self.pk, **self.kwargs)
        except Exception as exc:  # reported by join()
            self.error = exc
        finally:
            connection.close()

    def start(self):
        self.thread.start()
        return self

    def join(self):
        self.thread.join(timeout=60)
        assert not self.thread.is_alive(), "the send never finished"
        assert self.error is None, self.error
        return self.outcome


def tick_video_off(client_for, people, prework):
    """The participant marks a video watched through the web view; returns the response."""
    video = prework["video1"]
    client = client_for(people["participant"])
    url = reverse("assignments:item_completion", args=[video.week.cohort.slug, video.pk])
    return client.post(url, {"done": "1"})


def test_a_tick_commits_while_slack_holds_its_answer(
    cohort, people, prework, slack_standin, settings, client_for
):
    settings.SLACK_TIMEOUT_SECONDS = 30
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save()
    slack_standin.answer(answers.HANG)
    row = outbox.claim(
        kind="slack_test",
        channel=Delivery.Channel.SLACK,
        recipient="Slack webhook",
        dedupe_key="lock-free:slack",
        cohort=cohort,
        payload={"text": "Hello"},
    )
    sender = SendInThread(row.pk).start()
    assert slack_standin.arrived.wait(10), "the message never reached the stand-in"
    assert Delivery.objects.get(pk=row.pk).status == "sending"

    response = tick_video_off(client_for, people, prework)

    assert response.status_code == 302
    assert Completion.objects.filter(user=people["participant"], item=prework["video1"]).exists()
    assert not slack_standin.release.is_set()  # Slack was still holding its answer
    slack_standin.release.set()
    assert sender.join().delivery.status == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.sending_since) == ("sent", 1, None)


def test_a_tick_commits_while_the_mail_server_stalls_on_data(
    cohort, people, prework, settings, client_for
):
    settings.EMAIL_SEND_DEADLINE_SECONDS = 30
    with smtp_standin(settings, stall=True) as server:
        row = outbox.claim(
            kind="webhook_disabled",
            recipient="newcomer@example.com",
            dedupe_key="lock-free:smtp",
            cohort=cohort,
            subject="You're invited",
            body_text="Join us.",
        )
        sender = SendInThread(row.pk).start()
        assert server.arrived.wait(10), "the message never reached DATA"
        assert Delivery.objects.get(pk=row.pk).status == "sending"

        response = tick_video_off(client_for, people, prework)

        assert response.status_code == 302
        assert Completion.objects.filter(
            user=people["participant"], item=prework["video1"]
        ).exists()
        assert server.envelopes == []  # the server had not answered yet
        server.release.set()
        assert sender.join().delivery.status == "sent"
    assert [e.rcpt_tos for e in server.envelopes] == [["newcomer@example.com"]]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)


def test_the_test_message_answers_on_the_page_while_a_tick_commits(
    cohort, people, prework, slack_standin, settings, client_for
):
    """The organizer's "Send a test message" waits for Slack in its own request; a
    participant's tick meanwhile commits at once, and the organizer sees Slack's answer."""
    settings.SLACK_TIMEOUT_SECONDS = 30
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save()
    slack_standin.answer(answers.HANG)
    from django.test import Client

    organizer = Client()
    organizer.force_login(people["organizer"])
    pages = {}

    def press_test():
        try:
            pages["test"] = organizer.post(
                reverse("notifications:manage_notifications_test", args=["ml"]), follow=True
            )
        finally:
            connection.close()

    pressing = threading.Thread(target=press_test, daemon=True)
    pressing.start()
    assert slack_standin.arrived.wait(10)
    assert tick_video_off(client_for, people, prework).status_code == 302
    slack_standin.release.set()
    pressing.join(timeout=60)
    assert "Slack accepted the test message" in pages["test"].content.decode()


def test_a_tick_commits_while_a_sign_in_code_waits_for_the_mail_server(
    cohort, people, prework, settings, client_for
):
    from django.test import Client

    settings.EMAIL_SEND_DEADLINE_SECONDS = 30
    pages = {}
    with smtp_standin(settings, stall=True) as server:

        def ask_for_code():
            try:
                pages["code"] = Client().post(
                    reverse("account_request_login_code"), {"email": "out@example.com"}
                )
            finally:
                connection.close()

        asking = threading.Thread(target=ask_for_code, daemon=True)
        asking.start()
        assert server.arrived.wait(10)
        assert tick_video_off(client_for, people, prework).status_code == 302
        server.release.set()
        asking.join(timeout=60)
    assert pages["code"].status_code == 302
    assert [e.rcpt_tos for e in server.envelopes] == [["out@example.com"]]
    assert Delivery.objects.get(kind="account:login_code").status == "sent"


def test_the_outbox_benchmark_prints_figures_and_leaves_nothing_behind(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    # On the embedded default's own kind of database, a SQLite file (the test database in
    # memory answers "table is locked" to concurrent writers instead of waiting).
    root = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env.update(SECRET_KEY="benchmark-test", HOMEROOM_DATA_DIR=str(tmp_path), DEBUG="1")

    def manage(*args):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=True,
        ).stdout

    manage("migrate", "--no-input")
    text = manage("outbox_benchmark", "--sends", "2", "--answer-seconds", "1", "--rounds", "2")
    assert "2 round(s) of 2 Slack sends in flight" in text
    assert "4 of 4 recorded sent" in text
    assert "mark-watched write, idle: 60 writes, p50" in text
    assert "mark-watched write, while sending:" in text and "p99" in text
    left = manage(
        "shell",
        "--verbosity=0",
        "-c",
        "from cohorts.models import Cohort, User; from notifications.models import Delivery; "
        "print(Cohort.objects.count(), User.objects.count(), Delivery.objects.count())",
    )
    assert left.split() == ["0", "0", "0"]
