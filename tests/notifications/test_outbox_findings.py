"""One test per finding from running the outbox under faults (issue: outbox without locks)."""

import time
from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from assignments.models import PreworkItem
from cohorts.models import Invitation, Membership, Role
from config.celery import app as celery_app
from notifications import dispatch, outbox
from notifications.invitations import claim_invitation_email
from notifications.models import Delivery
from notifications.tasks import dispatch_due, enqueue_deliveries

from . import slack_standin as answers
from .smtp_standin import smtp_standin

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(text):
    """'2026-09-01 16:00' on the test cohort's clock (Berlin)."""
    return datetime.fromisoformat(text).replace(tzinfo=BERLIN)


def sent_to():
    return sorted(m.to[0] for m in mail.outbox)


@pytest.fixture
def slack_cohort(cohort, slack_standin):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save()
    return cohort


def claim_digest(time_machine):
    time_machine.move_to(berlin("2026-08-31 09:00"))
    result = dispatch.run()
    [row] = Delivery.objects.filter(pk__in=result.to_send, kind="digest")
    return row


# --- Dispatch ------------------------------------------------------------------------------


def test_a_session_moved_and_moved_back_still_gets_its_reminders(
    cohort, class_list, time_machine, django_capture_on_commit_callbacks, run_dispatch
):
    week = cohort.weeks.get(number=1)
    time_machine.move_to(berlin("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):  # claimed, not sent yet
        claimed = dispatch_due()
    assert "claimed 2" in claimed
    original = week.session_start
    week.session_start = original + timedelta(days=1)
    week.save()
    for pk in Delivery.objects.filter(kind="reminder").values_list("pk", flat=True):
        outbox.send(pk)
    assert set(Delivery.objects.values_list("status", flat=True)) == {"skipped"}

    week.session_start = original  # moved back
    week.save()
    run_dispatch()

    assert sent_to() == ["bea@example.com", "par@example.com"]
    rows = Delivery.objects.filter(kind="reminder")
    assert sorted(rows.values_list("status", flat=True)) == ["sent", "sent", "skipped", "skipped"]


def test_a_future_at_without_dry_run_refuses_and_claims_nothing(
    class_list, time_machine, django_capture_on_commit_callbacks, run_dispatch
):
    time_machine.move_to(berlin("2026-08-01 12:00"))
    with pytest.raises(CommandError, match="future"):
        call_command("dispatch", "--at", "2026-09-01T16:30+02:00", stdout=StringIO())
    assert not Delivery.objects.exists()
    out = StringIO()
    call_command("dispatch", "--dry-run", "--at", "2026-09-01T16:30+02:00", stdout=out)
    assert "would claim 2 delivery(ies)" in out.getvalue()
    assert not Delivery.objects.exists()

    time_machine.move_to(berlin("2026-09-01 16:30"))  # on time, the reminders go out
    run_dispatch()
    assert sent_to() == ["bea@example.com", "par@example.com"]


def test_a_lead_over_a_week_reminds_of_the_next_session_once_the_previous_one_ends(
    cohort, class_list, time_machine, run_dispatch
):
    cohort.reminder_lead_hours = 200
    cohort.save()
    week2 = cohort.weeks.get(number=2)
    week2.publish_at = berlin("2026-08-27 09:00")
    week2.save()
    PreworkItem.objects.create(week=week2, title="Week 2 video", minutes=9)
    # 200 h before week 2's session (Thu 10 Sep 16:00) is Wed 2 Sep 08:00, but week 1's
    # session (Thu 3 Sep 16:00–17:30) is not over then: week 2's reminder waits for its end.
    time_machine.move_to(berlin("2026-09-02 08:00"))
    run_dispatch()
    assert not Delivery.objects.filter(kind="reminder", week=week2).exists()
    time_machine.move_to(berlin("2026-09-03 17:30"))
    run_dispatch()
    week2_rows = Delivery.objects.filter(kind="reminder", week=week2)
    assert sorted(week2_rows.values_list("recipient", "status")) == [
        ("ada@example.com", "sent"),  # finished week 1, not week 2
        ("bea@example.com", "sent"),
        ("par@example.com", "sent"),
    ]


def test_a_whole_reminder_window_missed_leaves_a_missed_record(
    cohort, class_list, people, time_machine, run_dispatch, client_for, no_survey_emails
):
    # Dispatch never ran between Tue 16:00 and the session on Thu 16:00.
    time_machine.move_to(berlin("2026-09-03 18:00"))
    run_dispatch()
    run_dispatch()
    assert mail.outbox == []
    [row] = Delivery.objects.filter(kind="reminders_missed")
    assert row.status == "missed"
    assert "Week 1's reminders were not sent" in row.last_error
    assert "2 participant(s) had work left" in row.last_error
    page = client_for(people["organizer"]).get(
        reverse("notifications:manage_deliveries", args=["ml"])
    )
    assert "Week 1&#x27;s reminders were not sent" in page.content.decode()


def test_no_missed_record_when_the_reminders_went_out(class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin("2026-09-01 16:00"))
    run_dispatch()
    time_machine.move_to(berlin("2026-09-03 18:00"))
    run_dispatch()
    assert not Delivery.objects.filter(kind="reminders_missed").exists()


def test_one_cohorts_bad_date_does_not_stop_the_others(
    cohort, other_cohort, class_list, people, time_machine, run_dispatch, client_for
):
    other_cohort.time_zone = "Pacific/Kiritimati"  # UTC+14: year 9999 overflows locally
    other_cohort.save()
    other_cohort.weeks.filter(number=1).update(
        session_start=datetime(9999, 12, 31, 23, 0, tzinfo=UTC)
    )
    Membership.objects.create(user=people["organizer"], cohort=other_cohort, role=Role.ORGANIZER)
    time_machine.move_to(berlin("2026-09-01 16:00"))
    summary = run_dispatch()

    assert "1 cohort(s) could not be planned" in summary
    assert sent_to() == ["bea@example.com", "par@example.com"]
    [error] = Delivery.objects.filter(cohort=other_cohort, kind="dispatch_error")
    assert "OverflowError" in error.last_error
    page = client_for(people["organizer"]).get(
        reverse("notifications:manage_deliveries", args=["stats"])
    )
    assert "Dispatch could not work out what is due" in page.content.decode()


# --- Slack ---------------------------------------------------------------------------------


def test_rate_limits_do_not_use_up_attempts(slack_cohort, class_list, slack_standin, time_machine):
    row = claim_digest(time_machine)
    slack_standin.answer(*[answers.rate_limited(1)] * (outbox.MAX_ATTEMPTS + 2))
    outcomes = [outbox.send(row.pk) for _ in range(outbox.MAX_ATTEMPTS + 2)]
    assert [o.retry_in for o in outcomes] == [1] * (outbox.MAX_ATTEMPTS + 2)
    assert outbox.send(row.pk).delivery.status == "sent"
    row.refresh_from_db()
    assert (row.status, row.attempts, row.rate_limited) == ("sent", 8, 7)


def test_a_digest_that_finally_fails_alerts_the_organizers(
    slack_cohort,
    class_list,
    people,
    slack_standin,
    time_machine,
    client_for,
    django_capture_on_commit_callbacks,
):
    row = claim_digest(time_machine)
    slack_standin.answer(*[answers.SERVER_ERROR] * outbox.MAX_ATTEMPTS)
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(outbox.MAX_ATTEMPTS):
            enqueue_deliveries(outbox.send(row.pk).follow_ups)
    row.refresh_from_db()
    assert row.status == "failed"
    [alert] = [m for m in mail.outbox if m.to == [people["organizer"].email]]
    assert "could not be posted" in alert.subject
    assert "500 internal_error" in alert.body
    organizer_page = client_for(people["organizer"]).get(reverse("cohorts:detail", args=["ml"]))
    assert "A Slack message could not be posted" in organizer_page.content.decode()
    participant_page = client_for(people["participant"]).get(reverse("cohorts:detail", args=["ml"]))
    assert "A Slack message could not be posted" not in participant_page.content.decode()


def test_a_trickled_answer_is_cut_at_the_deadline(
    slack_cohort, class_list, slack_standin, time_machine, settings
):
    settings.SLACK_TIMEOUT_SECONDS = 2
    row = claim_digest(time_machine)
    slack_standin.answer(answers.TRICKLE)  # a byte every 0.5 s: every read is quick
    started = time.monotonic()
    outcome = outbox.send(row.pk)
    elapsed = time.monotonic() - started
    slack_standin.release.set()
    assert elapsed < 20  # 100 bytes would take 50 s; the deadline is 2 s
    assert outcome.retry_in == 30
    row.refresh_from_db()
    assert row.status == "pending"
    assert "timed out" in row.last_error


def test_a_redirect_is_not_followed_and_only_slacks_short_code_is_shown(
    slack_cohort, class_list, slack_standin, time_machine
):
    row = claim_digest(time_machine)
    slack_standin.answer(answers.redirect("http://internal.example/admin"))
    outbox.send(row.pk)
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("failed", "Slack answered 302")
    assert len(slack_standin.requests) == 1

    slack_standin.answer((400, "<html><body>" + "x" * 5000 + "</body></html>", {}))
    assert outbox.send(claim_digest_again(slack_cohort)).delivery.last_error == (
        "Slack answered 400"
    )


def claim_digest_again(cohort):
    return outbox.claim(
        kind="slack_test",
        channel=Delivery.Channel.SLACK,
        recipient="Slack",
        dedupe_key=outbox.unique_key("slack_test"),
        cohort=cohort,
        payload={"text": "hi"},
    ).pk


@pytest.mark.parametrize(
    ("prefix", "url", "allowed"),
    [
        ("https://hooks.slack.com", "https://hooks.slack.com/services/T/B/x", True),
        ("https://hooks.slack.com", "https://hooks.slack.com.attacker.example/services/x", False),
        ("https://hooks.slack.com/", "https://hooks.slack.com@attacker.example/x", False),
        ("https://hooks.slack.com/", "https://hooks.slack.com:8443/services/T/B/x", False),
        ("https://hooks.slack.com/services", "https://hooks.slack.com/servicesX/x", False),
        ("https://hooks.slack.com/", "https://hooks.slack.com/services/T/B/é", False),
        ("https://hooks.slack.com/", "http://hooks.slack.com/services/T/B/x", False),
    ],
)
def test_webhook_urls_must_be_on_slacks_host(settings, prefix, url, allowed):
    from notifications.channels.slack import webhook_url_allowed

    settings.SLACK_WEBHOOK_URL_PREFIXES = [prefix]
    assert webhook_url_allowed(url) is allowed


def test_a_non_ascii_webhook_url_is_refused_on_the_settings_page(cohort, people, client_for):
    response = client_for(people["organizer"]).post(
        reverse("notifications:manage_notifications", args=["ml"]),
        {
            "reminder_lead_hours": 48,
            "digest_weekday": 0,
            "digest_time": "09:00",
            "slack_webhook": "https://hooks.slack.com/services/T/B/ünïcode",
        },
    )
    assert response.status_code == 200
    assert "not a Slack incoming webhook URL" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.slack_webhook_url == ""


# --- Email ---------------------------------------------------------------------------------


def claim_email(key="findings:1", to="ada@example.com"):
    return outbox.claim(
        kind="webhook_disabled", recipient=to, dedupe_key=key, subject="Hi", body_text="Hello"
    )


def test_a_permanent_refusal_fails_at_once_with_the_servers_reason(settings):
    with smtp_standin(settings, refuse_rcpt="550 5.1.1 No such user here"):
        outcome = outbox.send(claim_email().pk)
    assert outcome.retry_in is None
    row = outcome.delivery
    assert (row.status, row.attempts) == ("failed", 1)
    assert "550 5.1.1 No such user here" in row.last_error


def test_a_temporary_refusal_is_retried(settings):
    with smtp_standin(settings, refuse_rcpt="451 4.3.0 Try again later"):
        outcome = outbox.send(claim_email().pk)
    assert outcome.retry_in == 30
    assert outcome.delivery.status == "pending"
    assert "451 4.3.0 Try again later" in outcome.delivery.last_error


def test_no_answer_after_the_message_was_handed_over_is_unknown_not_resent(settings):
    settings.EMAIL_SEND_DEADLINE_SECONDS = 1
    with smtp_standin(settings, stall=True) as server:
        outcome = outbox.send(claim_email().pk)
        assert server.arrived.is_set()
    row = outcome.delivery
    assert outcome.retry_in is None
    assert row.status == "unknown"
    assert "it may have arrived" in row.last_error
    assert outbox.send(row.pk).delivery.status == "unknown"  # never sent again by itself


def test_a_batch_of_reminders_shares_one_smtp_connection(
    cohort, class_list, make_user, settings, time_machine, run_dispatch
):
    for n in range(4):
        user = make_user(f"extra{n}@example.com", f"Extra {n}")
        Membership.objects.create(user=user, cohort=cohort, role=Role.PARTICIPANT)
    with smtp_standin(settings) as server:
        time_machine.move_to(berlin("2026-09-01 16:00"))
        run_dispatch()
    assert len(server.envelopes) == 6
    assert len(set(server.peers)) == 1


def test_email_slack_and_dispatch_have_their_own_queues(settings):
    def queue_of(task_name):
        return celery_app.amqp.router.route({}, task_name)["queue"].name

    email_queue = queue_of("notifications.tasks.send_emails")
    assert email_queue == queue_of("notifications.tasks.send_delivery") == "email"
    assert queue_of("notifications.tasks.send_slack") == "slack"
    assert queue_of("notifications.tasks.dispatch_due") == settings.CELERY_TASK_DEFAULT_QUEUE


# --- Stopped mid-send ----------------------------------------------------------------------


def test_a_send_stopped_midway_becomes_unknown_and_only_an_invitation_offers_resend(
    cohort, people, client_for, time_machine, django_capture_on_commit_callbacks
):
    invitation = claim_invitation_email(
        Invitation.objects.create(cohort=cohort, email="new@example.com")
    )
    reminder = outbox.claim(
        kind="reminder", recipient="par@example.com", dedupe_key="reminder:x", cohort=cohort
    )
    started = timezone.now()
    Delivery.objects.filter(pk__in=[invitation.pk, reminder.pk]).update(
        status="sending", sending_since=started, attempts=1
    )
    time_machine.move_to(started + timedelta(seconds=301))
    result = dispatch.run()
    assert sorted(result.unknown_ids) == sorted([invitation.pk, reminder.pk])
    assert "marked 2 unknown" in result.summary()
    assert mail.outbox == []

    client = client_for(people["organizer"])
    log = client.get(reverse("notifications:manage_deliveries", args=["ml"])).content.decode()
    assert log.count("The sender stopped mid-send") == 2
    resend_url = reverse("notifications:resend_delivery", args=["ml", invitation.pk])
    assert resend_url in log
    assert reverse("notifications:resend_delivery", args=["ml", reminder.pk]) not in log

    confirm = client.get(resend_url)
    assert "It may have arrived already" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(resend_url)
        client.post(resend_url)  # a double click resends once
    assert sent_to() == ["new@example.com"]
    not_resendable = reverse("notifications:resend_delivery", args=["ml", reminder.pk])
    assert client.post(not_resendable).status_code == 404
    assert client_for(people["participant"]).get(resend_url).status_code == 403


def test_the_preview_lists_a_missed_window_as_a_record_not_a_send(
    cohort, class_list, people, client_for, time_machine, no_survey_emails
):
    time_machine.move_to(berlin("2026-09-03 18:00"))
    page = client_for(people["organizer"]).get(
        reverse("notifications:manage_dispatch", args=["ml"])
    )
    text = page.content.decode()
    assert "Would be recorded, not sent (1)" in text
    assert "Would go out now (0)" in text
    out = StringIO()
    call_command("dispatch", "--dry-run", stdout=out)
    assert "reminders_missed to 2 participant(s) [would record missed]" in out.getvalue()
    assert not Delivery.objects.exists()


def test_a_preview_date_outside_2000_to_2100_is_a_message_not_an_error(cohort, people, client_for):
    page = client_for(people["organizer"]).get(
        reverse("notifications:manage_dispatch", args=["ml"]), {"at": "9999-12-31T23:00"}
    )
    assert page.status_code == 200
    assert "Choose a date between 2000 and 2100" in page.content.decode()
