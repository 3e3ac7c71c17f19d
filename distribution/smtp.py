"""Handing one message to the SMTP server so that it is recorded as sent exactly when it is.

Exactly once needs a single point after which a message counts as sent. With a plain send there are
two (the server's "250 OK", then our note of it), and a worker killed between them leaves a
recipient who got the newsletter marked as not having it: the next run sends it again. So the
message goes out in two steps on Django's own SMTP connection: everything up to the final "." of
the DATA command, then ``record()`` commits "sent" to the send log, then the ".". A server keeps no
message whose "." never came (RFC 5321, 4.1.1.4), so a worker killed before ``record()`` leaves
nothing delivered and the recipient still pending; one killed after it has sent the "." or is one
system call from it (killed in that instant, the recipient misses this one message: never two).
``record()`` may also refuse (another sender already took the recipient): the transaction is then
abandoned with RSET and nothing is delivered.

Other backends (the console in development, memory in tests) have no such step: the message is
sent, then recorded.
"""

import contextlib
import re
import smtplib
import socket

from django.conf import settings
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.mail.message import sanitize_address

_LINE_START_DOT = re.compile(rb"(?m)^\.")


class NotRecorded(Exception):
    """``record()`` declined: someone else has sent this message."""


def send_recorded(backend, message, record):
    """Send ``message`` (an EmailMessage) on the open ``backend`` and call ``record()`` at the point
    of no return. Raises smtplib's errors for a refusal (the message was not delivered), NotRecorded
    when ``record()`` returns False."""
    if not isinstance(backend, SMTPBackend):
        backend.send_messages([message])
        if not record():
            raise NotRecorded
        return
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(address, encoding) for address in message.recipients()]
    data = message.message().as_bytes(linesep="\r\n")
    smtp = backend.connection
    _no_delay(smtp)
    smtp.ehlo_or_helo_if_needed()
    code, reply = smtp.mail(sender)
    if code != 250:
        _abandon(smtp)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    for recipient in recipients:
        code, reply = smtp.rcpt(recipient)
        if code not in (250, 251):
            _abandon(smtp)
            raise smtplib.SMTPRecipientsRefused({recipient: (code, reply)})
    smtp.putcmd("data")
    code, reply = smtp.getreply()
    if code != 354:
        _abandon(smtp)
        raise smtplib.SMTPDataError(code, reply)
    body = _LINE_START_DOT.sub(b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body)
    if not record():
        # Mid-DATA there is no RSET: drop the connection, and with it the unfinished message.
        backend.close()
        raise NotRecorded
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _no_delay(smtp):
    """Send each command at once. The message goes in two writes (all but the ".", then the "."),
    and with Nagle's algorithm the second waits for the server's delayed ACK of the first: tens of
    milliseconds a message, most of the time a send takes."""
    sock = getattr(smtp, "sock", None)
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


def _abandon(smtp):
    with contextlib.suppress(smtplib.SMTPException):
        smtp.rset()
