"""Email: one template triple per message (emails/<name>.subject.txt, .txt, .html), sent
as text with an HTML alternative."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string


def render(template, context):
    """Subject, text and HTML from the triple emails/<template>.{subject.txt,txt,html}."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_to_string(f"emails/{template}.subject.txt", context)
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return " ".join(subject.split()), text, html


def transmit(delivery):
    message = EmailMultiAlternatives(
        subject=delivery.subject,
        body=delivery.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[delivery.recipient],
        headers=delivery.headers or None,
    )
    if delivery.body_html:
        message.attach_alternative(delivery.body_html, "text/html")
    message.send()
