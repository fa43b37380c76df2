"""SMTP servers (aiosmtpd, in this process) that misbehave on purpose: one that holds its
answer to DATA until the test releases it, one that refuses, one that counts connections."""

import asyncio
import threading
from contextlib import contextmanager

from aiosmtpd.controller import Controller

from tests.conftest import free_port


class Handler:
    """Keeps every envelope with the connection (peer) it came over; `refuse_rcpt` /
    `refuse_data` answer with that line instead of taking the message; `stall` holds the
    answer to DATA until `release` is set."""

    def __init__(self, *, refuse_rcpt=None, refuse_data=None, stall=False):
        self.envelopes = []
        self.peers = []
        self.refuse_rcpt = refuse_rcpt
        self.refuse_data = refuse_data
        self.stall = stall
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse_rcpt:
            return self.refuse_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.arrived.set()
        if self.stall:
            await asyncio.get_running_loop().run_in_executor(None, self.release.wait, 60)
        if self.refuse_data:
            return self.refuse_data
        self.envelopes.append(envelope)
        self.peers.append(session.peer)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_standin(settings, **behaviour):
    """Point Django's SMTP backend at a local server with this behaviour; yields its handler."""
    handler = Handler(**behaviour)
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        handler.release.set()
        controller.stop()
