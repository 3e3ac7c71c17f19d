"""Webhooks' receivers of Newsroom's publishing signals (articles.publishing), connected by the
app's ready() through ``connect()``.

The signals come after the editor's transaction commits. Each event makes one delivery per active
endpoint that takes it, all carrying one body written now (the story as it is at the event), and
queues their tasks once those rows commit: the worker sends them, never the editor's request.
"""

from django.db import transaction
from django.db.models.signals import pre_delete
from django.utils import timezone

from articles import publishing
from articles.models import Article
from distribution.models import WebhookDelivery, WebhookEndpoint, WebhookEvent
from distribution.webhooks.messages import story_body
from distribution.webhooks.sending import queue


def queue_deliveries(event, article, batch=None):
    """Record and queue ``event`` about ``article`` for every endpoint subscribed to it; returns
    the deliveries (none when no endpoint takes it, or the story is no longer public). Of a
    ``publishing.Batch``, the endpoints are read once for all its stories."""
    if batch is None:
        endpoints = WebhookEndpoint.objects.subscribed_to(event)
    else:
        endpoints = batch.memo(
            ("distribution.webhooks", event), lambda: WebhookEndpoint.objects.subscribed_to(event)
        )
    if not endpoints:
        return []
    body = story_body(event, article, timezone.now())
    if body is None:
        return []
    article_id = article.pk or article.__dict__.get("deleted_id")
    with transaction.atomic():
        deliveries = [
            WebhookDelivery.objects.create(
                endpoint=endpoint, event=event, article_id=article_id, article_slug=article.slug, payload=body
            )
            for endpoint in endpoints
        ]
        queue(delivery.pk for delivery in deliveries)
    return deliveries


def story_published(sender, article, batch=None, **kwargs):
    queue_deliveries(WebhookEvent.PUBLISHED, article, batch)


def story_changed(sender, article, changes, batch=None, **kwargs):
    # A correction is news of its own to a partner (they must run it too); any other change is an update.
    event = WebhookEvent.CORRECTED if "corrections" in changes else WebhookEvent.UPDATED
    queue_deliveries(event, article, batch)


def story_unpublished(sender, article, batch=None, **kwargs):
    queue_deliveries(WebhookEvent.UNPUBLISHED, article, batch)


def remember_id(sender, instance, **kwargs):
    """Keep a deleted story's id on the instance: Django clears its pk, and story_unpublished
    (sent after the commit, with this instance) must still tell partners which story it was."""
    instance.__dict__["deleted_id"] = instance.pk


def connect():
    receivers = {
        "published": (publishing.story_published, story_published),
        "changed": (publishing.story_changed, story_changed),
        "unpublished": (publishing.story_unpublished, story_unpublished),
    }
    for name, (signal, receiver) in receivers.items():
        signal.connect(receiver, dispatch_uid=f"distribution.webhooks.{name}")
    pre_delete.connect(remember_id, sender=Article, dispatch_uid="distribution.webhooks.deleted_id")
