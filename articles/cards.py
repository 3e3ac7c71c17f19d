"""What a story shows beside its own columns, worked out once when it changes, not on every request.

A card and a story's page show its bylines, topics and lead picture, and the page its corrections.
Read through prefetches they cost a list four queries and most of its time; instead each story keeps
them in ``Article.card``, a JSON value rewritten whenever one of them changes: the story, a byline, a
tagging or a correction (signals, below), an author or a tag it shows (renamed), its lead picture
(photos calls ``refresh_cards``). So a list page is one query for its cards, an article page one for
the story and one for its related coverage. The section stays a join: it is one row of a small table.

``refresh_cards`` costs five queries per CHUNK stories, whatever they show. Inside ``batched()``
(the admin's forms and actions) the stories touched are refreshed once, at the end, not once for
every byline and tag saved. A story without a card yet (saved before this existed: ``manage.py
refresh_cards`` fills them in) is worked out in memory by ``ensure``, with the same queries.
"""

import threading
from contextlib import contextmanager

from django.db import transaction
from django.db.models import QuerySet

from articles.card_data import CARD_VERSION, current, picture_data, utc_text
from articles.models import Article, ArticleAuthor, Correction, TaggedArticle
from articles.pictures import SHARE_RATIOS, lead_pictures_from_source

CHUNK = 500


def work_out(article_ids, using=None):
    """``{article id: card}`` for ``article_ids``, from what is stored now: four queries."""
    cards = {pk: {"v": CARD_VERSION, "authors": [], "topics": [], "corrections": []} for pk in article_ids}
    bylines = (
        ArticleAuthor.objects.using(using)
        .filter(article_id__in=article_ids)
        .order_by("article_id", "position", "pk")
        .values_list("article_id", "author_id", "author__slug", "author__name")
    )
    for article_id, *author in bylines:
        cards[article_id]["authors"].append(author)
    taggings = (
        TaggedArticle.objects.using(using)
        .filter(content_object_id__in=article_ids)
        .values_list("content_object_id", "tag_id", "tag__slug", "tag__name")
    )
    for article_id, *tag in taggings:
        cards[article_id]["topics"].append(tag)
    for card in cards.values():
        card["topics"].sort(key=lambda tag: tag[2].lower())
    corrections = (
        Correction.objects.using(using)
        .filter(article_id__in=article_ids)
        .order_by("article_id", "date", "pk")
        .values_list("article_id", "date", "text")
    )
    for article_id, date, text in corrections:
        cards[article_id]["corrections"].append([utc_text(date), text])
    pictures = lead_pictures_from_source(list(article_ids), SHARE_RATIOS)
    for pk, card in cards.items():
        card["picture"] = picture_data(pictures.get(pk))
    return cards


def ensure(articles):
    """Give every one of ``articles`` lacking a current card one worked out now, in memory (stories
    saved before cards existed); none is written, so a reader's request never writes."""
    missing = [a for a in articles if a is not None and not current(a.card)]
    if missing:
        worked_out = work_out([a.pk for a in missing], using=missing[0]._state.db)
        for article in missing:
            article.card = worked_out[article.pk]
            article.__dict__.pop("lead_picture", None)
    return articles


def refresh_cards(article_ids, using=None):
    """Work out again and store the cards of ``article_ids`` (ids of stories gone are skipped)."""
    ids = sorted(set(article_ids))
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        cards = work_out(chunk, using=using)
        present = Article.objects.using(using).filter(pk__in=chunk).values_list("pk", flat=True)
        rows = [Article(pk=pk, card=cards[pk]) for pk in present]
        Article.objects.using(using).bulk_update(rows, ["card"])


# Refreshes asked for inside batched(), per thread: {database alias: {article ids}}.
_pending = threading.local()


@contextmanager
def batched():
    """Collect the refreshes asked for inside, and do them once on the way out (nested: the
    outermost does them)."""
    outermost = getattr(_pending, "ids", None) is None
    if outermost:
        _pending.ids = {}
    try:
        yield
    finally:
        if outermost:
            pending, _pending.ids = _pending.ids, None
            for using, ids in pending.items():
                with transaction.atomic(using=using):
                    refresh_cards(ids, using=using)


def stories_changed(article_ids, using=None):
    """Something these stories show changed: refresh their cards, now or at the end of the batch."""
    ids = [pk for pk in article_ids if pk is not None]
    if not ids:
        return
    pending = getattr(_pending, "ids", None)
    if pending is not None:
        pending.setdefault(using or "default", set()).update(ids)
    else:
        refresh_cards(ids, using=using)


# Signal receivers (connected in articles/apps.py).


def _deleting_article(origin):
    """Whether a cascaded delete comes from deleting the story itself: no card to refresh then."""
    return isinstance(origin, Article) or (isinstance(origin, QuerySet) and issubclass(origin.model, Article))


def article_saved(sender, instance, using, raw=False, **kwargs):
    if not raw:
        stories_changed([instance.pk], using)


def part_changed(sender, instance, using, origin=None, **kwargs):
    """A byline, tagging or correction was saved or deleted."""
    if not _deleting_article(origin):
        article_id = getattr(instance, "content_object_id", None) or instance.article_id
        stories_changed([article_id], using)


def author_saved(sender, instance, using, created=False, raw=False, **kwargs):
    if not (created or raw):  # a new author is on no card yet
        stories_changed(list(instance.bylines.using(using).values_list("article_id", flat=True)), using)


def tag_saved(sender, instance, using, created=False, raw=False, **kwargs):
    if not (created or raw):
        tagged = TaggedArticle.objects.using(using).filter(tag=instance)
        stories_changed(list(tagged.values_list("content_object_id", flat=True)), using)
