"""Invitations cannot mass-mail: a paste has at most 200 addresses, each cohort and each
organizer sends at most 500 a day, and a double click on "Resend" sends one email."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Invitation

pytestmark = pytest.mark.django_db


def paste(client, cohort, lines):
    url = reverse("cohorts:manage_invitations", args=[cohort.slug])
    return client.post(url, {"emails": "\n".join(lines), "role": "participant"})


@pytest.fixture
def organizer(cohort, people, no_500):
    no_500.force_login(people["organizer"])
    return no_500


def test_a_paste_has_at_most_200_addresses(cohort, organizer, post_committed, finishes):
    addresses = [f"person{n}@example.com" for n in range(201)]
    response = paste(organizer, cohort, addresses)
    assert response.status_code == 200
    assert "Paste at most 200 addresses at a time." in response.content.decode()
    assert not Invitation.objects.exists() and not mail.outbox
    with finishes():
        url = reverse("cohorts:manage_invitations", args=[cohort.slug])
        response = post_committed(
            organizer, url, {"emails": "\n".join(addresses[:200]), "role": "participant"}
        )
    assert response.status_code == 302
    assert Invitation.objects.count() == 200 and len(mail.outbox) == 200


def test_an_address_longer_than_the_column_is_a_line_error(cohort, organizer):
    response = paste(organizer, cohort, ["a" * 64 + "@" + ("b" * 60 + ".") * 4 + "com"])
    assert response.status_code == 200
    assert "An address has at most 254 characters." in response.content.decode()
    assert not Invitation.objects.exists()


def test_a_cohort_sends_at_most_500_a_day(cohort, people, organizer, make_user):
    now = timezone.now()
    for n in range(5):
        Invitation.objects.create(
            cohort=cohort, email=f"old{n}@example.com", sent_count=100, last_sent_at=now
        )
    response = paste(organizer, cohort, ["new@example.com"])
    assert response.status_code == 200
    assert "A cohort sends at most 500 invitations a day" in response.content.decode()
    assert not Invitation.objects.filter(email="new@example.com").exists()
    assert not mail.outbox
    # A day later, the cohort invites again.
    Invitation.objects.update(last_sent_at=now - timezone.timedelta(days=1, minutes=1))
    assert paste(organizer, cohort, ["new@example.com"]).status_code == 302


def test_an_organizer_sends_at_most_500_a_day(cohort, other_cohort, people, organizer):
    for n in range(5):
        Invitation.objects.create(
            cohort=other_cohort,
            email=f"old{n}@example.com",
            invited_by=people["organizer"],
            sent_count=100,
            last_sent_at=timezone.now(),
        )
    response = paste(organizer, cohort, ["new@example.com"])
    assert "You can send at most 500 invitations a day" in response.content.decode()
    assert not Invitation.objects.filter(cohort=cohort).exists()


def test_resend_twice_sends_once(cohort, people, organizer, post_committed):
    invitation = Invitation.objects.create(
        cohort=cohort, email="ada@example.com", sent_count=1, last_sent_at=timezone.now()
    )
    url = reverse("cohorts:manage_invitation_resend", args=[cohort.slug, invitation.pk])
    response = post_committed(organizer, url, follow=True)
    assert "give it a little time before resending" in response.content.decode()
    assert not mail.outbox
    Invitation.objects.update(last_sent_at=timezone.now() - timezone.timedelta(minutes=11))
    for _ in range(3):
        post_committed(organizer, url)
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    invitation.refresh_from_db()
    assert invitation.sent_count == 2
