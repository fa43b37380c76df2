"""Account emails (sign-in codes, password resets, verification): sent at once in the
request, never stored with their secret, and a clear page when the mail server refuses."""

import importlib
import re

import pytest
from django.apps import apps
from django.contrib.admin.sites import site
from django.core import mail
from django.test import RequestFactory
from django.urls import reverse

from assignments.models import Completion
from cohorts.models import Invitation, Role
from notifications.invitations import claim_invitation_email
from notifications.models import Delivery

from .smtp_standin import smtp_standin

pytestmark = pytest.mark.django_db


def code_in(body):
    return re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})?)\s*$", body, re.M).group(1)


def stored_text(row):
    return " ".join(str(getattr(row, f.name)) for f in Delivery._meta.fields)


def test_a_sign_in_code_is_sent_but_never_stored(client, make_user):
    make_user("ada@example.com", "Ada")
    client.post(reverse("account_request_login_code"), {"email": "ada@example.com"})
    [message] = mail.outbox
    code = code_in(message.body)
    row = Delivery.objects.get(kind="account:login_code")
    assert (row.recipient, row.status) == ("ada@example.com", "sent")
    assert row.body_text == row.body_html == ""
    assert code not in stored_text(row)


def test_when_the_mail_server_refuses_the_page_says_so_and_the_row_is_failed(
    client, make_user, settings, prework, people, client_for
):
    make_user("ada@example.com", "Ada")
    with smtp_standin(settings, refuse_rcpt="554 5.7.1 Relay access denied") as server:
        response = client.post(reverse("account_request_login_code"), {"email": "ada@example.com"})
    assert response.status_code == 503
    page = response.content.decode()
    assert "We could not send the code just now — try again" in page
    assert 'href="/accounts/login/code/"' in page
    assert server.envelopes == []
    row = Delivery.objects.get(kind="account:login_code")
    assert (row.status, row.attempts) == ("failed", 1)
    assert "554 5.7.1 Relay access denied" in row.last_error
    assert row.next_attempt_at is None  # no silent retry after the code expired
    # Nothing holds a lock: another write goes through at once.
    Completion.objects.create(user=people["participant"], item=prework["video1"])


def test_a_mail_server_that_does_not_answer_in_time_gives_the_same_page(
    client, make_user, settings
):
    make_user("ada@example.com", "Ada")
    settings.EMAIL_SEND_DEADLINE_SECONDS = 1
    with smtp_standin(settings, refuse_rcpt="421 4.7.0 Try again later"):
        response = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    assert response.status_code == 503
    assert "We could not send the code just now — try again" in response.content.decode()
    row = Delivery.objects.get(kind="account:password_reset_key")
    assert row.status == "failed"
    assert "421" in row.last_error


def test_password_reset_links_use_site_url_not_the_request_host(client, make_user, settings):
    settings.SITE_URL = "https://homeroom.example.com"
    settings.ALLOWED_HOSTS = ["*"]
    make_user("ada@example.com", "Ada")
    client.post(
        reverse("account_reset_password"),
        {"email": "ada@example.com"},
        HTTP_HOST="attacker.example",
    )
    [message] = mail.outbox
    assert "https://homeroom.example.com/accounts/password/reset/key/" in message.body
    assert "attacker.example" not in message.body


def test_stored_account_email_bodies_are_purged(db):
    Delivery.objects.create(
        kind="account:login_code",
        recipient="ada@example.com",
        dedupe_key="account:old",
        body_text="Your code: ABC-DEF",
        body_html="<p>ABC-DEF</p>",
    )
    Delivery.objects.create(
        kind="reminder", recipient="bea@example.com", dedupe_key="reminder:old", body_text="Hi"
    )
    migration = importlib.import_module("notifications.migrations.0003_purge_account_email_bodies")
    migration.purge(apps, None)
    account = Delivery.objects.get(kind="account:login_code")
    assert (account.body_text, account.body_html, account.status) == ("", "", "pending")
    assert Delivery.objects.get(kind="reminder").body_text == "Hi"


def test_the_admin_masks_account_bodies_and_invitation_links(cohort, make_user):
    staff = make_user("staff@example.com", "Staff", staff=True)
    staff.is_superuser = True
    staff.save()
    account = Delivery.objects.create(
        kind="account:login_code",
        recipient="ada@example.com",
        dedupe_key="account:x",
        body_text="Your code: ABC-DEF",
    )
    invitation = Invitation.objects.create(
        cohort=cohort, email="new@example.com", role=Role.PARTICIPANT, invited_by=staff
    )
    invitation.sent_count = 1
    invited = claim_invitation_email(invitation)
    request = RequestFactory().get("/")
    request.user = staff
    admin = site._registry[Delivery]
    for row, secret in ((account, "ABC-DEF"), (invited, invitation.token)):
        response = admin.change_view(request, str(row.pk))
        response.render()
        assert secret not in response.content.decode()


def test_email_subjects_are_plain_text_on_one_line(cohort, make_user):
    cohort.title = "R&D <Lab>\nTeam"
    cohort.save()
    organizer = make_user("olga@example.com", "Olga")
    invitation = Invitation.objects.create(
        cohort=cohort, email="new@example.com", role=Role.PARTICIPANT, invited_by=organizer
    )
    invitation.sent_count = 1
    row = claim_invitation_email(invitation)
    assert row.subject == "You're invited to R&D <Lab> Team on Homeroom"
