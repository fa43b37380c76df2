"""The news participants wait for: "Week 1 is open" once per week, "Feedback on your
hand-in" once per new feedback; and one preferences page with a switch per kind."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assignments.models import Submission
from cohorts.models import Membership
from notifications import preferences
from notifications.models import Delivery, MailOptOut
from tests.conftest import assert_unsubscribes, berlin_time, html_of, text_of

pytestmark = pytest.mark.django_db


def opened(inbox):
    return {
        to: [m for m in messages if m["Subject"].startswith("Week 1 is open")]
        for to, messages in inbox().items()
        if any(m["Subject"].startswith("Week 1 is open") for m in messages)
    }


def test_week_opened_goes_once_to_each_participant_when_published(
    september_week, class_list, smtp_inbox, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-08-27 08:59"))
    run_dispatch()
    assert opened(smtp_inbox) == {}

    time_machine.move_to(berlin_time("2026-08-27 09:01"))
    run_dispatch()
    run_dispatch()
    inbox = opened(smtp_inbox)
    # cat switched reminders off, not these; dan left; staff are not participants.
    assert sorted(inbox) == [
        "ada@example.com",
        "bea@example.com",
        "cat@example.com",
        "par@example.com",
    ]
    assert all(len(messages) == 1 for messages in inbox.values())
    [message] = inbox["par@example.com"]
    assert message["Subject"] == "Week 1 is open · Machine Learning"
    text = text_of(message)
    assert "Week 1: Linear models of Machine Learning is open." in text
    assert "Thu 3 Sep 2026, 16:00 (Europe/Berlin)" in text
    assert "Linear regression (video, 14 min)" in text
    assert "Extra reading (reading, 20 min, optional)" in text
    assert "Assignment: Notebook, due Thu 3 Sep 2026, 16:00" in text
    assert '<a href="https://videos.example.com/gd">Gradient descent</a>' in html_of(message)
    par = Membership.objects.get(user=class_list["par"])
    assert_unsubscribes(message, par, "week_opened")


def test_never_again_for_a_week_unpublished_and_republished(
    september_week, class_list, smtp_inbox, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-08-27 09:01"))
    run_dispatch()
    assert len(opened(smtp_inbox)) == 4
    september_week.publish_at = None
    september_week.save()
    time_machine.move_to(berlin_time("2026-08-27 10:00"))
    run_dispatch()
    september_week.publish_at = berlin_time("2026-08-27 10:00")
    september_week.save()
    time_machine.move_to(berlin_time("2026-08-27 10:05"))
    run_dispatch()
    assert all(len(messages) == 1 for messages in opened(smtp_inbox).values())
    assert Delivery.objects.filter(kind="week_opened").count() == 4


def test_the_switch_on_the_preferences_page_stops_it(
    september_week, class_list, client_for, smtp_inbox, time_machine, run_dispatch
):
    client = client_for(class_list["bea"])
    url = reverse("cohorts:preferences", args=["ml"])
    page = client.get(url).content.decode()
    for field in ("reminders", "announcement", "survey", "week_opened", "feedback"):
        assert f'name="{field}"' in page
    everything_but = {"reminders": "on", "announcement": "on", "survey": "on", "feedback": "on"}
    response = client.post(url, everything_but)
    assert response.status_code == 302
    bea = Membership.objects.get(user=class_list["bea"])
    assert list(MailOptOut.objects.values_list("membership", "kind")) == [(bea.pk, "week_opened")]
    bea.refresh_from_db()
    assert bea.reminders_opt_out is False

    time_machine.move_to(berlin_time("2026-08-27 09:01"))
    run_dispatch()
    assert "bea@example.com" not in opened(smtp_inbox)
    assert "par@example.com" in opened(smtp_inbox)

    client.post(url, {**everything_but, "week_opened": "on"})
    assert not MailOptOut.objects.exists()


def test_feedback_left_is_emailed_once_per_new_feedback(
    september_week, class_list, prework, people, client_for, smtp_inbox, run_dispatch
):
    bea_hand_in = Submission.objects.get(user=class_list["bea"])
    url = reverse("assignments:feedback", args=["ml", bea_hand_in.pk])
    facilitator = client_for(people["facilitator"])
    facilitator.post(url, {"feedback": "Nice work on **part 2**."})
    run_dispatch()
    run_dispatch()

    def feedback_emails():
        return [
            m
            for m in smtp_inbox().get("bea@example.com", [])
            if str(m["Subject"]).strip().startswith("Feedback on your hand-in")
        ]

    [message] = feedback_emails()
    assert str(message["Subject"]).strip() == (
        "Feedback on your hand-in: Notebook · Machine Learning"
    )
    assert "Fatima Facilitator left feedback" in text_of(message)
    assert "Nice work on **part 2**." in text_of(message)
    assert "<strong>part 2</strong>" in html_of(message)

    facilitator.post(url, {"feedback": "Nice work on **part 2** (typo fixed)."})
    run_dispatch()
    assert len(feedback_emails()) == 1  # an edit is not news

    # Bea hands in again; feedback on the new version is news.
    Submission.objects.filter(pk=bea_hand_in.pk).update(
        updated_at=timezone.now() + timedelta(seconds=1)
    )
    facilitator.post(url, {"feedback": "Better still."})
    run_dispatch()
    assert len(feedback_emails()) == 2

    preferences.switch(Membership.objects.get(user=class_list["bea"]), "feedback", False)
    Submission.objects.filter(pk=bea_hand_in.pk).update(
        updated_at=timezone.now() + timedelta(seconds=2)
    )
    facilitator.post(url, {"feedback": "And again."})
    run_dispatch()
    assert len(feedback_emails()) == 2
