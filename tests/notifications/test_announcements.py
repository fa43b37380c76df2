"""Announcements: the cohort's mailing list, over real SMTP and the Slack stand-in."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse

from cohorts.models import Membership
from notifications import preferences
from notifications.models import Announcement, Delivery, MailOptOut
from tests.conftest import assert_unsubscribes, berlin_time, html_of, text_of

pytestmark = pytest.mark.django_db


def url(cohort, name, *args):
    return reverse(f"notifications:{name}", args=[cohort.slug, *args])


def compose(client, cohort, post=None, **fields):
    """Fill in the form (as the page would, with its one-time key) and preview it."""
    page = client.get(url(cohort, "announcement_new"))
    form_key = page.context["form"].initial["form_key"]
    data = {
        "subject": "Room change",
        "body": "We meet in **room 4** on Thursday.",
        "audience": "everyone",
        "when": "now",
        "form_key": form_key,
        **fields,
    }
    return (post or client.post)(url(cohort, "announcement_new"), data)


@pytest.fixture
def organizer(client_for, people):
    return client_for(people["organizer"])


def test_send_now_emails_everyone_once_with_reply_to_and_unsubscribe(
    cohort, class_list, people, organizer, smtp_inbox, post_committed
):
    response = compose(organizer, cohort)
    announcement = Announcement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url(cohort, "announcement", announcement.pk)
    preview = organizer.get(response["Location"]).content.decode()
    assert "Who gets it (6)" in preview  # org, fac, par, ada, bea, cat (reminders off!)
    assert "Dan" not in preview  # left the cohort: not in the audience at all
    assert "<strong>room 4</strong>" in preview
    assert smtp_inbox() == {}  # a preview sends nothing

    send = url(cohort, "announcement_send", announcement.pk)
    post_committed(organizer, send)
    post_committed(organizer, send)  # a double click

    inbox = smtp_inbox()
    assert sorted(inbox) == [
        "ada@example.com",
        "bea@example.com",
        "cat@example.com",
        "fac@example.com",
        "org@example.com",
        "par@example.com",
    ]
    assert all(len(messages) == 1 for messages in inbox.values())
    [message] = inbox["par@example.com"]
    assert message["Subject"] == "Room change · Machine Learning"
    assert message["Reply-To"] == "org@example.com"
    membership = Membership.objects.get(user=class_list["par"], cohort=cohort)
    assert_unsubscribes(message, membership, "announcement")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "We meet in **room 4** on Thursday." in text_of(message)
    assert "<strong>room 4</strong>" in html_of(message)
    assert Delivery.objects.filter(kind="announcement", status="sent").count() == len(inbox)


def test_audiences(cohort, class_list, people, organizer):
    def recipients(audience):
        compose(organizer, cohort, audience=audience, subject=audience)
        announcement = Announcement.objects.get(subject=audience)
        page = organizer.get(url(cohort, "announcement", announcement.pk))
        return sorted(r.user.email for r in page.context["audience"].included)

    assert recipients("staff") == ["fac@example.com", "org@example.com"]
    assert recipients("participants") == [
        "ada@example.com",
        "bea@example.com",
        "cat@example.com",
        "par@example.com",
    ]


def test_work_left_audience_follows_the_current_session(
    cohort, class_list, organizer, time_machine
):
    time_machine.move_to(berlin_time("2026-09-01 10:00"), tick=False)
    compose(organizer, cohort, audience="work_left")
    announcement = Announcement.objects.get()
    page = organizer.get(url(cohort, "announcement", announcement.pk))
    audience = page.context["audience"]
    # Week 1 (the september_week of class_list): ada finished; dan left.
    assert sorted(r.user.email for r in audience.included) == [
        "bea@example.com",
        "cat@example.com",
        "par@example.com",
    ]
    assert [(r.user.email, r.reason) for r in audience.left_out] == [
        ("ada@example.com", "Nothing left to do.")
    ]
    assert "1 video, 11 min left" in page.content.decode()  # bea's reason


def test_the_work_left_audience_is_empty_after_the_last_session(
    cohort, class_list, organizer, time_machine, post_committed
):
    time_machine.move_to(cohort.weeks.last().session_end + timedelta(hours=1), tick=False)
    compose(organizer, cohort, audience="work_left")
    announcement = Announcement.objects.get()
    page = organizer.get(url(cohort, "announcement", announcement.pk)).content.decode()
    assert "There is no current session" in page
    assert "Nobody would get it" in page
    response = post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    page = organizer.get(response["Location"]).content.decode()
    assert "Nobody would get this announcement" in page
    assert not Delivery.objects.exists()
    announcement.refresh_from_db()
    assert announcement.status == "draft"


def test_announcements_switch_is_separate_from_reminders(
    cohort, class_list, organizer, smtp_inbox, post_committed
):
    bea = Membership.objects.get(user=class_list["bea"])
    preferences.switch(bea, "announcement", False)
    compose(organizer, cohort, audience="participants")
    announcement = Announcement.objects.get()
    page = organizer.get(url(cohort, "announcement", announcement.pk)).content.decode()
    assert "Switched announcements off." in page
    post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    # cat switched reminders off, yet gets announcements; bea switched announcements off.
    assert sorted(smtp_inbox()) == ["ada@example.com", "cat@example.com", "par@example.com"]


def test_one_click_unsubscribe_from_announcements_only(cohort, class_list):
    par = Membership.objects.get(user=class_list["par"])
    link = preferences.unsubscribe_url(par, "announcement").removeprefix("http://localhost:8000")
    client = Client(enforce_csrf_checks=True)
    page = client.get(link).content.decode()
    assert "Stop announcements?" in page
    assert not MailOptOut.objects.exists()  # a GET changes nothing
    response = client.post(
        link, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 200
    assert "Announcements are off" in response.content.decode()
    client.post(link)
    assert list(MailOptOut.objects.values_list("membership", "kind")) == [(par.pk, "announcement")]
    par.refresh_from_db()
    assert par.reminders_opt_out is False


def test_a_tampered_kind_token_is_not_found(cohort, class_list):
    par = Membership.objects.get(user=class_list["par"])
    token = preferences.unsubscribe_token(par, "announcement")
    response = Client().post(reverse("unsubscribe", args=[token[:-2] + "xx"]))
    assert response.status_code == 404
    assert not MailOptOut.objects.exists()


def test_scheduled_announcement_goes_out_once_at_its_time(
    cohort, class_list, organizer, smtp_inbox, time_machine, run_dispatch, post_committed
):
    time_machine.move_to(berlin_time("2026-09-01 10:00"))
    compose(organizer, cohort, when="at", send_at="2026-09-02T08:30", audience="staff")
    announcement = Announcement.objects.get()
    assert announcement.send_at == berlin_time("2026-09-02 08:30")
    post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    announcement.refresh_from_db()
    assert announcement.status == "scheduled"

    def announced():
        return {
            to: [m for m in messages if m["Subject"].startswith("Room change")]
            for to, messages in smtp_inbox().items()
            if any(m["Subject"].startswith("Room change") for m in messages)
        }

    preview = organizer.get(reverse("notifications:manage_dispatch", args=[cohort.slug]))
    assert "“Room change” goes out Wed 2 Sep 2026, 08:30 (Europe/Berlin)" in (
        preview.content.decode()
    )
    time_machine.move_to(berlin_time("2026-09-02 08:29"))
    run_dispatch()
    assert announced() == {}
    participant_view = Client()
    participant_view.force_login(class_list["par"])
    assert "Room change" not in participant_view.get(cohort.get_absolute_url()).content.decode()

    time_machine.move_to(berlin_time("2026-09-02 08:31"))
    run_dispatch()
    run_dispatch()
    inbox = announced()
    assert sorted(inbox) == ["fac@example.com", "org@example.com"]
    assert all(len(messages) == 1 for messages in inbox.values())


def test_cancel_a_schedule_needs_a_confirmation(
    cohort, class_list, organizer, time_machine, post_committed
):
    time_machine.move_to(berlin_time("2026-09-01 10:00"))
    compose(organizer, cohort, when="at", send_at="2026-09-02T08:30")
    announcement = Announcement.objects.get()
    post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    cancel = url(cohort, "announcement_cancel", announcement.pk)
    assert "Stop “Room change” from going out?" in organizer.get(cancel).content.decode()
    announcement.refresh_from_db()
    assert announcement.status == "scheduled"
    organizer.post(cancel)
    announcement.refresh_from_db()
    assert announcement.status == "draft"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"subject": "  "}, "This field is required."),
        ({"body": "   "}, "This field is required."),
        ({"body": "x" * 50_001}, "Ensure this value has at most 50000 characters"),
        ({"when": "at", "send_at": "2026-08-31T09:00"}, "That time has passed"),
        ({"when": "at", "send_at": "2027-01-01T09:00"}, "The cohort ends Thu 19 Nov 2026"),
        ({"when": "at", "send_at": "1999-01-01T09:00"}, "Choose a date between 2000 and 2100"),
        ({"when": "at", "send_at": ""}, "Choose when to send it"),
        ({"audience": "everybody"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(
    cohort, people, organizer, time_machine, fields, message
):
    time_machine.move_to(berlin_time("2026-09-01 10:00"))
    response = compose(organizer, cohort, **fields)
    assert response.status_code in (200, 400)
    assert message in response.content.decode()
    assert not Announcement.objects.exists()
    assert not Delivery.objects.exists()


def test_a_long_announcement_is_still_formatted(cohort, organizer, time_machine):
    """Up to the body's limit (50,000 characters), not only the 20,000 of other texts."""
    time_machine.move_to(berlin_time("2026-09-01 10:00"))
    body = "We meet in **room 4**.\n\n" + "A long paragraph of news. " * 1800
    assert 40_000 < len(body) < 50_000
    response = compose(organizer, cohort, body=body)
    assert response.status_code == 302
    preview = organizer.get(response["Location"]).content.decode()
    assert "<strong>room 4</strong>" in preview


def test_a_double_click_on_preview_saves_one_draft(cohort, people, organizer):
    page = organizer.get(url(cohort, "announcement_new"))
    data = {
        "subject": "Hi",
        "body": "Hello",
        "audience": "everyone",
        "when": "now",
        "form_key": page.context["form"].initial["form_key"],
    }
    first = organizer.post(url(cohort, "announcement_new"), data)
    second = organizer.post(url(cohort, "announcement_new"), data)
    assert first["Location"] == second["Location"]
    assert Announcement.objects.count() == 1


def test_participants_cannot_write_and_outsiders_see_nothing(cohort, people, client_for):
    participant = client_for(people["participant"])
    assert participant.get(url(cohort, "announcement_new")).status_code == 403
    outsider = client_for(people["outsider"])
    assert outsider.get(url(cohort, "announcements")).status_code == 404


def test_members_read_past_announcements_on_the_cohort_page_even_if_they_joined_later(
    cohort, people, organizer, make_user, client_for, post_committed
):
    compose(organizer, cohort, subject="Welcome, everyone")
    post_committed(organizer, url(cohort, "announcement_send", Announcement.objects.get().pk))
    compose(organizer, cohort, subject="Facilitators only", audience="staff")
    staff = Announcement.objects.get(subject="Facilitators only")
    post_committed(organizer, url(cohort, "announcement_send", staff.pk))

    late = make_user("late@example.com", "Lena Late")
    Membership.objects.create(user=late, cohort=cohort)
    client = client_for(late)
    page = client.get(cohort.get_absolute_url()).content.decode()
    assert "Welcome, everyone" in page
    assert "Facilitators only" not in page
    assert client.get(url(cohort, "announcement", staff.pk)).status_code == 404
    reading = client.get(url(cohort, "announcements")).content.decode()
    assert "We meet in <strong>room 4</strong> on Thursday." in reading
    assert (
        "Facilitators only"
        in client_for(people["facilitator"]).get(url(cohort, "announcements")).content.decode()
    )


def test_also_posted_to_slack_escaped(
    cohort, people, organizer, slack_standin, post_committed, settings
):
    cohort.slack_webhook_url = slack_standin.webhook_url
    cohort.save()
    long_tail = " word" * 2000  # 10,000 characters: more than a Slack section holds
    compose(
        organizer,
        cohort,
        subject="<!channel> ping",
        body="a < b & c" + long_tail,
        post_to_slack="on",
    )
    announcement = Announcement.objects.get()
    assert announcement.post_to_slack
    post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    [request] = slack_standin.requests
    text = str(request["json"])
    assert "&lt;!channel&gt; ping" in text
    assert "a &lt; b &amp; c" in text
    assert "<!channel>" not in text
    payload = request["json"]
    assert len(payload["text"]) <= 3000
    assert all(len(block["text"]["text"]) <= 3000 for block in payload["blocks"] if "text" in block)
    assert Delivery.objects.get(channel="slack").status == "sent"


def test_a_past_scheduled_announcement_is_refused_at_send_time(
    cohort, people, organizer, time_machine, post_committed
):
    time_machine.move_to(berlin_time("2026-09-01 10:00"))
    compose(organizer, cohort, when="at", send_at="2026-09-01T10:30")
    announcement = Announcement.objects.get()
    time_machine.move_to(berlin_time("2026-09-01 11:00"))
    response = post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    page = organizer.get(response["Location"]).content.decode()
    assert "That time has passed" in page
    announcement.refresh_from_db()
    assert announcement.status == "draft"
    assert not Delivery.objects.exists()


def queries_for(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path)  # warm up: the header's navigation is cached in the session
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path).status_code == 200
    return len(captured)


def test_pages_with_announcements_take_the_same_queries_however_many_people(
    cohort, people, organizer, make_user, post_committed
):
    compose(organizer, cohort)
    announcement = Announcement.objects.get()
    post_committed(organizer, url(cohort, "announcement_send", announcement.pk))
    paths = [
        cohort.get_absolute_url(),
        url(cohort, "announcements"),
        url(cohort, "announcement", announcement.pk),
    ]
    before = [queries_for(organizer, path) for path in paths]
    for n in range(15):
        Membership.objects.create(user=make_user(f"p{n}@example.com", f"P {n}"), cohort=cohort)
    for n in range(5):
        compose(organizer, cohort, subject=f"More {n}")
        more = Announcement.objects.get(subject=f"More {n}")
        post_committed(organizer, url(cohort, "announcement_send", more.pk))
    assert [queries_for(organizer, path) for path in paths] == before
