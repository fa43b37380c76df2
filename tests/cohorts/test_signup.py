"""Sign-up without a password: the emailed code proves the address; an invitation link
proves it too, so the invitee gets no second code."""

import email
import re
from email import policy

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from cohorts.models import Invitation, Membership, User

pytestmark = pytest.mark.django_db

CODE_LINE = re.compile(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})?)\s*$", re.M)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    # allauth counts sign-ups per IP address in the cache; every test client is 127.0.0.1.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def smtp(settings, smtp_server):
    """Django's SMTP backend pointed at the in-process aiosmtpd server."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 10
    return smtp_server.handler


def test_sign_up_with_just_an_email_and_the_code_that_arrives_over_smtp(client, smtp):
    response = client.post(
        reverse("account_signup"), {"name": "Ada Lovelace", "email": "ada@example.com"}
    )
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.com")
    assert not user.has_usable_password()
    assert [envelope.rcpt_tos for envelope in smtp.envelopes] == [["ada@example.com"]]
    message = email.message_from_bytes(smtp.envelopes[0].original_content, policy=policy.default)
    assert message["Subject"].startswith("[Homeroom]")
    code = CODE_LINE.search(message.get_body(preferencelist=("plain",)).get_content()).group(1)
    # Not in yet: the address is unproven.
    assert client.get(reverse("home")).status_code == 302
    wrong = client.post(reverse("account_email_verification_sent"), {"code": "NOPE-NOPE"})
    assert wrong.status_code == 200
    confirmed = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert confirmed.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("home")).status_code == 200
    # A password can be set later.
    page = client.get(reverse("account_set_password"))
    assert page.status_code == 200
    assert "Set a password" in page.content.decode()


def test_sign_up_page_says_the_password_is_optional(client):
    page = client.get(reverse("account_signup")).content.decode()
    assert "Create an account" in page
    assert 'Password <span class="muted">(optional)</span>' in page
    assert "Sign Up" not in page


def test_invitee_signs_up_with_the_invited_address_and_no_second_code(cohort, client):
    invitation = Invitation.objects.create(cohort=cohort, email="new@example.com")
    link = invitation.get_absolute_url()
    invite_page = client.get(link).content.decode()
    assert "no code and no password are needed" in invite_page
    form = client.get(f"{reverse('account_signup')}?next={link}").content.decode()
    assert 'value="new@example.com"' in form  # prefilled with the invited address
    signup = client.post(
        f"{reverse('account_signup')}?next={link}",
        {"name": "Nia New", "email": "new@example.com", "next": link},
    )
    assert signup.status_code == 302
    assert signup["Location"] == link  # straight back, signed in
    assert mail.outbox == []  # no code to type
    user = User.objects.get(email="new@example.com")
    assert EmailAddress.objects.get(user=user).verified
    page = client.get(link).content.decode()
    assert "Join Machine Learning" in page
    assert "pairs mix levels" in page
    joined = client.post(link, {"name": "Nia N.", "experience": "experienced"})
    assert joined.status_code == 302
    membership = Membership.objects.get(user=user, cohort=cohort)
    assert (membership.experience, membership.joined_via) == ("experienced", "invitation")
    user.refresh_from_db()
    assert user.name == "Nia N."


def test_signing_up_from_an_invitation_with_another_address_still_needs_its_code(cohort, client):
    invitation = Invitation.objects.create(cohort=cohort, email="new@example.com")
    client.get(invitation.get_absolute_url())
    client.post(reverse("account_signup"), {"name": "Other", "email": "other@example.com"})
    user = User.objects.get(email="other@example.com")
    assert not EmailAddress.objects.get(user=user).verified
    assert [m.to for m in mail.outbox] == [["other@example.com"]]
    assert client.get(reverse("home")).status_code == 302


def test_invitation_join_with_a_bad_level_is_refused(cohort, make_user, client_for):
    ada = make_user("ada@example.com")
    invitation = Invitation.objects.create(cohort=cohort, email="ada@example.com")
    response = client_for(ada).post(
        invitation.get_absolute_url(), {"name": "Ada", "experience": "guru"}
    )
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not Membership.objects.filter(user=ada).exists()


def test_account_pages_speak_in_sentence_case(client, make_user, client_for):
    titles = {
        "account_login": "Sign in",
        "account_signup": "Create an account",
        "account_request_login_code": "Sign in with a code",
        "account_reset_password": "Reset your password",
    }
    for name, heading in titles.items():
        page = client.get(reverse(name)).content.decode()
        assert re.search(rf"<h1[^>]*>\s*{heading}\s*</h1>", page), name
        for shouting in ("Sign In", "Sign Up", "Password Reset", "Request Code"):
            assert shouting not in page, (name, shouting)
    ada = make_user("ada@example.com", "Ada")
    page = client_for(ada).get(reverse("account_email")).content.decode()
    assert "<h1>Email addresses</h1>" in page
    assert "Email Addresses" not in page


def test_a_confirmed_address_is_not_offered_another_confirmation(make_user, client_for):
    ada = make_user("ada@example.com", "Ada")
    EmailAddress.objects.create(user=ada, email="ada@work.example.com", verified=False)
    client = client_for(ada)
    page = client.get(reverse("account_email")).content.decode()
    assert "Re-send" not in page
    rows = page.split('class="email-list__item"')[1:]
    confirmed = next(row for row in rows if "ada@example.com" in row)
    unconfirmed = next(row for row in rows if "ada@work.example.com" in row)
    assert "Send the confirmation again" not in confirmed
    assert "Send the confirmation again" in unconfirmed
    resend = client.post(
        reverse("account_email"), {"email": "ada@work.example.com", "action_send": ""}
    )
    assert resend.status_code == 302
    assert [m.to for m in mail.outbox] == [["ada@work.example.com"]]
