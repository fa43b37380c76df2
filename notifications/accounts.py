"""django-allauth hooks: account emails leave through the delivery module."""

from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings

from . import outbox

SITE = SimpleNamespace(name="Homeroom", domain=urlsplit(settings.SITE_URL).netloc)


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        context = {**context, "current_site": SITE}
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
            body_text=message.body,
            body_html=html,
        )
        # Sign-in codes and verification links are needed now, not when a worker
        # gets round to them, so account emails are sent in the request.
        outbox.send(claimed.pk)
