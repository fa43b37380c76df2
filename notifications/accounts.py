"""django-allauth hooks: account emails leave through the outbox, at once, in the request.

Sign-in codes, password-reset links and verification codes are secrets: the Delivery row
keeps the kind, the recipient, the status and the mail server's error, never the body. The
message is sent straight away (people are waiting for it) with no transaction around the
send; if the mail server refuses or does not answer in time, the page says so and the row
is failed with the server's message, instead of a silent retry after the code expired.
"""

from types import SimpleNamespace
from urllib.parse import quote, urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.conf import settings
from django.shortcuts import render
from django.urls import reverse

from . import outbox
from .models import Delivery

SITE = SimpleNamespace(name="Homeroom", domain=urlsplit(settings.SITE_URL).netloc)

COULD_NOT_SEND = "We could not send the code just now — try again."


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        # allauth's own send_mail puts the address in the context; its templates ("an account
        # with email …") use it.
        context = {"email": email, **context, "current_site": SITE}
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        claimed = outbox.claim(
            kind=f"account:{template_prefix.rsplit('/', 1)[-1]}",
            recipient=email,
            dedupe_key=outbox.unique_key("account"),
            subject=message.subject,
        )
        outcome = outbox.send(
            claimed.pk,
            content=outbox.Content(message.subject, message.body, html),
            retry=False,
        )
        if outcome.delivery.status != Delivery.Status.SENT and self.request is not None:
            raise ImmediateHttpResponse(self.could_not_send(outcome.delivery))

    def could_not_send(self, delivery):
        """The page a person sees when their code or link did not leave: a clear message
        and a way back, not an error page."""
        request = self.request
        back = request.get_full_path() if request.method == "GET" else request.path
        return render(
            request,
            "notifications/account_email_failed.html",
            {"message": COULD_NOT_SEND, "back": back, "delivery": delivery},
            status=503,
        )

    # Links in account emails point at SITE_URL, never at whatever host the request named.

    def get_reset_password_from_key_url(self, key):
        path = reverse("account_reset_password_from_key", kwargs={"uidb36": "UID", "key": "KEY"})
        return settings.SITE_URL + path.replace("UID-KEY", quote(key))

    def get_email_confirmation_url(self, request, emailconfirmation):
        return settings.SITE_URL + reverse("account_confirm_email", args=[emailconfirmation.key])
