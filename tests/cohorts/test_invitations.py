from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from cohorts.models import Invitation, Membership, Role
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


def invite_url(cohort):
    return reverse("cohorts:manage_invitations", args=[cohort.slug])


def paste(post_committed, client, cohort, text, role="participant"):
    return post_committed(client, invite_url(cohort), {"emails": text, "role": role})


def test_pasting_emails_invites_each_with_its_role(cohort, people, client_for, post_committed):
    client = client_for(people["organizer"])
    response = paste(
        post_committed,
        client,
        cohort,
        "ada@example.com\n\n  Grace@Example.com , facilitator\nalan@example.com;organizer\n",
    )
    assert response.status_code == 302
    roles = dict(Invitation.objects.filter(cohort=cohort).values_list("email", "role"))
    assert roles == {
        "ada@example.com": Role.PARTICIPANT,
        "grace@example.com": Role.FACILITATOR,
        "alan@example.com": Role.ORGANIZER,
    }
    assert sorted(m.to[0] for m in mail.outbox) == sorted(roles)
    link = Invitation.objects.get(email="ada@example.com").get_absolute_url()
    ada_mail = next(m for m in mail.outbox if m.to == ["ada@example.com"])
    assert link in ada_mail.body
    assert link in ada_mail.alternatives[0][0]
    assert Delivery.objects.filter(kind="invitation", status="sent").count() == 3


def test_bad_lines_are_reported_by_number_and_nothing_is_imported(
    cohort, people, client_for, post_committed
):
    client = client_for(people["organizer"])
    text = "\n".join(
        [
            "ok@example.com",
            "not-an-email",
            "ok2@example.com, boss",
            "ok@example.com",
            "par@example.com",
            "a@example.com, participant, extra",
        ]
    )
    response = paste(post_committed, client, cohort, text)
    assert response.status_code == 200
    page = response.content.decode()
    for number in (2, 3, 4, 5, 6):
        assert f"Line {number}</strong>" in page
    assert "Line 1</strong>" not in page
    assert "already a member" in page
    assert "Unknown role" in page
    assert Invitation.objects.count() == 0
    assert mail.outbox == []


def test_empty_paste_is_an_error(cohort, people, client_for, post_committed):
    response = paste(post_committed, client_for(people["organizer"]), cohort, "\n  \n")
    assert response.status_code == 200
    assert Invitation.objects.count() == 0


def test_pending_invitation_is_not_duplicated(cohort, people, client_for, post_committed):
    client = client_for(people["organizer"])
    paste(post_committed, client, cohort, "ada@example.com")
    response = paste(post_committed, client, cohort, "ADA@example.com")
    assert "already has a pending invitation" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_resend_sends_again_with_the_same_link_and_revoke_confirms_first(
    cohort, people, client_for, post_committed
):
    client = client_for(people["organizer"])
    paste(post_committed, client, cohort, "ada@example.com")
    invitation = Invitation.objects.get()
    mail.outbox.clear()
    # A resend waits a little after the last sending (see cohorts.invitations).
    Invitation.objects.update(last_sent_at=timezone.now() - timedelta(hours=1))
    post_committed(
        client, reverse("cohorts:manage_invitation_resend", args=[cohort.slug, invitation.pk])
    )
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert invitation.get_absolute_url() in mail.outbox[0].body
    revoke_url = reverse("cohorts:manage_invitation_revoke", args=[cohort.slug, invitation.pk])
    confirm = client.get(revoke_url)
    assert "Revoke the invitation for ada@example.com?" in confirm.content.decode()
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    client.post(revoke_url)
    invitation.refresh_from_db()
    assert invitation.state == "revoked"


def test_opening_the_link_does_not_consume_it(cohort, people, make_user, client_for):
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    ada = make_user("ada@example.com", "Ada")
    client = client_for(ada)
    for _ in range(2):
        response = client.get(invitation.get_absolute_url())
        assert response.status_code == 200
        assert "Join Machine Learning" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.state == "pending"
    assert not Membership.objects.filter(user=ada).exists()


def test_anonymous_visitor_is_offered_sign_in_and_sign_up(cohort):
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    from django.test import Client

    page = Client().get(invitation.get_absolute_url()).content.decode()
    assert f"{reverse('account_login')}?next=" in page
    assert f"{reverse('account_signup')}?next=" in page


def test_accepting_as_the_invited_address_joins_with_the_role(cohort, make_user, client_for):
    invitation = Invitation.objects.create(
        cohort=cohort, email="ada@example.com", role=Role.FACILITATOR
    )
    ada = make_user("ada@example.com", "Ada")
    response = client_for(ada).post(invitation.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == cohort.get_absolute_url()
    membership = Membership.objects.get(user=ada)
    assert (membership.cohort, membership.role) == (cohort, Role.FACILITATOR)
    invitation.refresh_from_db()
    assert invitation.state == "accepted" and invitation.accepted_by == ada
    # Used once: the link now shows a clear page and grants nothing more.
    again = client_for(ada).post(invitation.get_absolute_url())
    assert again.status_code == 410
    assert "has been used" in again.content.decode()


def test_signed_in_as_another_address_cannot_accept(cohort, make_user, client_for):
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    mallory = make_user("mallory@example.com")
    client = client_for(mallory)
    page = client.get(invitation.get_absolute_url()).content.decode()
    assert "but you are signed in as" in page
    assert client.post(invitation.get_absolute_url()).status_code == 403
    assert not Membership.objects.filter(user=mallory).exists()
    invitation.refresh_from_db()
    assert invitation.state == "pending"


def test_an_invitation_only_grants_its_own_cohort(cohort, other_cohort, make_user, client_for):
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    ada = make_user("ada@example.com")
    client = client_for(ada)
    client.post(invitation.get_absolute_url())
    assert list(Membership.objects.filter(user=ada).values_list("cohort__slug", flat=True)) == [
        "ml"
    ]
    assert client.get(other_cohort.get_absolute_url()).status_code == 404


@pytest.mark.parametrize(
    ("change", "heading"),
    [
        ({"expires_at": timezone.now() - timedelta(minutes=1)}, "has expired"),
        ({"revoked_at": timezone.now()}, "was withdrawn"),
    ],
)
def test_expired_or_revoked_links_show_a_clear_page(cohort, make_user, client_for, change, heading):
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(**change)
    ada = make_user("ada@example.com")
    client = client_for(ada)
    response = client.get(invitation.get_absolute_url())
    assert response.status_code == 410
    assert heading in response.content.decode()
    assert client.post(invitation.get_absolute_url()).status_code == 410
    assert not Membership.objects.filter(user=ada).exists()


def test_unknown_token_is_404(client):
    assert client.get(reverse("invitation", args=["nope"])).status_code == 404


def test_reinviting_an_expired_address_reuses_the_invitation(
    cohort, people, client_for, post_committed
):
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=timezone.now() - timedelta(days=1)
    )
    paste(post_committed, client_for(people["organizer"]), cohort, "ada@example.com, facilitator")
    invitation.refresh_from_db()
    assert Invitation.objects.count() == 1
    assert invitation.state == "pending" and invitation.role == Role.FACILITATOR


def test_member_who_left_can_be_invited_back(cohort, people, client_for, post_committed):
    Membership.objects.filter(user=people["participant"]).update(left_at=timezone.now())
    paste(post_committed, client_for(people["organizer"]), cohort, "par@example.com")
    invitation = Invitation.objects.get()
    client_for(people["participant"]).post(invitation.get_absolute_url())
    membership = Membership.objects.get(user=people["participant"], cohort=cohort)
    assert membership.left_at is None


def test_invitee_signs_up_from_the_link_and_comes_back_to_join(cohort, client):
    import re

    from django.core import mail as outbox

    invitation = Invitation.objects.create(cohort=cohort, email="new@example.com")
    link = invitation.get_absolute_url()
    form = client.get(f"{reverse('account_signup')}?next={link}").content.decode()
    assert f'name="next" value="{link}"' in form  # the sign-up form carries the way back
    signup = client.post(
        f"{reverse('account_signup')}?next={link}",
        {
            "name": "Nia New",
            "email": "new@example.com",
            "password1": "a-long-new-password",
            "password2": "a-long-new-password",
            "next": link,
        },
    )
    assert signup.status_code == 302
    code = re.search(
        r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})?)\s*$", outbox.outbox[-1].body, re.M
    ).group(1)
    confirmed = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert confirmed.status_code == 302
    assert confirmed["Location"] == link
    page = client.get(link).content.decode()
    assert "Join Machine Learning" in page
    client.post(link)
    assert Membership.objects.get(user__email="new@example.com").cohort == cohort
