"""What a change to a live story or its updates retires: only the pages that show it (its page, its
feeds and updates, the front page), through articles' page scopes, never the whole cache. The same
change moves the story's ``last_change_at`` on, which polling clients are answered from."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone

from articles import caching, publishing
from articles.addresses import absolute_url
from articles.models import Article
from live.models import LiveStory, LiveUpdate, RemovedUpdate


def story_changed(story_pk, now=None):
    """Something readers may see of this live story changed, in the caller's transaction."""
    story = (
        LiveStory.objects.filter(pk=story_pk)
        .select_related("article")
        .only("pk", "article__slug", "article__status")
        .first()
    )
    if story is None:
        return
    LiveStory.objects.filter(pk=story_pk).update(last_change_at=now or timezone.now())
    if story.article.is_released:
        caching.retire(story.scope_keys())
        announce_feeds(story.article.slug)


def announce_feeds(slug):
    """Tell whoever follows feeds (WebSub, through publishing.feed_changed) that this story's live
    feeds changed, once the transaction commits."""
    urls = [absolute_url(reverse(name, kwargs={"slug": slug})) for name in ("live:feed", "live:feed-atom")]
    transaction.on_commit(lambda: publishing.feed_changed.send(sender=LiveStory, urls=urls))


def update_saved(sender, instance, created=False, **kwargs):
    # A draft no reader has seen changes nothing they see.
    if instance.was_published and not instance.is_published:  # taken back to draft: gone for readers
        RemovedUpdate.objects.create(story_pk=instance.story_id, update_id=instance.pk)
    if instance.is_published or instance.was_published:
        story_changed(instance.story_id, instance.changed_at)


def update_deleted(sender, instance, **kwargs):
    if instance.was_published:
        RemovedUpdate.objects.create(story_pk=instance.story_id, update_id=instance.pk)
        story_changed(instance.story_id)


def live_story_saved(sender, instance, created=False, raw=False, **kwargs):
    """Marked live, its key points or end changed: the story's page and the front page change."""
    article = instance.article
    if article.is_released:
        caching.retire(instance.scope_keys(article.slug))


def live_story_deleted(sender, instance, **kwargs):
    RemovedUpdate.objects.filter(story_pk=instance.pk).delete()
    article = Article.objects.filter(pk=instance.pk).only("slug", "status").first()
    if article is not None and article.is_released:  # else it went with its article, which retired all
        caching.retire(instance.scope_keys(article.slug))


def connect():
    post_save.connect(update_saved, sender=LiveUpdate, dispatch_uid="live_update_saved")
    post_delete.connect(update_deleted, sender=LiveUpdate, dispatch_uid="live_update_deleted")
    post_save.connect(live_story_saved, sender=LiveStory, dispatch_uid="live_story_saved")
    post_delete.connect(live_story_deleted, sender=LiveStory, dispatch_uid="live_story_deleted")
