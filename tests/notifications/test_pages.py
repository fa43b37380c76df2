"""Organizer pages (notification settings, test message, delivery log, what is due), the
member's preferences page, and the one-click unsubscribe link."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Membership
from notifications.models import Delivery
from tests.conftest import berlin_time

from . import slack_standin as answers

pytestmark = pytest.mark.django_db

SECRET_WEBHOOK_PATH = "/services/T0000/B0000/abcdEFGHwxyz"


def settings_data(**changes):
    return {
        "reminder_lead_hours": 48,
        "digest_weekday": 0,
        "digest_time": "09:00",
        "slack_webhook": "",
        **changes,
    }


# --- Notification settings ----------------------------------------------------------------


def test_organizer_saves_lead_time_digest_time_and_webhook(
    cohort, people, client_for, slack_standin
):
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_notifications", args=[cohort.slug])
    response = client.post(
        url,
        settings_data(
            reminder_lead_hours=24,
            digest_weekday=4,
            digest_time="17:30",
            slack_webhook=slack_standin.webhook_url,
        ),
    )
    assert response.status_code == 302
    cohort.refresh_from_db()
    assert cohort.reminder_lead_hours == 24
    assert (cohort.digest_weekday, cohort.digest_time.strftime("%H:%M")) == (4, "17:30")
    assert cohort.slack_webhook_url == slack_standin.webhook_url

    page = client.get(url).content.decode()
    assert SECRET_WEBHOOK_PATH not in page
    assert "abcdEFGH" not in page
    assert "…wxyz" in page

    # Saving again without pasting keeps the webhook.
    client.post(url, settings_data())
    cohort.refresh_from_db()
    assert cohort.slack_webhook_url == slack_standin.webhook_url


def test_only_slack_webhook_urls_are_accepted(cohort, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_notifications", args=[cohort.slug])
    for bad in ("https://example.com/hook", "http://hooks.slack.com/services/x", "javascript:x"):
        response = client.post(url, settings_data(slack_webhook=bad))
        assert response.status_code == 200
        assert "not a Slack incoming webhook URL" in response.content.decode()
    response = client.post(url, settings_data(reminder_lead_hours=0))
    assert "between 1 and 336" in response.content.decode()
    cohort.refresh_from_db()
    assert cohort.slack_webhook_url == ""
    assert (
        client.post(
            url, settings_data(slack_webhook="https://hooks.slack.com/services/T1/B2/c3d4")
        ).status_code
        == 302
    )


def test_remove_the_webhook(cohort, people, client_for):
    cohort.slack_webhook_url = "https://hooks.slack.com/services/T1/B2/c3d4"
    cohort.save(update_fields=["slack_webhook_sealed", "slack_webhook_digest"])
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_notifications", args=[cohort.slug])
    client.post(url, settings_data(remove_webhook="on"))
    cohort.refresh_from_db()
    assert cohort.slack_webhook_url == ""


def test_send_a_test_message(cohort, people, client_for, slack_standin):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save(update_fields=["slack_webhook_sealed", "slack_webhook_digest"])
    client = client_for(people["organizer"])
    response = client.post(
        reverse("notifications:manage_notifications_test", args=[cohort.slug]), follow=True
    )
    assert "Slack accepted the test message" in response.content.decode()
    [message] = slack_standin.messages
    assert (
        "Test message from Homeroom for *Machine Learning*" in message["blocks"][0]["text"]["text"]
    )
    row = Delivery.objects.get(kind="slack_test")
    assert (row.status, row.channel, row.recipient) == ("sent", "slack", "Slack webhook …wxyz")


def test_the_test_message_names_a_daily_cohorts_digest(cohort, people, client_for, slack_standin):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.schedule_kind, cohort.unit_name, cohort.digest_cadence = "daily", "Day", "session"
    cohort.save()
    client = client_for(people["organizer"])
    client.post(reverse("notifications:manage_notifications_test", args=[cohort.slug]))
    [message] = slack_standin.messages
    text = message["blocks"][0]["text"]["text"]
    assert "The digest before each day will be posted in this channel." in text
    assert "weekly" not in text


def test_a_test_message_to_a_dead_webhook_says_so_and_disables_it(
    cohort, people, client_for, slack_standin, post_committed
):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save(update_fields=["slack_webhook_sealed", "slack_webhook_digest"])
    slack_standin.answer(answers.NO_SERVICE)
    client = client_for(people["organizer"])
    response = post_committed(
        client, reverse("notifications:manage_notifications_test", args=[cohort.slug]), follow=True
    )
    page = response.content.decode()
    assert "The test message was not delivered: Slack answered 404 no_service" in page
    assert "The webhook is disabled" in page
    cohort.refresh_from_db()
    assert not cohort.slack_enabled
    assert [m.to for m in mail.outbox] == [[people["organizer"].email]]


def test_the_test_message_is_post_only(cohort, people, client_for):
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_notifications_test", args=[cohort.slug])
    assert client.get(url).status_code == 405


# --- Delivery log and what is due ---------------------------------------------------------


def test_delivery_log_lists_what_when_whom_status_and_error(cohort, people, client_for):
    Delivery.objects.create(
        kind="reminder",
        cohort=cohort,
        week=cohort.weeks.get(number=1),
        recipient="par@example.com",
        dedupe_key="k1",
        subject="Week 1: 2 videos left",
        status="failed",
        attempts=5,
        last_error="SMTPServerDisconnected: gone",
    )
    Delivery.objects.bulk_create(
        Delivery(
            kind="invitation", cohort=cohort, recipient=f"x{n}@example.com", dedupe_key=f"i{n}"
        )
        for n in range(60)
    )
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_deliveries", args=[cohort.slug])
    page = client.get(url).content.decode()
    assert "Page 1 of 2" in page
    page = client.get(url, {"status": "failed"}).content.decode()
    assert "Week 1: 2 videos left" in page
    assert "par@example.com" in page
    assert "SMTPServerDisconnected: gone" in page
    assert "x1@example.com" not in page
    page = client.get(url, {"kind": "invitation", "page": 2}).content.decode()
    assert "Page 2 of 2" in page
    assert "par@example.com" not in page


def test_what_is_due_shows_who_would_get_what_and_why_without_sending(
    cohort, class_list, people, client_for
):
    client = client_for(people["organizer"])
    url = reverse("notifications:manage_dispatch", args=[cohort.slug])
    page = client.get(url, {"at": "2026-09-01T16:30"}).content.decode()
    assert "Would go out now (2)" in page
    assert "bea@example.com" in page
    assert "1 video, 11 min left; the session is Thu 3 Sep 2026, 16:00" in page
    assert "ada@example.com: Finished everything for Week 1." in page
    assert "cat@example.com: Switched reminders off." in page
    assert "No Slack webhook is set, so no digest." in page
    assert not Delivery.objects.exists()
    assert mail.outbox == []

    page = client.get(url, {"at": "2026-08-31T10:00"}).content.decode()
    assert "Week 1 reminders go out Tue 1 Sep 2026, 16:00 (Europe/Berlin)" in page
    page = client.get(url, {"at": "not a time"}).content.decode()
    assert "Use a date and time such as" in page


# --- Preferences ----------------------------------------------------------------------------


def test_a_member_switches_reminders_off_and_on(cohort, people, client_for):
    client = client_for(people["participant"])
    url = reverse("cohorts:preferences", args=[cohort.slug])
    page = client.get(url).content.decode()
    assert 'name="reminders"' in page and "checked" in page
    client.post(url, {})
    membership = Membership.objects.get(user=people["participant"], cohort=cohort)
    assert membership.reminders_opt_out is True
    client.post(url, {"reminders": "on"})
    membership.refresh_from_db()
    assert membership.reminders_opt_out is False


def test_preferences_only_change_ones_own_membership(cohort, other_cohort, people, client_for):
    Membership.objects.create(user=people["participant"], cohort=other_cohort)
    client = client_for(people["participant"])
    client.post(reverse("cohorts:preferences", args=[cohort.slug]), {})
    mine = Membership.objects.get(user=people["participant"], cohort=cohort)
    other = Membership.objects.get(user=people["participant"], cohort=other_cohort)
    assert (mine.reminders_opt_out, other.reminders_opt_out) == (True, False)
    assert not Membership.objects.exclude(pk=mine.pk).filter(reminders_opt_out=True).exists()


# --- One-click unsubscribe ------------------------------------------------------------------


@pytest.fixture
def participant_membership(cohort, people):
    return Membership.objects.get(user=people["participant"], cohort=cohort)


def test_unsubscribe_get_only_asks(participant_membership):
    client = Client()
    response = client.get(participant_membership.get_unsubscribe_url())
    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop homework reminders?" in page
    assert '<form method="post"' in page
    participant_membership.refresh_from_db()
    assert participant_membership.reminders_opt_out is False


def test_one_click_post_without_cookies_or_csrf_token_unsubscribes(participant_membership):
    client = Client(enforce_csrf_checks=True)
    url = participant_membership.get_unsubscribe_url()
    response = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Location" not in response
    assert not response.cookies
    assert "Reminders are off" in response.content.decode()
    participant_membership.refresh_from_db()
    assert participant_membership.reminders_opt_out is True

    again = client.post(
        url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert again.status_code == 200
    participant_membership.refresh_from_db()
    assert participant_membership.reminders_opt_out is True


def test_unsubscribe_works_after_leaving_and_for_that_cohort_only(
    participant_membership, other_cohort, people
):
    other = Membership.objects.create(user=people["participant"], cohort=other_cohort)
    Membership.objects.filter(pk=participant_membership.pk).update(left_at=timezone.now())
    response = Client().post(participant_membership.get_unsubscribe_url())
    assert response.status_code == 200
    other.refresh_from_db()
    assert other.reminders_opt_out is False


@pytest.mark.parametrize(
    "token", ["nonsense", "1:forged-signature", "MQ:xxxxxxxxxxxxxxxxxxxxxxxxxxx"]
)
def test_a_bad_token_is_not_found(db, token):
    response = Client().post(reverse("unsubscribe", args=[token]))
    assert response.status_code == 404


def test_the_reminders_unsubscribe_link_is_the_working_one(class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    run_dispatch()
    email = next(m for m in mail.outbox if m.to == ["par@example.com"])
    url = email.extra_headers["List-Unsubscribe"].strip("<>").removeprefix("http://localhost:8000")
    assert Client().post(url).status_code == 200
    assert Membership.objects.get(user=class_list["par"]).reminders_opt_out is True
