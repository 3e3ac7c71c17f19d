"""Sending a mailing: every confirmed subscriber of its list gets it exactly once.

When a mailing starts, its recipients are written down: one Delivery per confirmed subscriber, in
the same transaction that marks it sending. The sender then takes the pending deliveries a batch at
a time over one SMTP connection, at most NEWSROOM_NEWSLETTER_RATE messages a second, and marks each
sent at the moment the server can no longer refuse it (distribution/smtp.py), with a conditional
write that only one sender can win. So a worker killed anywhere leaves each recipient either sent
or pending, and whoever picks the mailing up next (the clock resumes a mailing whose heartbeat has
stopped: distribution/clock.py) sends only the pending ones.

A recipient the server refuses for good (5xx) is marked failed with its reply; a refusal for now
(4xx), a server that cannot be reached or that drops the connection ends the run with an error and
the task is tried again later (distribution/tasks.py), from where it stopped.
"""

import logging
import smtplib
import time

from django.conf import settings
from django.core.mail import get_connection
from django.db import IntegrityError, transaction
from django.utils import timezone

from distribution import lists
from distribution.emails import mailing_message
from distribution.models import Delivery, Mailing, Subscription
from distribution.models.newsletters import DeliveryStatus, MailingKind, MailingStatus
from distribution.smtp import NotRecorded, send_recorded
from distribution.tasks import retried

logger = logging.getLogger(__name__)


def start_mailing(**fields):
    """Make a mailing and queue its sending once the transaction commits. None when there is one
    already (the day's briefing or digest for that list, a story's alert): it is never made twice."""
    try:
        with transaction.atomic():
            mailing = Mailing.objects.create(**fields)
    except IntegrityError:
        return None
    transaction.on_commit(lambda: send_mailing.enqueue(mailing.pk))
    return mailing


class RateLimit:
    """At most ``per_second`` calls of ``wait()`` a second (no limit for 0)."""

    def __init__(self, per_second):
        self.interval = 1 / per_second if per_second else 0
        self.next_at = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic() - self.interval) + self.interval


class SendInterrupted(Exception):
    """The server could not take more for now; the pending recipients wait for the next attempt."""


@retried
def send_mailing(mailing_id):
    mailing = Mailing.objects.filter(pk=mailing_id).first()
    if mailing is None or mailing.status in (MailingStatus.SENT, MailingStatus.CANCELLED):
        return "nothing to send"
    if not _still_wanted(mailing):
        return "cancelled"
    if mailing.status == MailingStatus.QUEUED:
        _write_down_recipients(mailing)
    sent = _send_pending(mailing)
    if not mailing.deliveries.filter(status=DeliveryStatus.PENDING).exists():
        Mailing.objects.filter(pk=mailing.pk).update(status=MailingStatus.SENT, finished_at=timezone.now())
    return f"sent {sent} messages"


def _still_wanted(mailing):
    """An alert whose story left the public site before it went out is not sent."""
    from articles.models import Article

    if mailing.kind != MailingKind.ALERT or mailing.status != MailingStatus.QUEUED:
        return True
    if mailing.article_id and Article.objects.published().filter(pk=mailing.article_id).exists():
        return True
    Mailing.objects.filter(pk=mailing.pk).update(
        status=MailingStatus.CANCELLED,
        note="The story was no longer public when the alert was due to go out.",
    )
    return False


def _write_down_recipients(mailing):
    now = timezone.now()
    with transaction.atomic():
        claimed = Mailing.objects.filter(pk=mailing.pk, status=MailingStatus.QUEUED).update(
            status=MailingStatus.SENDING, started_at=now, heartbeat_at=now
        )
        if not claimed:
            return  # another run started it
        subscribers = (
            Subscription.objects.confirmed()
            .filter(list_key=mailing.list_key)
            .values_list("subscriber_id", flat=True)
            .order_by("subscriber_id")
        )
        rows = [Delivery(mailing=mailing, subscriber_id=pk) for pk in subscribers.iterator(chunk_size=2000)]
        Delivery.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
        Mailing.objects.filter(pk=mailing.pk).update(recipient_count=len(rows))
    mailing.status = MailingStatus.SENDING


def _send_pending(mailing):
    limit = RateLimit(settings.NEWSROOM_NEWSLETTER_RATE)
    backend = get_connection()
    list_title = lists.lookup_title(mailing.list_key)
    sent = 0
    try:
        while batch := _next_batch(mailing):
            Mailing.objects.filter(pk=mailing.pk).update(heartbeat_at=timezone.now())
            for delivery in batch:
                limit.wait()
                sent += _deliver(backend, mailing, delivery, list_title)
    finally:
        backend.close()
    return sent


def _next_batch(mailing):
    """The next pending deliveries, without those whose subscriber has left the list since."""
    pending = list(
        mailing.deliveries.filter(status=DeliveryStatus.PENDING)
        .select_related("subscriber")
        .order_by("id")[: settings.NEWSROOM_NEWSLETTER_BATCH]
    )
    still_subscribed = set(
        Subscription.objects.confirmed()
        .filter(list_key=mailing.list_key, subscriber_id__in=[d.subscriber_id for d in pending])
        .values_list("subscriber_id", flat=True)
    )
    gone = [d.pk for d in pending if d.subscriber_id not in still_subscribed]
    if gone:
        Delivery.objects.filter(pk__in=gone, status=DeliveryStatus.PENDING).update(
            status=DeliveryStatus.SKIPPED, error="Unsubscribed before it was their turn."
        )
    return [d for d in pending if d.subscriber_id in still_subscribed]


def _deliver(backend, mailing, delivery, list_title):
    """Send one recipient's message; 1 if it went, 0 if not. Raises SendInterrupted to stop the run."""
    recorded = False

    def record():
        nonlocal recorded
        recorded = bool(
            Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.PENDING).update(
                status=DeliveryStatus.SENT, sent_at=timezone.now()
            )
        )
        return recorded

    message = mailing_message(mailing, delivery, delivery.subscriber, list_title=list_title)
    _open(backend)
    try:
        send_recorded(backend, message, record)
        return 1
    except NotRecorded:
        return 0
    except smtplib.SMTPRecipientsRefused as refused:
        code, reply = next(iter(refused.recipients.values()))
        if code >= 500:
            _mark(delivery, DeliveryStatus.FAILED, f"Refused by the mail server: {code} {_text(reply)}")
            return 0
        raise SendInterrupted(f"The mail server asked us to try later: {code} {_text(reply)}") from refused
    except smtplib.SMTPResponseException as refused:
        # A reply to MAIL FROM, DATA or the message itself: nothing was delivered.
        if recorded:
            _unrecord(delivery)
        if refused.smtp_code >= 500:
            _mark(
                delivery,
                DeliveryStatus.FAILED,
                f"Refused by the mail server: {refused.smtp_code} {_text(refused.smtp_error)}",
            )
            return 0
        raise SendInterrupted(
            f"The mail server asked us to try later: {refused.smtp_code} {_text(refused.smtp_error)}"
        ) from refused
    except (smtplib.SMTPException, OSError) as error:
        # Cannot connect, or the connection broke. If it broke after the message was recorded the
        # server may have it: it stays sent, never risking a second copy.
        backend.close()
        raise SendInterrupted(f"Could not reach the mail server: {error}") from error


def _open(backend):
    """Connect (again) if the backend keeps a connection and has none open."""
    if getattr(backend, "connection", True) is not None:
        return
    try:
        backend.open()
    except (smtplib.SMTPException, OSError) as error:
        where = f"{getattr(backend, 'host', '')}:{getattr(backend, 'port', '')}"
        raise SendInterrupted(f"Could not reach the mail server at {where}: {error}") from error


def _mark(delivery, status, error):
    Delivery.objects.filter(pk=delivery.pk).update(status=status, error=error[:2000])


def _unrecord(delivery):
    Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENT).update(
        status=DeliveryStatus.PENDING, sent_at=None
    )


def _text(reply):
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)


@retried
def send_confirmation(subscriber_id, list_keys):
    """The double opt-in email, sent by the worker (never in the reader's request)."""
    from distribution.emails import confirmation_message
    from distribution.models import Subscriber

    subscriber = Subscriber.objects.filter(pk=subscriber_id).first()
    if subscriber is None or not subscriber.confirmation_nonce:
        return "nothing to confirm"
    confirmation_message(subscriber, list_keys).send()
    return "sent"
