"""Company single sign-on against a stand-in OpenID Connect provider in this process."""

import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings as django_settings
from django.core.cache import cache
from django.urls import reverse

from cohorts.models import Invitation, Membership, User
from cohorts.sso import claim_is_true

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        "allauth.socialaccount" not in django_settings.INSTALLED_APPS,
        reason="single sign-on needs django-allauth's socialaccount extras "
        "(requests, PyJWT, cryptography), which are not installed",
    ),
]

LOGIN_URL = "/accounts/oidc/company/login/"


@pytest.fixture
def provider(settings):
    cache.clear()  # allauth's rate limits count per address, and every test is 127.0.0.1
    from tests.cohorts.oidc_standin import CLIENT_ID, CLIENT_SECRET, Provider

    standin = Provider().start()
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "company",
                    "name": "Sign in with Example Corp",
                    "client_id": CLIENT_ID,
                    "secret": CLIENT_SECRET,
                    "settings": {"server_url": standin.issuer, "oauth_pkce_enabled": True},
                }
            ]
        }
    }
    try:
        yield standin
    finally:
        standin.stop()
        cache.clear()


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def consent(authorize_url):
    """What the browser does at the provider: open the authorize URL, get sent back."""
    opener = urllib.request.build_opener(NoRedirects)
    try:
        opener.open(authorize_url, timeout=5)
    except urllib.error.HTTPError as answer:
        assert answer.code == 302, answer.read()
        return answer.headers["Location"]
    raise AssertionError("the provider did not redirect back")


def sign_in_through(provider, client, next_url=None):
    """Press the sign-on button, consent at the provider, come back; the callback's answer."""
    start = client.post(LOGIN_URL, {"next": next_url} if next_url else {})
    assert start.status_code == 302, start.content
    assert start["Location"].startswith(f"{provider.issuer}/authorize?")
    back = urlsplit(consent(start["Location"]))
    assert back.path == "/accounts/oidc/company/login/callback/"
    return client.get(f"{back.path}?{back.query}")


def signed_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_the_sign_in_page_offers_the_company_button(provider, client):
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Example Corp" in page
    assert LOGIN_URL in page


def test_first_sign_on_creates_the_account_and_joins_through_the_invitation(
    provider, cohort, client
):
    provider.claims = {
        "sub": "employee-42",
        "email": "nia@example.com",
        "email_verified": True,
        "name": "Nia  New",
    }
    invitation = Invitation.objects.create(cohort=cohort, email="nia@example.com")
    link = invitation.get_absolute_url()
    assert client.get(link).status_code == 200
    callback = sign_in_through(provider, client, next_url=link)
    assert callback.status_code == 302
    assert callback["Location"] == link
    user = signed_in_user(client)
    assert user is not None and user.email == "nia@example.com"
    assert user.name == "Nia New"
    assert EmailAddress.objects.get(user=user, email="nia@example.com").verified
    # The stand-in saw the whole conversation: discovery, authorize, token, userinfo.
    assert ("POST", "/token") in provider.requests
    assert ("GET", "/userinfo") in provider.requests
    page = client.get(link).content.decode()
    assert "Join Machine Learning" in page
    joined = client.post(link, {"name": "Nia New", "experience": "new"})
    assert joined.status_code == 302
    membership = Membership.objects.get(user=user, cohort=cohort)
    assert (membership.joined_via, membership.experience) == ("invitation", "new")
    # Next time the same person signs straight in to the same account.
    client.logout()
    sign_in_through(provider, client)
    assert signed_in_user(client) == user
    assert User.objects.filter(email="nia@example.com").count() == 1


def test_a_verified_address_signs_in_to_the_existing_account(provider, make_user, client):
    ada = make_user("ada@example.com", "Ada")
    provider.claims = {"sub": "ada-1", "email": "ada@example.com", "email_verified": True}
    sign_in_through(provider, client)
    assert signed_in_user(client) == ada
    assert ada.socialaccount_set.count() == 1


@pytest.mark.parametrize("unverified", [False, "false", None])
def test_an_unverified_address_does_not_reach_the_existing_account(
    provider, make_user, client, unverified
):
    ada = make_user("ada@example.com", "Ada")
    claims = {"sub": "someone-else", "email": "ada@example.com"}
    if unverified is not None:
        claims["email_verified"] = unverified
    provider.claims = claims
    callback = sign_in_through(provider, client)
    assert callback.status_code == 302
    assert signed_in_user(client) is None
    assert ada.socialaccount_set.count() == 0
    assert client.get(reverse("home")).status_code == 302  # still not in
    assert User.objects.filter(email__iexact="ada@example.com").count() == 1


def test_an_invitation_opened_here_is_not_attached_to_another_sso_address(provider, cohort, client):
    invitation = Invitation.objects.create(cohort=cohort, email="nia@example.com")
    client.get(invitation.get_absolute_url())
    provider.claims = {"sub": "x-1", "email": "xavier@example.com", "email_verified": True}
    sign_in_through(provider, client)
    user = signed_in_user(client)
    assert user.email == "xavier@example.com"
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [
        "xavier@example.com"
    ]


def test_sso_only_hides_passwords_and_codes(provider, settings, client):
    settings.SOCIALACCOUNT_ONLY = True
    settings.ACCOUNT_LOGIN_BY_CODE_ENABLED = False
    page = client.get(reverse("account_login")).content.decode()
    assert "Sign in with Example Corp" in page
    assert 'name="password"' not in page
    assert "sign-in code" not in page


def test_email_verified_claim_must_be_plainly_true():
    assert claim_is_true(True) and claim_is_true("true") and claim_is_true(" TRUE ")
    assert not any(claim_is_true(v) for v in (False, "false", None, 1, "yes", ""))
