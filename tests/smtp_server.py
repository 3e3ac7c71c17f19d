"""A real SMTP server for tests (aiosmtpd, on 127.0.0.1, in a thread of the test): it keeps every
message it accepts, and can refuse given recipients, or everything, as a mail server would. It can
also stop answering at a chosen point of a chosen message (``hold``), so that a test can kill the
sender at a known step of the dialogue."""

import asyncio
import email
import email.policy
import threading
from collections import Counter

from aiosmtpd.controller import Controller

from tests.conftest import free_port


class MailServer:
    def __init__(self, *, port=None, refuse=(), refuse_all=None, hold=None):
        self.refuse = dict(refuse)  # address: "550 …" reply
        self.refuse_all = refuse_all  # a reply to every RCPT, e.g. "451 4.3.0 Try later"
        # ("rcpt", n): never answer the n-th RCPT (the sender waits before the message is sent);
        # ("data", n): keep the n-th message, then never answer its final "." (the sender waits
        # after it is sent). ``holding`` is set once the server has stopped answering.
        self.hold = hold
        self.holding = threading.Event()
        self.rcpt_count = 0
        self.messages = []  # (recipients, email.message.EmailMessage)
        self.lock = threading.Lock()
        self.port = port or free_port()
        self.url = f"smtp://127.0.0.1:{self.port}"
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_count += 1
        if self.hold == ("rcpt", self.rcpt_count):
            await self._stop_answering()
        if self.refuse_all:
            return self.refuse_all
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.messages.append((list(envelope.rcpt_tos), message))
            count = len(self.messages)
        if self.hold == ("data", count):
            # Like a real server, a message whose "." has come is kept even if nobody hears the 250.
            await self._stop_answering()
        return "250 Message accepted for delivery"

    async def _stop_answering(self):
        self.holding.set()
        await asyncio.Event().wait()  # until the connection drops or the server stops

    def received(self):
        """How many messages each address got."""
        with self.lock:
            return Counter(address for recipients, _ in self.messages for address in recipients)

    def count(self):
        with self.lock:
            return len(self.messages)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()
