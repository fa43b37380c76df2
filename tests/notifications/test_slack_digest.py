"""The weekly Slack digest, and what happens with each of Slack's answers.

A local HTTP server plays Slack's webhook endpoint (see slack_standin.py); the channel really
POSTs to it.
"""

import json
import re
import time
from datetime import timedelta

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from assignments.models import Assignment, Completion, PreworkItem
from cohorts.models import Cohort
from discussions import digest
from discussions.models import MuddiestPoint, MuddiestVote, SharedResource
from notifications import dispatch, outbox
from notifications.channels import slack
from notifications.models import Delivery
from notifications.tasks import send_delivery
from tests.conftest import berlin_time

from . import slack_standin as answers

pytestmark = pytest.mark.django_db


@pytest.fixture
def slack_cohort(cohort, slack_standin):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save()
    return cohort


def digests():
    return Delivery.objects.filter(kind="digest")


def claim_digest(time_machine, when="2026-08-31 09:00"):
    """Claim week 1's digest without sending it; returns the row."""
    time_machine.move_to(berlin_time(when))
    result = dispatch.run()
    [row] = Delivery.objects.filter(pk__in=result.to_send, kind="digest")
    return row


# --- Schedule ---------------------------------------------------------------------------


def test_digest_is_posted_once_at_the_cohorts_digest_time(
    slack_cohort, class_list, slack_standin, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-08-31 08:55"))
    run_dispatch()
    assert slack_standin.requests == []

    for when in ("2026-08-31 09:00", "2026-08-31 09:05", "2026-09-01 12:00", "2026-09-03 15:55"):
        time_machine.move_to(berlin_time(when))
        run_dispatch()

    assert len(slack_standin.requests) == 1
    [row] = digests()
    assert (row.status, row.attempts, row.week.number) == ("sent", 1, 1)
    assert row.recipient == "Slack webhook …wxyz"
    assert slack_standin.requests[0]["path"] == "/services/T0000/B0000/abcdEFGHwxyz"


def test_the_digest_waits_for_the_week_to_be_published(
    slack_cohort, september_week, class_list, slack_standin, time_machine, run_dispatch
):
    september_week.publish_at = berlin_time("2026-09-01 08:00")
    september_week.save()
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    assert slack_standin.requests == []
    time_machine.move_to(berlin_time("2026-09-01 08:05"))
    run_dispatch()
    assert len(slack_standin.requests) == 1


def test_a_changed_digest_time_does_not_post_a_second_digest_that_week(
    slack_cohort, class_list, slack_standin, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    slack_cohort.digest_weekday = 2  # Wednesday
    slack_cohort.save()
    time_machine.move_to(berlin_time("2026-09-02 09:00"))
    run_dispatch()
    assert len(slack_standin.requests) == 1


def test_no_webhook_no_digest(cohort, class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    assert not digests().exists()


# --- Content ----------------------------------------------------------------------------


def block_texts(message):
    texts = []
    for block in message["blocks"]:
        if "text" in block:
            texts.append(block["text"]["text"])
        for element in block.get("elements", []):
            texts.append(element["text"])
    return texts


def test_digest_content(
    slack_cohort, class_list, prework, slack_standin, time_machine, run_dispatch
):
    slack_cohort.location = "https://meet.example.com/ml"
    slack_cohort.save()
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    [message] = slack_standin.messages
    text = "\n".join(block_texts(message))

    assert "<http://localhost:8000/c/ml/weeks/1/|Week 1: Linear models>" in text
    assert "*Session:* Thu 3 Sep 2026, 16:00 (Europe/Berlin)" in text
    assert "<https://meet.example.com/ml|Join the call>" in text
    assert "*Pre-work: 2 required, 25 min*" in text
    assert "• <https://videos.example.com/linreg|Linear regression> — video, 14 min" in text
    assert "• Extra reading — reading, 20 min (optional)" in text
    assert "• Notebook — Thu 3 Sep 2026, 16:00" in text
    assert message["text"].startswith(
        "Machine Learning, Week 1: Linear models. Session Thu 3 Sep 2026"
    )
    assert "http://localhost:8000/c/ml/weeks/1/" in message["text"]
    row = digests().get()
    assert row.payload == message
    assert row.body_text == message["text"]


def test_digest_tells_how_many_finished_last_weeks_prework(
    slack_cohort, class_list, prework, slack_standin, time_machine, run_dispatch
):
    week2 = slack_cohort.weeks.get(number=2)
    week2.publish_at = berlin_time("2026-09-03 18:00")
    week2.save()
    time_machine.move_to(berlin_time("2026-09-07 09:00"))
    run_dispatch()
    [message] = slack_standin.messages
    # par, ada, bea, cat are active participants; ada finished week 1's required pre-work.
    assert "Last week (Week 1): 1 of 4 finished the pre-work." in block_texts(message)


def test_user_text_is_escaped_so_nobody_can_ping_the_channel_or_fake_a_link(
    slack_cohort, september_week, class_list, slack_standin, time_machine, run_dispatch
):
    september_week.title = "<!channel> free pizza & <https://evil.example|your bank>"
    september_week.save()
    PreworkItem.objects.create(
        week=september_week,
        title="Read <@U123> & friends",
        url="https://example.com/a|b>c?x=1&y=2",
        minutes=5,
    )
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    raw = json.dumps(slack_standin.messages[0])

    assert "<!channel>" not in raw
    assert "<https://evil.example" not in raw
    assert "<@U123>" not in raw
    assert "&lt;!channel&gt; free pizza &amp; &lt;https://evil.example|your bank&gt;" in raw
    assert "<https://example.com/a%7Cb&gt;c?x=1&amp;y=2|Read &lt;@U123&gt; &amp; friends>" in raw


def test_a_long_week_stays_within_slacks_limits(
    slack_cohort, september_week, class_list, slack_standin, time_machine, run_dispatch
):
    PreworkItem.objects.bulk_create(
        PreworkItem(
            week=september_week, title=f"Lecture {n} " + "x" * 180, minutes=10, order=10 + n
        )
        for n in range(400)
    )
    Assignment.objects.bulk_create(
        Assignment(
            week=september_week,
            title=f"Exercise {n} " + "y" * 180,
            due_at=september_week.session_start,
        )
        for n in range(300)
    )
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    [message] = slack_standin.messages
    assert len(message["blocks"]) <= slack.MAX_BLOCKS
    assert all(len(text) <= slack.MAX_SECTION_TEXT for text in block_texts(message))
    assert len(message["text"]) <= slack.MAX_FALLBACK_TEXT
    texts = block_texts(message)
    everything = "\n".join(texts)
    assert "• …and 379 more on the Week 1 page" in everything  # 403 items, 24 shown
    assert "• …and 277 more on the Week 1 page" in everything  # 301 assignments, 24 shown
    assert "Open Week 1 in Homeroom" in texts[-1]
    assert digests().get().status == "sent"


def test_a_daily_cohorts_long_digest_sends_people_to_the_days_page(slack_cohort, september_week):
    """A list cut short says where the rest is in the cohort's own words ("the Day 1
    page"), and so does a message cut at Slack's block limit."""
    slack_cohort.unit_name = "Day"
    slack_cohort.save(update_fields=["unit_name"])
    september_week.refresh_from_db()
    PreworkItem.objects.bulk_create(
        PreworkItem(week=september_week, title=f"Video {n}", minutes=10, order=10 + n)
        for n in range(30)
    )
    message = digest.build(slack_cohort, september_week)
    everything = "\n".join(block_texts(message))
    assert "more on the Day 1 page" in everything
    shown = re.sub(r"<[^|>]*\|", "<", everything)  # links' labels, not their URLs
    assert "more on the day 1 page" in shown.lower()
    assert "week" not in shown.lower()
    cut = slack.message(
        [slack.section(str(n)) for n in range(80)],
        "x",
        more_url=None,
        more_text="More on the Day 1 page",
    )
    assert cut["blocks"][-1]["elements"][0]["text"] == "…More on the Day 1 page."


def test_discussion_sections_join_the_digest(
    slack_cohort, september_week, class_list, slack_standin, time_machine, run_dispatch
):
    ada, bea = class_list["ada"], class_list["bea"]
    hard = MuddiestPoint.objects.create(
        week=september_week, author=ada, text="Why is x² still <linear>?"
    )
    MuddiestPoint.objects.create(week=september_week, author=bea, text="Learning rates")
    MuddiestVote.objects.create(point=hard, user=bea)
    time_machine.move_to(berlin_time("2026-08-30 12:00"))
    SharedResource.objects.create(
        week=september_week, shared_by=bea, title="3Blue1Brown", url="https://youtube.com/3b1b"
    )
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    text = "\n".join(block_texts(slack_standin.messages[0]))
    assert (
        "*Muddiest points so far*\n• Why is x² still &lt;linear&gt;? (+1)\n• Learning rates" in text
    )
    assert (
        "*New shared resources*\n• <https://youtube.com/3b1b|3Blue1Brown> — shared by Bea" in text
    )


# --- Slack's answers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (answers.NO_SERVICE, "404 no_service"),
        (answers.CHANNEL_ARCHIVED, "410 channel_is_archived"),
        (answers.FORBIDDEN, "403 action_prohibited"),
    ],
)
def test_a_gone_webhook_is_disabled_and_the_organizers_are_told(
    slack_cohort,
    class_list,
    people,
    slack_standin,
    time_machine,
    run_dispatch,
    client_for,
    answer,
    why,
):
    slack_standin.answer(answer)
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()

    row = digests().get()
    assert (row.status, row.attempts) == ("failed", 1)
    assert why in row.last_error
    slack_cohort.refresh_from_db()
    assert slack_cohort.slack_webhook_disabled_at is not None
    assert why in slack_cohort.slack_webhook_error
    assert not slack_cohort.slack_enabled

    [email] = [m for m in mail.outbox if m.to == [people["organizer"].email]]
    assert "paused" in email.subject
    assert why in email.body
    assert "/c/ml/manage/notifications/" in email.body
    assert Delivery.objects.get(kind="webhook_disabled").status == "sent"

    page = client_for(people["organizer"]).get(reverse("cohorts:detail", args=["ml"]))
    assert "Slack digests are paused" in page.content.decode()
    page = client_for(people["participant"]).get(reverse("cohorts:detail", args=["ml"]))
    assert "Slack digests are paused" not in page.content.decode()

    # Nothing more goes to the dead webhook, and the organizers are told once.
    time_machine.move_to(berlin_time("2026-09-07 09:00"))
    run_dispatch()
    assert len(slack_standin.requests) == 1
    assert Delivery.objects.filter(kind="webhook_disabled").count() == 1


def test_a_new_webhook_url_resumes_the_digest(
    slack_cohort, people, class_list, slack_standin, time_machine, run_dispatch, client_for
):
    Cohort.objects.filter(pk=slack_cohort.pk).update(
        slack_webhook_disabled_at=timezone.now(), slack_webhook_error="Slack answered 404"
    )
    client = client_for(people["organizer"])
    client.post(
        reverse("notifications:manage_notifications", args=["ml"]),
        {
            "reminder_lead_hours": 48,
            "digest_weekday": 0,
            "digest_time": "09:00",
            "slack_webhook": f"{slack_standin.base_url}/services/T1/B1/newnewnew1234",
        },
    )
    slack_cohort.refresh_from_db()
    assert slack_cohort.slack_enabled
    time_machine.move_to(berlin_time("2026-08-31 09:00"))
    run_dispatch()
    assert slack_standin.requests[0]["path"] == "/services/T1/B1/newnewnew1234"


def test_rate_limited_is_requeued_after_retry_after_without_sleeping(
    slack_cohort, class_list, slack_standin, time_machine, monkeypatch
):
    row = claim_digest(time_machine)
    slack_standin.answer(answers.rate_limited(7))
    requested = {}

    def retry(countdown=None, **kwargs):
        requested["countdown"] = countdown
        return Retry(when=countdown)

    def no_sleeping(seconds):
        raise AssertionError(f"a worker slept {seconds} s")

    monkeypatch.setattr(send_delivery, "retry", retry)
    monkeypatch.setattr(time, "sleep", no_sleeping)
    with pytest.raises(Retry):
        send_delivery(row.pk)

    assert requested == {"countdown": 7}
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "429 rate_limited" in row.last_error
    waits = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=6) < waits <= timedelta(seconds=7)

    # A duplicate copy that runs early leaves the row to the scheduled retry.
    send_delivery(row.pk)
    assert len(slack_standin.requests) == 1

    time_machine.shift(timedelta(seconds=7))
    assert send_delivery(row.pk) == "sent"
    assert len(slack_standin.requests) == 2


def test_server_errors_retry_with_backoff_then_fail(
    slack_cohort, class_list, slack_standin, time_machine
):
    row = claim_digest(time_machine)
    slack_standin.answer(*[answers.SERVER_ERROR] * outbox.MAX_ATTEMPTS)
    outcomes = [outbox.send(row.pk) for _ in range(outbox.MAX_ATTEMPTS)]
    assert [o.retry_in for o in outcomes] == [30, 60, 120, 240, None]
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert "500 internal_error" in row.last_error
    slack_cohort.refresh_from_db()
    assert slack_cohort.slack_enabled  # a Slack outage does not disable the webhook


def test_a_hanging_slack_times_out_and_is_retried(
    slack_cohort, class_list, slack_standin, time_machine
):
    row = claim_digest(time_machine)
    slack_standin.answer(answers.HANG)
    started = time.monotonic()
    outcome = outbox.send(row.pk)
    assert time.monotonic() - started < 5  # SLACK_TIMEOUT_SECONDS is 1 in these tests
    assert outcome.retry_in == 30
    row.refresh_from_db()
    assert row.status == "pending"
    assert "No answer from Slack" in row.last_error
    assert "timed out" in row.last_error.lower()

    time_machine.shift(timedelta(seconds=30))
    assert outbox.send(row.pk).delivery.status == "sent"


def test_a_rejected_payload_fails_without_retrying_or_disabling(
    slack_cohort, class_list, slack_standin, time_machine
):
    row = claim_digest(time_machine)
    slack_standin.answer(answers.INVALID_PAYLOAD)
    outcome = outbox.send(row.pk)
    assert outcome.retry_in is None
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("failed", "Slack answered 400 invalid_payload")
    slack_cohort.refresh_from_db()
    assert slack_cohort.slack_enabled


def test_a_stored_url_outside_slack_is_never_called(
    slack_cohort, class_list, slack_standin, time_machine, settings
):
    row = claim_digest(time_machine)
    settings.SLACK_WEBHOOK_URL_PREFIXES = ["https://hooks.slack.com/"]
    outbox.send(row.pk)
    row.refresh_from_db()
    assert row.status == "failed"
    assert "not a Slack webhook URL" in row.last_error
    assert slack_standin.requests == []


def test_a_digest_claimed_before_the_webhook_was_removed_is_skipped(
    slack_cohort, class_list, slack_standin, time_machine
):
    row = claim_digest(time_machine)
    slack_cohort.slack_webhook_url = ""
    slack_cohort.save(update_fields=["slack_webhook_sealed", "slack_webhook_digest"])
    outbox.send(row.pk)
    row.refresh_from_db()
    assert (row.status, row.last_error) == ("skipped", "The cohort has no working Slack webhook.")
    assert slack_standin.requests == []


def test_completion_counts_come_from_progress(slack_cohort, class_list, prework, time_machine):
    week2 = slack_cohort.weeks.get(number=2)
    Completion.objects.create(user=class_list["par"], item=prework["video1"])
    Completion.objects.create(user=class_list["par"], item=prework["video2"])
    assert digest.completion_line(slack_cohort, week2) == (
        "Last week (Week 1): 2 of 4 finished the pre-work."
    )


def test_a_message_never_has_more_than_fifty_blocks():
    blocks = [slack.section(f"Block {n}") for n in range(80)]
    message = slack.message(blocks, "x" * 5000, more_url="https://homeroom.example.com/w/1/")
    assert len(message["blocks"]) == slack.MAX_BLOCKS
    assert message["blocks"][-1]["elements"][0]["text"] == (
        "…<https://homeroom.example.com/w/1/|More on the week page>"
    )
    assert len(message["text"]) == slack.MAX_FALLBACK_TEXT


def test_a_section_is_cut_at_three_thousand_characters():
    block = slack.section("y" * 4000)
    assert len(block["text"]["text"]) == slack.MAX_SECTION_TEXT
    assert block["text"]["text"].endswith("…")
