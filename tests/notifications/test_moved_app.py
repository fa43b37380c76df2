"""Deliveries moved from `cohorts` to `notifications` with their table: rows written before
the move are still there after it, and sends queued under the old task name still go out."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from config.celery import app as celery_app
from notifications import outbox
from notifications.models import Delivery

BEFORE_THE_MOVE = [("cohorts", "0003_membership_calendar_token"), ("notifications", None)]


@pytest.mark.django_db(transaction=True)
def test_deliveries_written_before_the_move_survive_it():
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(BEFORE_THE_MOVE)
        old = executor.loader.project_state([BEFORE_THE_MOVE[0]]).apps
        cohort = old.get_model("cohorts", "Cohort").objects.create(
            title="Before",
            slug="before",
            start_date="2026-01-05",
            session_weekday=0,
            session_time="10:00",
        )
        old.get_model("cohorts", "Delivery").objects.create(
            kind="reminder",
            cohort=cohort,
            recipient="ada@example.com",
            dedupe_key="reminder:1:1:2026-01-05T09:00Z",
            subject="Homework for Monday",
            status="sent",
            attempts=1,
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    row = Delivery.objects.get()
    assert (row.kind, row.recipient, row.status, row.attempts, row.cohort.slug) == (
        "reminder",
        "ada@example.com",
        "sent",
        1,
        "before",
    )
    assert row.dedupe_key == "reminder:1:1:2026-01-05T09:00Z"
    assert ContentType.objects.get_for_model(Delivery).app_label == "notifications"


@pytest.mark.django_db
def test_a_send_queued_under_the_old_task_name_still_goes_out(
    django_capture_on_commit_callbacks,
):
    claimed = outbox.claim(
        kind="webhook_disabled",
        recipient="grace@example.com",
        dedupe_key="webhook_disabled:queued-before-the-move",
        subject="The Slack webhook stopped working",
        body_text="Slack answered that the webhook is gone.",
    )
    assert "cohorts.tasks.send_delivery" in celery_app.tasks
    with django_capture_on_commit_callbacks(execute=True):
        celery_app.tasks["cohorts.tasks.send_delivery"].delay(claimed.pk)  # eager in tests
    assert [message.to for message in mail.outbox] == [["grace@example.com"]]
    claimed.refresh_from_db()
    assert claimed.status == Delivery.Status.SENT
