"""Webhooks for partners: the endpoints editors register, each story event's delivery to each of
them, and every attempt at sending it (distribution/webhooks/ does the sending).

A delivery is one message (one ``webhook-id``) to one endpoint. It is sent by the worker, never in
an editor's request; a failed attempt is tried again on the Standard Webhooks schedule (about a day),
then the delivery is given up. Claiming a delivery for an attempt is one conditional UPDATE, so two
tasks for the same delivery never both send it, and a delivered one is never sent again.
"""

import base64
import secrets
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

__all__ = ["WebhookAttempt", "WebhookDelivery", "WebhookEndpoint", "WebhookEvent", "DeliveryStatus"]

# Seconds to wait after each failed attempt: the Standard Webhooks schedule, about a day in all
# (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md).
RETRY_SCHEDULE = (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600)
MAX_ATTEMPTS = len(RETRY_SCHEDULE) + 1
# How long the previous secret keeps signing beside the new one after a rotation, so a partner
# can switch without refusing messages in between (the spec allows several signatures).
ROTATION_GRACE = timedelta(hours=24)
SECRET_BYTES = 32


def new_secret():
    """A Standard Webhooks secret: ``whsec_`` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def new_message_id():
    return f"msg_{uuid.uuid4().hex}"


def retry_delay(attempts):
    """Seconds to wait after ``attempts`` failed attempts, scaled by NEWSROOM_WEBHOOK_RETRY_SCALE
    (tests run the whole day's schedule in a fraction of a second)."""
    step = RETRY_SCHEDULE[min(attempts, len(RETRY_SCHEDULE)) - 1]
    return step * settings.NEWSROOM_WEBHOOK_RETRY_SCALE


class WebhookEvent(models.TextChoices):
    PUBLISHED = "published", "Story published"
    UPDATED = "updated", "Story updated"
    CORRECTED = "corrected", "Correction added"
    UNPUBLISHED = "unpublished", "Story unpublished or deleted"

    @property
    def message_type(self):
        """The payload's ``type``."""
        return f"story.{self.value}"


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self):
        return self.filter(active=True)

    def subscribed_to(self, event):
        """The active endpoints that take ``event``. In Python: SQLite has no JSON containment
        lookup, and a desk has a handful of partners, not thousands."""
        return [endpoint for endpoint in self.active().order_by("pk") if event in endpoint.events]

    def with_health(self, since):
        """Each endpoint with its deliveries since ``since`` counted by status, and its last success."""
        recent = Q(deliveries__created_at__gte=since)
        return self.annotate(
            recent_delivered=Count(
                "deliveries", filter=recent & Q(deliveries__status=DeliveryStatus.DELIVERED)
            ),
            recent_failed=Count("deliveries", filter=recent & Q(deliveries__status=DeliveryStatus.FAILED)),
            waiting=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
            last_delivered_at=Max("deliveries__delivered_at"),
        )


class WebhookEndpoint(models.Model):
    name = models.CharField(max_length=100, help_text="Who receives it, e.g. the partner's name.")
    url = models.URLField(
        "URL", max_length=500, help_text="Where the messages are POSTed: an https address on the internet."
    )
    secret = models.CharField(max_length=100, default=new_secret, editable=False)
    # Kept signing for ROTATION_GRACE after a rotation.
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)
    events = models.JSONField(default=list, help_text="What the partner is told about.")
    active = models.BooleanField(default=True, help_text="Untick to stop sending to this endpoint.")
    disabled_reason = models.CharField(max_length=300, blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "webhook endpoint"

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # Ticking "active" again is the editor's answer to why it was switched off.
        if self.active:
            self.disabled_reason = ""
        super().save(*args, **kwargs)

    def clean(self):
        from distribution.webhooks.addresses import AddressRefused, check_url

        unknown = set(self.events or []) - set(WebhookEvent.values)
        if not self.events or unknown:
            raise ValidationError({"events": "Choose at least one event."})
        if self.url:
            try:
                check_url(self.url)
            except AddressRefused as refusal:
                raise ValidationError({"url": str(refusal)}) from refusal

    def rotate_secret(self, now=None):
        """Give the endpoint a new secret; the old one signs beside it for ROTATION_GRACE."""
        self.previous_secret, self.secret = self.secret, new_secret()
        self.secret_rotated_at = now or timezone.now()

    def signing_secrets(self, now):
        """The secrets each message is signed with at ``now``: the current one, and the previous
        one while its grace lasts."""
        found = [self.secret]
        if self.previous_secret and self.secret_rotated_at and now < self.secret_rotated_at + ROTATION_GRACE:
            found.append(self.previous_secret)
        return found

    def disable(self, reason):
        """Stop sending here (an endpoint that answered 410 Gone), saying why in the admin."""
        type(self).objects.filter(pk=self.pk).update(active=False, disabled_reason=reason[:300])
        self.active, self.disabled_reason = False, reason[:300]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed (gave up)"


class WebhookDeliveryQuerySet(models.QuerySet):
    def claimable(self, now):
        """Pending, due, and not being sent by a worker right now (or by one that died mid-send)."""
        due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        free = Q(claimed_until__isnull=True) | Q(claimed_until__lt=now)
        return self.filter(due, free, status=DeliveryStatus.PENDING)

    def stranded(self, now, grace):
        """Pending deliveries overdue by more than ``grace`` and not being sent: their task may have
        been lost (a worker stopped mid-send, a process died between the commit and the queueing)."""
        overdue = Q(next_attempt_at__lt=now - grace) | Q(
            next_attempt_at__isnull=True, created_at__lt=now - grace
        )
        return self.claimable(now).filter(overdue)

    def send_again(self):
        """Give each failed delivery among these one more attempt, due at once; a delivered or
        pending one is left as it is. Returns the ids to queue."""
        with transaction.atomic():
            ids = list(self.filter(status=DeliveryStatus.FAILED).values_list("pk", flat=True))
            self.model.objects.filter(pk__in=ids, status=DeliveryStatus.FAILED).update(
                status=DeliveryStatus.PENDING,
                next_attempt_at=None,
                max_attempts=models.F("attempts") + 1,
                claimed_until=None,
            )
        return ids


class WebhookDelivery(models.Model):
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=20, choices=WebhookEvent.choices)
    # The Standard Webhooks ``webhook-id``: the same on every attempt, so receivers can de-duplicate.
    message_id = models.CharField(
        "webhook-id", max_length=40, unique=True, default=new_message_id, editable=False
    )
    # Not a foreign key: the record outlives a deleted story, and its unpublishing is announced.
    article_id = models.PositiveBigIntegerField("story id", null=True, blank=True)
    article_slug = models.SlugField("story slug", max_length=200)
    # The body exactly as sent, as text: a JSON column may reorder keys (PostgreSQL's jsonb), and
    # every attempt must send the same bytes.
    payload = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=MAX_ATTEMPTS)
    # Empty while pending: due at once. Not the web server's "now": a worker whose clock is a
    # little behind would find a new delivery not yet due. Retries are timed by the workers' clocks.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's lease on the delivery while it sends: another task for it waits its turn.
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = WebhookDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "webhook delivery"
        verbose_name_plural = "webhook deliveries"
        indexes = [
            # The admin's list by status, the task's claim, the endpoints' health.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_by_status"),
            models.Index(fields=["endpoint", "-created_at"], name="delivery_by_endpoint"),
            models.Index(fields=["article_id"], name="delivery_by_story"),
        ]

    def __str__(self):
        return f"{WebhookEvent(self.event).message_type} “{self.article_slug}” to {self.endpoint}"

    @classmethod
    def claim(cls, pk, now, lease):
        """The delivery ``pk``, leased for one attempt, or None when it is not to be sent now:
        delivered, given up, not yet due, or being sent by another worker. One UPDATE with the
        conditions in its WHERE: of two tasks racing for it, one wins."""
        claimed = cls.objects.claimable(now).filter(pk=pk).update(claimed_until=now + lease)
        if not claimed:
            return None
        return cls.objects.select_related("endpoint").get(pk=pk)

    def record_attempt(self, *, at, duration_ms, response_code, error, delivered, retry, now):
        """Log one attempt and settle the delivery: delivered, due again after the schedule's next
        wait (``retry`` and attempts left), or failed. Returns True when another attempt is due."""
        self.attempts += 1
        self.last_response_code = response_code
        self.claimed_until = None
        again = False
        if delivered:
            self.status, self.delivered_at, self.next_attempt_at = DeliveryStatus.DELIVERED, now, None
            self.last_error = ""
        elif retry and self.attempts < self.max_attempts:
            self.next_attempt_at = now + timedelta(seconds=retry_delay(self.attempts))
            self.last_error = error
            again = True
        else:
            self.status, self.next_attempt_at = DeliveryStatus.FAILED, None
            reason = f"gave up after {self.attempts} attempts" if retry else "not retried"
            self.last_error = f"{error} ({reason})"
        with transaction.atomic():
            WebhookAttempt.objects.create(
                delivery=self, at=at, duration_ms=duration_ms, response_code=response_code, error=error
            )
            self.save(
                update_fields=[
                    "attempts", "last_response_code", "claimed_until", "status", "delivered_at",
                    "next_attempt_at", "last_error",
                ]
            )  # fmt: skip
        return again


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField("time (ms)")
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = "attempt"
        indexes = [models.Index(fields=["delivery", "at"], name="attempt_by_delivery")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M:%S}: {self.response_code or self.error}"
