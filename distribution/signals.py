"""Distribution's receivers of Newsroom's publishing signals (articles.publishing), connected by the
app's ready() through ``connect()``."""

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save

from articles import publishing
from distribution.websub import feeds_of, ping_hub


def announce_to_hub(sender, article, **kwargs):
    """Queue a WebSub ping for the story's feeds (when a hub is set): queued once the transaction
    commits, and sent by the worker, never in the editor's request."""
    if not settings.NEWSROOM_WEBSUB_HUB:
        return
    urls = feeds_of(article)
    transaction.on_commit(lambda: ping_hub.enqueue(urls))


def announce_feeds_to_hub(sender, urls, **kwargs):
    """Another app's feeds changed (a live story's update): ping the hub for them too."""
    if settings.NEWSROOM_WEBSUB_HUB and urls:
        ping_hub.enqueue(list(urls))


def alert_on_publish(sender, article, batch=None, **kwargs):
    """A story marked as a breaking-news alert goes to the alert list when it goes public."""
    from distribution import alerts
    from distribution.models import BreakingAlert

    if batch is not None:  # many at once (an import): one look for the batch's waiting alerts
        waiting = batch.memo(
            "distribution.alerts.waiting",
            lambda: set(
                BreakingAlert.objects.filter(article_id__in=batch.pks, mailing__isnull=True).values_list(
                    "article_id", flat=True
                )
            ),
        )
        if article.pk not in waiting:
            return
    alerts.send_if_due(article.pk)


def alert_on_marking(sender, instance, created, **kwargs):
    """Marked while already public: the alert goes once the marking is saved."""
    from distribution import alerts

    if created:
        transaction.on_commit(lambda: alerts.send_if_due(instance.article_id))


def connect():
    from distribution.models import BreakingAlert

    publishing.feed_changed.connect(announce_feeds_to_hub, dispatch_uid="distribution.websub.feeds")
    publishing.story_published.connect(alert_on_publish, dispatch_uid="distribution.alerts.published")
    post_save.connect(alert_on_marking, sender=BreakingAlert, dispatch_uid="distribution.alerts.marked")
    signals = {
        "published": publishing.story_published,
        "changed": publishing.story_changed,
        "unpublished": publishing.story_unpublished,
    }
    for name, signal in signals.items():
        signal.connect(announce_to_hub, dispatch_uid=f"distribution.websub.{name}")
