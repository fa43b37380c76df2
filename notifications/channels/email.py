"""Email: one template triple per message (emails/<name>.subject.txt, .txt, .html), sent
as text with an HTML alternative, through a `Mailer` that keeps one SMTP connection for a
batch and gives every message a total deadline.

What the mail server's answer means for the outbox:

- 2xx: sent.
- 5xx (mailbox unknown, message refused): `EmailRejected`, permanent; the reason is shown.
- 4xx, a refused connection, a timeout before the message was handed over:
  `EmailUnavailable`, worth another try later.
- The connection broke or the deadline passed after the message was handed over (after
  DATA): `EmailOutcomeUnknown`. The server may have it, so it is not sent again by itself.
"""

import contextlib
import smtplib
import socket
import threading

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as DjangoSMTPBackend
from django.template import Context
from django.template.loader import get_template, render_to_string


class EmailError(Exception):
    """The mail server did not take the message."""


class EmailRejected(EmailError):
    """A permanent (5xx) refusal: retrying the same message will not help."""


class EmailUnavailable(EmailError):
    """A temporary refusal (4xx), no connection, or no answer before the hand-over."""


class EmailOutcomeUnknown(EmailError):
    """The conversation broke after the message was handed over: it may have arrived."""


def render_subject(template, context):
    """A subject is plain text: no HTML escaping ("R&D" stays "R&D"), one line."""
    engine_template = get_template(f"emails/{template}.subject.txt").template
    text = engine_template.render(Context(context, autoescape=False))
    return " ".join(text.split())


def render(template, context):
    """Subject, text and HTML from the triple emails/<template>.{subject.txt,txt,html}."""
    context = {"site_url": settings.SITE_URL, **context}
    subject = render_subject(template, context)
    text = render_to_string(f"emails/{template}.txt", context)
    html = render_to_string(f"emails/{template}.html", context)
    return subject, text, html


def send_deadline():
    """Seconds one message may take from connecting to the server's final answer."""
    return settings.EMAIL_SEND_DEADLINE_SECONDS


class _TracksHandOver:
    """Remembers whether DATA was sent, i.e. whether the server may now have the message."""

    handed_over = False

    def data(self, msg):
        self.handed_over = True
        return super().data(msg)


class _SMTP(_TracksHandOver, smtplib.SMTP):
    pass


class _SMTP_SSL(_TracksHandOver, smtplib.SMTP_SSL):
    pass


class SMTPBackend(DjangoSMTPBackend):
    """Django's SMTP backend with a socket timeout that is never unbounded and connections
    that know whether the message was handed over."""

    def __init__(self, *args, timeout=None, **kwargs):
        deadline = send_deadline()
        configured = timeout or getattr(settings, "EMAIL_TIMEOUT", None) or deadline
        super().__init__(*args, timeout=min(configured, deadline), **kwargs)

    @property
    def connection_class(self):
        return _SMTP_SSL if self.use_ssl else _SMTP


def _backend():
    backend = get_connection(fail_silently=False)
    if isinstance(backend, DjangoSMTPBackend) and not isinstance(backend, SMTPBackend):
        backend = SMTPBackend(fail_silently=False)
    return backend


def _refusal(exc):
    """EmailRejected or EmailUnavailable for an SMTP error answer, with the server's words."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
    else:
        code, text = getattr(exc, "smtp_code", 0), getattr(exc, "smtp_error", b"")
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    answer = f"{code} {text}".strip()[:500]
    if 500 <= code < 600:
        return EmailRejected(f"The mail server refused it: {answer}")
    return EmailUnavailable(f"The mail server did not take it: {answer}")


class Mailer:
    """Sends messages over one connection, each within the total deadline.

    A watchdog closes the socket when a message's deadline passes, so a server that trickles
    its answers (or none) holds this thread for the deadline at most. After an error the
    connection is dropped and `broken` says so (a batch stops there rather than waiting on a
    dead server once per message).
    """

    def __init__(self):
        self.backend = None
        self.broken = False

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def close(self):
        if self.backend is not None:
            try:
                self.backend.close()
            except Exception:  # closing a connection that broke: nothing left to do
                self._drop()
            self.backend = None

    def _drop(self):
        connection = getattr(self.backend, "connection", None)
        if connection is not None:
            with contextlib.suppress(OSError):
                connection.close()
            self.backend.connection = None

    def send(self, *, to, subject, body_text, body_html="", headers=None):
        message = EmailMultiAlternatives(
            subject=subject,
            body=body_text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to],
            headers=headers or None,
        )
        if body_html:
            message.attach_alternative(body_html, "text/html")
        if self.backend is None:
            self.backend = _backend()
        if not isinstance(self.backend, DjangoSMTPBackend):
            message.connection = self.backend  # console, files, memory: no network
            message.send()
            return
        self._send_over_smtp(message)

    def _send_over_smtp(self, message):
        backend = self.backend
        deadline = send_deadline()
        cut = threading.Event()

        def cut_off():
            cut.set()
            sock = getattr(backend.connection, "sock", None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

        watchdog = threading.Timer(deadline, cut_off)
        watchdog.daemon = True
        watchdog.start()
        try:
            if backend.connection is not None:
                backend.connection.handed_over = False
            backend.open()
            if backend.connection is not None:
                backend.connection.handed_over = False
            if cut.is_set():  # the deadline passed while connecting
                cut_off()
            backend.send_messages([message])
        except smtplib.SMTPResponseException as exc:
            self._fail()
            raise _refusal(exc) from exc
        except smtplib.SMTPRecipientsRefused as exc:
            self._fail()
            raise _refusal(exc) from exc
        except (OSError, smtplib.SMTPException) as exc:
            handed_over = getattr(backend.connection, "handed_over", False)
            self._fail()
            why = (
                f"no final answer within {deadline} s"
                if cut.is_set()
                else f"{type(exc).__name__}: {exc}"
            )
            if handed_over:
                raise EmailOutcomeUnknown(
                    f"The connection to the mail server broke after the message was handed "
                    f"over ({why}); it may have arrived, so it is not sent again by itself."
                ) from exc
            raise EmailUnavailable(f"No answer from the mail server: {why}") from exc
        finally:
            watchdog.cancel()

    def _fail(self):
        self.broken = True
        self._drop()
