"""Keeping the search index current: what each article's index row holds, and the signal handlers
(connected in ``ArticlesConfig.ready``) that rewrite it. Writes that bypass signals
(``QuerySet.update``, ``bulk_create``) must be followed by ``index_articles()`` for the articles
written, or ``rebuild_index()``."""

import unicodedata
from html.parser import HTMLParser

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import QuerySet

from articles.search.backends import BACKENDS, MARKERS, backend_for

_NO_MARKERS = str.maketrans("", "", "".join(MARKERS))

_INLINE_TAGS = frozenset({"a", "abbr", "b", "code", "del", "em", "i", "s", "strong", "sub", "sup"})


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in _INLINE_TAGS:  # blocks and <br> end a word
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(html):
    """Return the text of rendered body HTML, entities decoded, blocks separated, one space apart."""
    extractor = _TextExtractor()
    extractor.feed(html or "")
    extractor.close()
    return " ".join("".join(extractor.parts).split())


def _index_text(value):
    value = value or ""
    # str.translate walks a dict per character (slow on a long body); the markers are rare.
    if any(marker in value for marker in MARKERS):
        value = value.translate(_NO_MARKERS)
    return unicodedata.normalize("NFC", value)


INDEXED_FIELDS = frozenset({"headline", "dek", "body", "body_html"})


def index_article(article, using=DEFAULT_DB_ALIAS):
    """Write ``article``'s headline, dek, tag names and plain body text to the search index."""
    backend_for(connections[using]).write(
        article.pk,
        headline=_index_text(article.headline),
        dek=_index_text(article.dek),
        body=_index_text(plain_text(article.body_html)),
    )


def index_articles(articles, body_texts=None, using=DEFAULT_DB_ALIAS):
    """Write the index rows of ``articles`` (saved, with headline, dek and body_html) in one batch
    statement; return how many. For writes that bypass the save signals (``bulk_create``,
    ``bulk_update``): their tag names are read from the database, so write the taggings first.

    ``body_texts``, if given, is ``plain_text(article.body_html)`` of each article, worked out
    already (an import does it in its worker processes).
    """
    rows = _index_rows(articles, body_texts)
    if rows:
        backend_for(connections[using]).write_many(rows)
    return len(rows)


def start_indexing(articles, body_texts=None, using=DEFAULT_DB_ALIAS):
    """``index_articles``, but the database does the writing while the caller goes on (PostgreSQL;
    SQLite writes before this returns). Returns the function that waits for it: call it before
    the connection's next statement (an import runs its statements through
    ``connection.execute_wrapper`` to make sure of it)."""
    return backend_for(connections[using]).start_write_many(_index_rows(articles, body_texts))


def _index_rows(articles, body_texts):
    articles = list(articles)
    if body_texts is None:
        body_texts = [plain_text(article.body_html) for article in articles]
    return [
        (article.pk, _index_text(article.headline), _index_text(article.dek), _index_text(body_text))
        for article, body_text in zip(articles, body_texts, strict=True)
    ]


def rebuild_index(using=DEFAULT_DB_ALIAS):
    """Re-index every article (after writes that bypass signals); return how many were indexed."""
    from articles.models import Article

    count = 0
    with transaction.atomic(using=using):  # one commit, not one per article
        backend_for(connections[using]).prune()
        articles = Article.objects.using(using).only("pk", "headline", "dek", "body_html")
        for article in articles.iterator(chunk_size=500):
            index_article(article, using=using)
            count += 1
    return count


def article_saved(sender, instance, using, update_fields=None, **kwargs):
    if update_fields is None or INDEXED_FIELDS.intersection(update_fields):
        index_article(instance, using=using)


def article_deleted(sender, instance, using, **kwargs):
    backend_for(connections[using]).delete(instance.pk)


def tagging_changed(sender, instance, using, origin=None, **kwargs):
    """A TaggedArticle row came or went: through taggit (tags.set/add/remove) or the admin inline."""
    from articles.models import Article

    deleting_article = isinstance(origin, Article) or (
        isinstance(origin, QuerySet) and issubclass(origin.model, Article)
    )
    if not deleting_article:  # its own post_delete removes it from the index
        backend_for(connections[using]).refresh_tags(article_id=instance.content_object_id)


def tag_saved(sender, instance, using, created=False, **kwargs):
    if not created:  # a renamed tag: every article carrying it, in one statement
        backend_for(connections[using]).refresh_tags(tag_id=instance.pk)


def database_flushed(sender, using, **kwargs):
    """After ``migrate`` and ``flush`` (which empties only Django's own tables), drop index rows whose
    article is gone, so a reused id never brings back old text."""
    connection = connections[using]
    backend = BACKENDS.get(connection.vendor)
    if backend and backend.table in connection.introspection.table_names():
        backend(connection).prune()
