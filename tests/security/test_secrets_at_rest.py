"""Secrets at rest: a copy of the database holds no invitation link, join code, calendar token
or Slack webhook URL in clear, and every such link still works for the person who has it."""

import email as email_parser

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from cohorts import joining
from cohorts.models import Cohort, Invitation, JoinLink, Membership
from cohorts.secrets import UnreadableSecret
from notifications import outbox
from notifications.models import Delivery
from tests.notifications.smtp_standin import smtp_standin

WEBHOOK = "https://hooks.slack.com/services/T0SECRET/B0SECRET/abcdefghijklmnopqrstuvwx"


def database_dump():
    """Every value in every table, as text: what a backup or a read-only SQL account sees."""
    values = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            values.extend(str(value) for row in cursor.fetchall() for value in row)
    return "\n".join(values)


def invite(client, cohort, address):
    return client.post(
        reverse("cohorts:manage_invitations", args=[cohort.slug]),
        {"emails": address, "role": "participant"},
    )


@pytest.mark.django_db(transaction=True)
def test_an_invitation_email_carries_the_link_and_the_database_never_holds_it(
    cohort, people, client_for, settings
):
    organizer = client_for(people["organizer"])
    with smtp_standin(settings) as server:
        assert invite(organizer, cohort, "ada@example.com").status_code == 302
    [envelope] = server.envelopes
    message = email_parser.message_from_bytes(envelope.content)
    text = next(
        part.get_payload(decode=True).decode()
        for part in message.walk()
        if part.get_content_type() == "text/plain"
    )
    invitation = Invitation.objects.get(email="ada@example.com")
    link = invitation.get_absolute_url()
    assert link in text
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert len(token) >= 43

    dump = database_dump()
    assert token not in dump
    row = Delivery.objects.get(kind="invitation")
    assert row.status == "sent"
    assert "written in when the email is sent" in row.body_text
    # The link opens the invitation for the person it was sent to.
    page = client_for(None).get(link)
    assert page.status_code == 200
    assert "ada@example.com" in page.content.decode()


@pytest.mark.django_db
def test_an_invitation_revoked_before_its_email_goes_out_is_not_sent(cohort, people):
    from notifications.invitations import claim_invitation_email

    invitation = Invitation.objects.create(cohort=cohort, email="late@example.com")
    row = claim_invitation_email(invitation)
    Invitation.objects.filter(pk=invitation.pk).update(revoked_at=invitation.created_at)
    outcome = outbox.send(row.pk)
    assert mail.outbox == []
    assert (outcome.delivery.status, outcome.delivery.last_error) == (
        "skipped",
        "The invitation is revoked by now.",
    )


@pytest.mark.django_db
def test_join_code_calendar_token_and_webhook_are_sealed_and_still_work(cohort, people, client_for):
    link = joining.switch_on(cohort)
    membership = Membership.objects.get(user=people["participant"], cohort=cohort)
    cohort.slack_webhook_url = WEBHOOK
    cohort.save()

    dump = database_dump()
    for secret in (link.code, membership.calendar_token, WEBHOOK, "abcdefghijklmnopqrstuvwx"):
        assert secret not in dump

    # The organizer sees the join link, and it opens the cohort's join page.
    organizer = client_for(people["organizer"])
    page = organizer.get(reverse("cohorts:manage_join_link", args=[cohort.slug]))
    assert f"/join/{link.code}/" in page.content.decode()
    assert client_for(None).get(f"/join/{link.code}/").status_code == 200
    assert client_for(None).get(f"/join/{link.code[:-1]}x/").status_code == 404
    # The member's calendar link works; the organizer sees only the webhook's end.
    feed = client_for(None).get(membership.get_calendar_url())
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content
    organizer = client_for(people["organizer"])
    settings_page = organizer.get(reverse("notifications:manage_notifications", args=["ml"]))
    assert "…uvwx" in settings_page.content.decode()
    assert WEBHOOK not in settings_page.content.decode()
    assert Cohort.objects.get(pk=cohort.pk).slack_webhook_url == WEBHOOK


@pytest.mark.django_db
def test_resetting_the_calendar_link_stops_the_old_one(cohort, people, client_for):
    membership = Membership.objects.get(user=people["participant"], cohort=cohort)
    old_url = membership.get_calendar_url()
    client_for(people["participant"]).post(reverse("cohorts:calendar_reset", args=["ml"]))
    membership.refresh_from_db()
    assert membership.get_calendar_url() != old_url
    assert client_for(None).get(old_url).status_code == 404
    assert client_for(None).get(membership.get_calendar_url()).status_code == 200


@pytest.mark.django_db
def test_a_new_secret_key_reads_old_secrets_while_the_old_key_is_a_fallback(cohort, settings):
    cohort.slack_webhook_url = WEBHOOK
    cohort.save()
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-for-this-test"
    assert Cohort.objects.get(pk=cohort.pk).slack_webhook_url == WEBHOOK
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(UnreadableSecret, match="SECRET_KEY_FALLBACKS"):
        _ = Cohort.objects.get(pk=cohort.pk).slack_webhook_url


BEFORE = [
    ("cohorts", "0010_join_link_and_how_members_joined"),
    ("notifications", "0003_purge_account_email_bodies"),
]


@pytest.mark.django_db(transaction=True)
def test_secrets_stored_in_clear_before_are_sealed_and_their_links_keep_working(client, settings):
    executor = MigrationExecutor(connection)
    latest = executor.loader.graph.leaf_nodes()
    token, code, feed_token = "i" * 43, "j" * 43, "k" * 43
    try:
        executor.migrate(BEFORE)
        old = executor.loader.project_state(BEFORE).apps
        user = old.get_model("cohorts", "User").objects.create(email="pat@example.com")
        cohort = old.get_model("cohorts", "Cohort").objects.create(
            title="Before",
            slug="before",
            start_date="2026-01-05",
            session_weekday=0,
            session_time="10:00",
            slack_webhook_url=WEBHOOK,
        )
        old.get_model("cohorts", "Membership").objects.create(
            user=user, cohort=cohort, calendar_token=feed_token
        )
        invitation = old.get_model("cohorts", "Invitation").objects.create(
            cohort=cohort,
            email="ada@example.com",
            token=token,
            expires_at="2100-01-01T00:00Z",
        )
        old.get_model("cohorts", "JoinLink").objects.create(cohort=cohort, code=code)
        old.get_model("notifications", "Delivery").objects.create(
            kind="invitation",
            cohort=cohort,
            recipient="ada@example.com",
            dedupe_key=f"invitation:{invitation.pk}:0",
            subject="You are invited",
            body_text=f"Open this link:\nhttp://127.0.0.1:8000/invite/{token}/\n",
            body_html=f'<a href="http://127.0.0.1:8000/invite/{token}/">Accept</a>',
        )
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(latest)

    dump = database_dump()
    for secret in (token, code, feed_token, WEBHOOK):
        assert secret not in dump
    assert Cohort.objects.get(slug="before").slack_webhook_url == WEBHOOK
    assert client.get(f"/invite/{token}/").status_code == 200
    assert client.get(f"/join/{code}/").status_code == 200
    assert client.get(f"/c/before/calendar.ics?token={feed_token}").status_code == 200
    assert JoinLink.objects.get().code == code
    # The invitation email still waiting gets its link written in when it goes out.
    row = Delivery.objects.get(kind="invitation")
    outbox.send(row.pk)
    [sent] = mail.outbox
    assert f"{settings.SITE_URL}/invite/{token}/" in sent.body
    assert token not in database_dump()
