"""Homework reminders: to the right people, once, at the right time, saying what is left."""

from datetime import timedelta

import pytest
from django.core import mail

from assignments import reminders
from assignments.models import Completion
from cohorts.models import Membership, Role
from notifications import dispatch, outbox
from notifications.models import Delivery
from tests.conftest import berlin_time

pytestmark = pytest.mark.django_db


def reminder_rows():
    return Delivery.objects.filter(kind="reminder").order_by("recipient")


def test_nothing_before_the_reminder_time(class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-09-01 15:55"))
    run_dispatch()
    assert not reminder_rows().exists()
    assert mail.outbox == []


def test_reminders_go_only_to_participants_with_work_left(class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    run_dispatch()

    assert sorted(m.to[0] for m in mail.outbox) == ["bea@example.com", "par@example.com"]
    assert [(d.recipient, d.status) for d in reminder_rows()] == [
        ("bea@example.com", "sent"),
        ("par@example.com", "sent"),
    ]


def test_the_email_says_exactly_what_is_left_and_when_the_session_is(
    class_list, prework, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-09-01 16:05"))
    run_dispatch()
    [email] = [m for m in mail.outbox if m.to == ["bea@example.com"]]

    assert email.subject == "Week 1 of Machine Learning: 1 video, 11 min left before the session"
    text = email.body
    assert "Thu 3 Sep 2026, 16:00 (Europe/Berlin)" in text
    assert "Gradient descent (video, 11 min)" in text
    assert "https://videos.example.com/gd" in text
    assert "Linear regression" not in text  # done already
    assert "Extra reading" not in text  # optional
    assert "Notebook" not in text  # handed in
    assert "http://localhost:8000/c/ml/weeks/1/" in text
    html, mimetype = email.alternatives[0]
    assert mimetype == "text/html"
    assert '<a href="https://videos.example.com/gd">Gradient descent</a>' in html

    [full] = [m for m in mail.outbox if m.to == ["par@example.com"]]
    assert "2 videos, 1 assignment, 25 min left" in full.subject
    assert "Assignment: Notebook, due Thu 3 Sep 2026, 16:00" in full.body


def test_reminders_carry_one_click_unsubscribe_headers(class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-09-01 16:05"))
    run_dispatch()
    email = mail.outbox[0]
    membership = Membership.objects.get(user__email=email.to[0])
    url = f"http://localhost:8000/unsubscribe/{membership.unsubscribe_token}/"
    assert email.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert email.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert url in email.body
    message = email.message()
    assert message["List-Unsubscribe"] == f"<{url}>"


def test_one_reminder_per_person_per_week_however_often_dispatch_runs(
    class_list, time_machine, run_dispatch
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    run_dispatch()
    for minutes in (5, 10, 600, 1400):
        time_machine.move_to(berlin_time("2026-09-01 16:00") + timedelta(minutes=minutes))
        run_dispatch()
    assert len(mail.outbox) == 2
    assert reminder_rows().count() == 2


def test_a_facilitator_who_is_also_listed_gets_nothing_and_a_participant_gets_one(
    cohort, class_list, people, time_machine, run_dispatch
):
    # Roles are per membership, one membership per person and cohort: the organizer and the
    # facilitator are not participants, so they never get a homework reminder.
    time_machine.move_to(berlin_time("2026-09-02 09:00"))
    run_dispatch()
    recipients = [m.to[0] for m in mail.outbox]
    assert people["organizer"].email not in recipients
    assert people["facilitator"].email not in recipients
    assert len(recipients) == len(set(recipients))


def test_no_reminder_once_the_session_has_begun(class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-09-03 16:00"))
    run_dispatch()
    assert not reminder_rows().filter(week__number=1).exists()
    assert mail.outbox == []


def test_unpublished_week_waits_for_publishing(
    september_week, class_list, time_machine, run_dispatch
):
    september_week.publish_at = berlin_time("2026-09-02 12:00")
    september_week.save()
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    run_dispatch()
    assert mail.outbox == []
    time_machine.move_to(berlin_time("2026-09-02 12:05"))
    run_dispatch()
    reminders_sent = [m for m in mail.outbox if m.subject.endswith("before the session")]
    assert len(reminders_sent) == 2


def test_a_moved_session_moves_its_reminder(september_week, class_list, time_machine, run_dispatch):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    run_dispatch()
    assert len(mail.outbox) == 2
    september_week.session_start = berlin_time("2026-09-05 10:00")  # postponed to Saturday
    september_week.save()
    time_machine.move_to(berlin_time("2026-09-02 16:00"))
    run_dispatch()
    assert len(mail.outbox) == 2  # not yet: 48 h before Saturday 10:00 is Thursday 10:00
    time_machine.move_to(berlin_time("2026-09-03 10:00"))
    run_dispatch()
    assert len(mail.outbox) == 4
    assert "Sat 5 Sep 2026, 10:00" in mail.outbox[-1].body


def test_changed_lead_time_is_honoured(cohort, class_list, time_machine, run_dispatch):
    cohort.reminder_lead_hours = 24
    cohort.save()
    time_machine.move_to(berlin_time("2026-09-02 15:59"))
    run_dispatch()
    assert mail.outbox == []
    time_machine.move_to(berlin_time("2026-09-02 16:00"))
    run_dispatch()
    assert len(mail.outbox) == 2


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("finish", "Finished everything in time."),
        ("opt_out", "Switched reminders off."),
        ("leave", "Left the cohort."),
        ("become_facilitator", "No longer a participant."),
    ],
)
def test_the_send_rechecks_and_skips_who_no_longer_needs_one(
    class_list, prework, time_machine, django_capture_on_commit_callbacks, change, reason
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):  # claimed, not sent yet
        result = dispatch.run()
    bea = class_list["bea"]
    membership = Membership.objects.get(user=bea)
    if change == "finish":
        Completion.objects.create(user=bea, item=prework["video2"])
    elif change == "opt_out":
        membership.reminders_opt_out = True
    elif change == "leave":
        membership.left_at = time_machine_now()
    elif change == "become_facilitator":
        membership.role = Role.FACILITATOR
    membership.save()

    for pk in result.to_send:
        outbox.send(pk)

    assert [m.to for m in mail.outbox] == [["par@example.com"]]
    row = Delivery.objects.get(kind="reminder", recipient="bea@example.com")
    assert (row.status, row.last_error, row.attempts) == ("skipped", reason, 0)


def time_machine_now():
    from django.utils import timezone

    return timezone.now()


def test_the_email_lists_what_is_left_when_it_is_sent(
    class_list, prework, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):
        result = dispatch.run()
    Completion.objects.create(user=class_list["par"], item=prework["video1"])
    for pk in result.to_send:
        outbox.send(pk)
    [email] = [m for m in mail.outbox if m.to == ["par@example.com"]]
    assert "Linear regression" not in email.body
    assert "1 video, 1 assignment, 11 min left" in email.subject


def test_a_claimed_reminder_not_sent_before_the_session_is_marked_missed(
    class_list, time_machine, django_capture_on_commit_callbacks
):
    time_machine.move_to(berlin_time("2026-09-01 16:00"))
    with django_capture_on_commit_callbacks(execute=False):
        result = dispatch.run()
    time_machine.move_to(berlin_time("2026-09-03 16:00"))
    for pk in result.to_send:
        outbox.send(pk)
    assert mail.outbox == []
    assert set(reminder_rows().values_list("status", flat=True)) == {"missed"}
    assert "Too late" in reminder_rows().first().last_error


def test_reminder_time_keeps_the_local_clock_across_a_dst_change(cohort):
    week = cohort.weeks.get(number=9)  # Thu 29 Oct 2026 16:00 CET; DST ended Sun 25 Oct
    assert cohort.local(week.session_start).hour == 16
    cohort.reminder_lead_hours = 24 * 5  # the Saturday before, across the change
    assert cohort.local(reminders.reminder_time(cohort, week)) == berlin_time("2026-10-24 16:00")
