import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse

from cohorts.models import User
from notifications.models import Delivery

pytestmark = pytest.mark.django_db


def emailed_code(message):
    """The code allauth puts on a line of its own, e.g. ``GNSM-TXTN``."""
    return re.search(r"^\s*([A-Z0-9]{3,}(?:-[A-Z0-9]{3,})?)\s*$", message.body, re.M).group(1)


def test_sign_up_needs_a_verified_email_before_sign_in(client):
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "password1": "analytical-engine-1843",
            "password2": "analytical-engine-1843",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="ada@example.com")
    assert user.name == "Ada Lovelace"
    assert not EmailAddress.objects.get(user=user).verified
    # The verification email left through the delivery log.
    assert len(mail.outbox) == 1
    assert Delivery.objects.get(recipient="ada@example.com").status == "sent"
    code = emailed_code(mail.outbox[0])
    # Not signed in until the address is confirmed.
    assert client.get(reverse("home")).status_code == 302
    confirm = client.post(reverse("account_email_verification_sent"), {"code": code})
    assert confirm.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("home")).status_code == 200


def test_login_by_emailed_code(client, make_user):
    make_user("ada@example.com", "Ada")
    client.post(reverse("account_request_login_code"), {"email": "ada@example.com"})
    assert [m.to for m in mail.outbox] == [["ada@example.com"]]
    assert mail.outbox[0].subject.startswith("[Homeroom]")
    assert "Hello from Homeroom" in mail.outbox[0].body
    code = emailed_code(mail.outbox[0])
    response = client.post(reverse("account_confirm_login_code"), {"code": code})
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200


def test_password_sign_in_with_email(client, make_user):
    make_user("ada@example.com", "Ada")
    bad = client.post(reverse("account_login"), {"login": "ada@example.com", "password": "nope"})
    assert bad.status_code == 200
    assert "not correct" in bad.content.decode()
    from tests.conftest import PASSWORD

    good = client.post(reverse("account_login"), {"login": "ada@example.com", "password": PASSWORD})
    assert good.status_code == 302


def test_password_reset_does_not_reveal_who_has_an_account(client, make_user):
    make_user("ada@example.com")
    known = client.post(reverse("account_reset_password"), {"email": "ada@example.com"})
    unknown = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    # The unknown address gets a "no account here" email rather than an error on screen.
    assert sorted(m.to[0] for m in mail.outbox) == ["ada@example.com", "nobody@example.com"]


def test_anonymous_visitors_are_sent_to_sign_in(client, cohort):
    response = client.get(cohort.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next=/c/{cohort.slug}/"


def test_sign_in_pages_use_our_layout(client):
    for name in (
        "account_login",
        "account_signup",
        "account_request_login_code",
        "account_reset_password",
    ):
        page = client.get(reverse(name)).content.decode()
        assert 'class="site-header"' in page, name
        assert "<style" not in page and "style=" not in page, name


def test_a_member_changes_their_name_on_the_account_pages(make_user, client_for):
    user = make_user("ada@example.com", "Ada")
    client = client_for(user)
    page = client.get(reverse("account_email")).content.decode()
    assert reverse("account_name") in page  # the account pages link to it
    response = client.post(reverse("account_name"), {"name": "  Ada   Lovelace\n"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.name == "Ada Lovelace"
    assert "Your name is now “Ada Lovelace”" in client.get(response["Location"]).content.decode()
    blank = client.post(reverse("account_name"), {"name": "   "})
    assert blank.status_code == 200
    assert "Type the name others should see." in blank.content.decode()
    user.refresh_from_db()
    assert user.name == "Ada Lovelace"


def test_the_name_page_asks_strangers_to_sign_in(client):
    response = client.get(reverse("account_name"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_the_unknown_account_email_names_the_address(client):
    client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})
    [message] = mail.outbox
    assert "with email nobody@example.com." in " ".join(message.body.split())
