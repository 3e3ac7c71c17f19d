"""Newsletters: who asked for which list, what was sent to them, and the daily briefing.

A reader is a ``Subscriber`` (an address, personal data: never exported, never in the API, deleted
with everything sent to it on request) with a ``Subscription`` per list, each confirmed by a signed
link (double opt-in). A ``Mailing`` is one send to one list (the day's briefing, a section's or a
topic's digest, a breaking-news alert), rendered once; its ``Delivery`` rows are the send log, one
per recipient, and what makes each recipient get it exactly once (distribution/sending.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from articles.models import Article

__all__ = [
    "Briefing",
    "BriefingItem",
    "BreakingAlert",
    "Delivery",
    "Mailing",
    "Subscriber",
    "Subscription",
]


class Subscriber(models.Model):
    email = models.EmailField(max_length=254, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    # The latest confirmation link's nonce: a link is good once, and only the newest one.
    confirmation_nonce = models.CharField(max_length=32, blank=True, editable=False)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email


class SubscriptionQuerySet(models.QuerySet):
    def confirmed(self):
        return self.filter(confirmed_at__isnull=False)


class Subscription(models.Model):
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="subscriptions")
    # A list's key (distribution/lists.py): "briefing", "alerts", "section:<slug>", "topic:<slug>".
    list_key = models.CharField("list", max_length=120)
    created_at = models.DateTimeField(default=timezone.now)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    objects = SubscriptionQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscriber", "list_key"], name="one_subscription_per_list")
        ]
        # A send reads a list's confirmed subscribers.
        indexes = [models.Index(fields=["list_key", "confirmed_at"], name="subscription_list_idx")]

    def __str__(self):
        return f"{self.subscriber} → {self.list_key}"


class MailingKind(models.TextChoices):
    BRIEFING = "briefing", "Daily briefing"
    DIGEST = "digest", "Section or topic digest"
    ALERT = "alert", "Breaking-news alert"


class MailingStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"


class Mailing(models.Model):
    kind = models.CharField(max_length=10, choices=MailingKind.choices)
    list_key = models.CharField("list", max_length=120)
    # The desk's day it belongs to: one briefing and one digest per list per day, whatever re-runs.
    edition = models.DateField(null=True, blank=True)
    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject = models.CharField(max_length=200)
    # Rendered once, when the mailing is made; each recipient's own links are filled in at send time.
    html = models.TextField(editable=False)
    text = models.TextField(editable=False)
    status = models.CharField(max_length=10, choices=MailingStatus.choices, default=MailingStatus.QUEUED)
    note = models.TextField(blank=True, help_text="Why it was cancelled, or what went wrong.")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Moved on by the sender after each batch: a sending mailing whose heartbeat stops is resumed.
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)
    recipient_count = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "list_key", "edition"],
                condition=Q(edition__isnull=False),
                name="one_mailing_per_list_per_day",
            ),
            models.UniqueConstraint(
                fields=["article"], condition=Q(kind="alert"), name="one_alert_per_story"
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="mailing_status_idx")]

    def __str__(self):
        return self.subject


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    # Unsubscribed (or forgotten) between the mailing's start and their turn.
    SKIPPED = "skipped", "Skipped"


class Delivery(models.Model):
    """One recipient of one mailing: the send log, and the claim that keeps a resend from happening."""

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(fields=["mailing", "subscriber"], name="one_delivery_per_recipient")
        ]
        # The sender takes a mailing's pending rows in order, a batch at a time.
        indexes = [models.Index(fields=["mailing", "status", "id"], name="delivery_pending_idx")]

    def __str__(self):
        return f"{self.mailing} → {self.subscriber}"


class BriefingStatus(models.TextChoices):
    DRAFT = "draft", "Goes out at its time"
    HELD = "held", "Held: will not go out by itself"
    SENT = "sent", "Sent"


class Briefing(models.Model):
    """The daily briefing of one desk day: the stories, in the editors' order, and their note."""

    date = models.DateField(unique=True)
    note = models.TextField(blank=True, help_text="A few lines from the desk, shown above the stories.")
    send_at = models.DateTimeField(help_text="When it goes out by itself, unless held or sent before.")
    status = models.CharField(max_length=10, choices=BriefingStatus.choices, default=BriefingStatus.DRAFT)
    mailing = models.OneToOneField(Mailing, null=True, blank=True, on_delete=models.SET_NULL, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )

    class Meta:
        ordering = ["-date"]
        indexes = [models.Index(fields=["status", "send_at"], name="briefing_due_idx")]

    def __str__(self):
        return f"Briefing of {self.date:%-d %B %Y}"


class BriefingItem(models.Model):
    briefing = models.ForeignKey(Briefing, on_delete=models.CASCADE, related_name="items")
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["briefing", "article"], name="story_once_per_briefing")
        ]

    def __str__(self):
        return str(self.article)


class BreakingAlert(models.Model):
    """An editor's request that a story go to the alert list once it is public (and only once)."""

    article = models.OneToOneField(Article, on_delete=models.CASCADE, related_name="breaking_alert")
    subject = models.CharField(
        max_length=200,
        blank=True,
        help_text="The email's subject; the headline, after “Breaking:”, if left empty.",
    )
    requested_at = models.DateTimeField(default=timezone.now, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    mailing = models.OneToOneField(Mailing, null=True, blank=True, on_delete=models.SET_NULL, editable=False)

    class Meta:
        verbose_name = "breaking-news alert"

    def __str__(self):
        return f"Alert: {self.article}"
