"""django-allauth hooks: account emails leave through the delivery module."""

from allauth.account.adapter import DefaultAccountAdapter

from . import delivery


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        claimed = delivery.claim(
            kind=f"account:{template_prefix.rsplit('/', 1)[-1]}",
            recipient=email,
            dedupe_key=delivery.unique_key("account"),
            subject=message.subject,
            body_text=message.body,
            body_html=html,
        )
        # Sign-in codes and verification links are needed now, not when a worker
        # gets round to them, so account emails are sent in the request.
        delivery.send(claimed.pk)
