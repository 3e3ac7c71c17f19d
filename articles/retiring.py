"""What each change retires of the cached pages (articles/caching.py), by the keys of what it
touched (articles/page_keys.py): connected to the models' saves and deletes in ArticlesConfig.

Saves of drafts and stories in review, which no reader sees, retire nothing; a visible edit of a
published story retires the pages that show it; a story coming onto or leaving the public site, or
moving (another date, section or address), retires the lists it was and is on as well.
"""

from django.db.migrations.executor import MigrationExecutor
from django.db.models.signals import post_delete

from articles import caching, page_keys


def _stays_off_public(article, created):
    """True when ``article`` was, and still is, a draft or in review: on no public surface."""
    return not article.is_released and (created or not article.was_released)


def _moved(article):
    return (
        article.slug != getattr(article, "_stored_slug", article.slug)
        or article.section_id != getattr(article, "_stored_section_id", article.section_id)
        or article.published_at != getattr(article, "_stored_published_at", article.published_at)
    )


def article_changed(sender, instance, created=False, signal=None, **kwargs):
    """post_save / post_delete of an Article."""
    if _stays_off_public(instance, created):
        return
    deleted = signal is post_delete
    gone = instance.was_released and (deleted or not instance.is_released)
    came = instance.is_released and (created or not instance.was_released)
    relisted = came or gone or _moved(instance)
    lists = _lists_of([instance.pk], relisted)
    keys = page_keys.story_changed(instance, relisted=relisted, gone=gone, **lists)
    caching.retire(keys, withdrawn=gone)


def _lists_of(article_ids, wanted=True):
    """The topics and authors of these stories, as stored: the lists they are on (two queries)."""
    from articles.models import ArticleAuthor, TaggedArticle

    if not wanted or not article_ids:
        return {}
    taggings = TaggedArticle.objects.filter(content_object_id__in=article_ids)
    bylines = ArticleAuthor.objects.filter(article_id__in=article_ids)
    return {
        "topic_ids": set(taggings.values_list("tag_id", flat=True)),
        "author_ids": set(bylines.values_list("author_id", flat=True)),
    }


def _released(article_ids):
    from articles.models import Article

    return list(Article.objects.released().filter(pk__in=article_ids).values_list("pk", flat=True))


def article_part_changed(sender, instance, **kwargs):
    """post_save / post_delete of a tagging, byline, correction or old address: the story's pages,
    and a tagging's topic or a byline's author lists, when a reader can see the story."""
    name = sender.__name__
    article_id = instance.content_object_id if name == "TaggedArticle" else instance.article_id
    if not _released([article_id]):
        return
    keys = {page_keys.story(article_id), page_keys.STORIES}
    if name == "TaggedArticle":
        # The lists narrowed by any of its topics show it, or their facets count its topics.
        keys |= {page_keys.topic(pk) for pk in _lists_of([article_id])["topic_ids"]}
        keys |= {page_keys.topic(instance.tag_id), page_keys.LISTS}
    elif name == "ArticleAuthor":
        keys.add(page_keys.author(instance.author_id))
    caching.retire(keys)


def stories_changed(article_ids):
    """Something shown with these stories changed (a picture they lead with, through another app):
    retire the pages that show the ones a reader can see."""
    shown = _released(article_ids)
    if shown:
        caching.retire({page_keys.STORIES, *(page_keys.story(pk) for pk in shown)})


def taxonomy_changed(sender, instance, created=False, **kwargs):
    """post_save / post_delete of a section, tag or author. A new one has no page yet, but an address
    that answered 404 may now be its list; a renamed or deleted one shows on pages everywhere (the
    navigation, every card with its name)."""
    caching.retire({page_keys.LISTS} if created else {page_keys.SITE})


def stories_written(written, withdrawn=False):
    """After a bulk write (publishing.after_bulk_write): the pages of the stories written and their
    lists, or every page when there are too many to name."""
    if len(written) > page_keys.MAX_STORY_KEYS:
        caching.content_changed(withdrawn=withdrawn)
        return
    shown = [
        article
        for before, article in written
        if article.is_released or (before is not None and before.announced)
    ]
    lists = _lists_of([article.pk for article in shown])
    keys = set()
    for article in shown:
        keys |= page_keys.story_changed(article, relisted=True, gone=not article.is_released, **lists)
    caching.retire(keys, withdrawn=withdrawn)


def deployed(using="default", **kwargs):
    """post_migrate: pages rendered by the previous code retire with it. Skipped when the database
    is left behind this code's models (migrated backwards): the retirement reads columns it may
    lack, and the code that matches that schema retires the pages when it runs its own migrate."""
    from django.db import connections

    executor = MigrationExecutor(connections[using])
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        caching.retire({page_keys.SITE}, using)
