"""Company single sign-on (OpenID Connect through django-allauth): what Homeroom takes from
the identity provider. Configured from the OIDC_* settings."""

from allauth.socialaccount.adapter import DefaultSocialAccountAdapter

NAME_LENGTH = 150


def claim_is_true(value):
    """`email_verified` as providers send it: a JSON boolean, sometimes the string "true"."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def trust_only_plainly_verified(sociallogin):
    """An address counts as confirmed only when the provider says so plainly: allauth takes
    the claim's truthiness, and the string "false" is truthy."""
    for address in sociallogin.email_addresses:
        address.verified = claim_is_true(address.verified)


class CompanySignOnAdapter(DefaultSocialAccountAdapter):
    def authenticate_by_email(self, sociallogin):
        # Runs first, when allauth looks for an existing account with a verified address.
        trust_only_plainly_verified(sociallogin)
        return super().authenticate_by_email(sociallogin)

    def pre_social_login(self, request, sociallogin):
        trust_only_plainly_verified(sociallogin)
        # An invitation opened in this browser vouches for its own address only: it must not
        # be added to an account that signs in with another one.
        stashed = request.session.get("account_verified_email")
        emails = {address.email.lower() for address in sociallogin.email_addresses}
        if stashed and stashed.lower() not in emails:
            request.session["account_verified_email"] = None
        super().pre_social_login(request, sociallogin)

    def populate_user(self, request, sociallogin, data):
        """The new account's name: the provider's display name, else given and family name."""
        user = super().populate_user(request, sociallogin, data)
        name = data.get("name") or " ".join(
            part for part in (data.get("first_name"), data.get("last_name")) if part
        )
        user.name = " ".join(str(name or "").split())[:NAME_LENGTH]
        return user
