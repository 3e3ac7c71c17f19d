"""Distribution's receivers of Newsroom's publishing signals (articles.publishing), connected by the
app's ready() through ``connect()``."""

from django.conf import settings
from django.db import transaction

from articles import publishing
from distribution.websub import feeds_of, ping_hub


def announce_to_hub(sender, article, **kwargs):
    """Queue a WebSub ping for the story's feeds (when a hub is set): queued once the transaction
    commits, and sent by the worker, never in the editor's request."""
    if not settings.NEWSROOM_WEBSUB_HUB:
        return
    urls = feeds_of(article)
    transaction.on_commit(lambda: ping_hub.enqueue(urls))


def connect():
    signals = {
        "published": publishing.story_published,
        "changed": publishing.story_changed,
        "unpublished": publishing.story_unpublished,
    }
    for name, signal in signals.items():
        signal.connect(announce_to_hub, dispatch_uid=f"distribution.websub.{name}")
