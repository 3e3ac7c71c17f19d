"""Phase 4: write, inside ``import_paths``' transaction. The new and changed entries go in batches
of ``WRITE_BATCH``: multi-row inserts and updates for the articles, their bylines, taggings and
corrections; then ``publishing.after_bulk_write`` does for the batch what a save does (revisions,
redirects of renamed articles, search index rows, audit events, announcements, cached pages).

Pictures go through the picture library's writer (``articles.picture_files``; none in a dry run,
which stores no file): a body's pictures are placed before the body is rendered, as its figures
need their ids; the lead pictures once the batch's articles have theirs.

Imports from ``naming``, ``matching``, ``pictures`` and ``reading``.
"""

from contextlib import suppress
from itertools import islice

from django.conf import settings
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone

from articles import caching, card_data, cards, publishing, rendering, search
from articles.importers import Notice
from articles.importing.matching import _LOOKUP_CHUNK
from articles.importing.naming import _HeadlineSlugs, _Names
from articles.importing.pictures import with_picture_ids
from articles.importing.reading import _WORKER_CHUNK
from articles.models import (
    Article,
    ArticleAuthor,
    Correction,
    Status,
    TaggedArticle,
    derive_from_body,
)
from articles.models.rows import insert_rows
from articles.publishing import Before

# What a new article gets when neither its file nor --status says; an import never goes live unasked.
DEFAULT_STATUS = Status.DRAFT
# Articles written together: a batch costs a fixed number of statements (Django splits each
# multi-row insert or update to fit the database's limit on parameters), and only one batch of
# article text is in memory at a time. The ids of a batch fit one query even where SQLite allows
# only 999 parameters (before 3.32).
WRITE_BATCH = 500
# What Article.save() writes and the batch update of a changed article must write too.
_UPDATED_FIELDS = [
    "source_name", "source_id", "slug", "featured", "headline", "dek", "body", "body_html", "section",
    "dateline", "status", "published_at", "embargoed_until", "source_checksum", "word_count",
    "dek_repeats_lede", "edit_version", "updated_at",
]  # fmt: skip


class _WriteConflict(Exception):
    """The database refused a write that the checks allowed: someone else took the slug (or the
    source) between the check and the write. Everything written is rolled back."""

    def __init__(self, notice):
        super().__init__(str(notice))
        self.notice = notice


def _write_all(entries, existing, spool, report, progress, workers, pictures=None):
    """Write the entries that are new or changed, ``WRITE_BATCH`` at a time; report on every one,
    in order. An unchanged entry costs nothing: its plan is not even read back from the spool.
    The list ``entries`` is emptied (each item set to None) as they are written.

    With ``workers``, the next batch is rendered in them while this one is written. ``pictures`` is
    the picture library's writer (``articles.picture_files.PictureWriter``), or None to store none.
    """
    writer = _Writer(entries, existing, spool, workers, pictures)
    entries = iter(progress(_handed_over(entries), total=len(entries), desc="Writing"))
    pending = None
    # A batch's search rows are written while the next batch is prepared (search.start_indexing):
    # every statement through Django's cursors first waits for them.
    with connection.execute_wrapper(writer.after_indexing):
        try:
            while batch := list(islice(entries, WRITE_BATCH)):
                prepared = writer.prepare(batch)
                if pending is not None:
                    writer.finish(*pending, report)
                    _forget_queries()
                pending = prepared
            if pending is not None:
                writer.finish(*pending, report)
        except BaseException:
            # The import is failing already: leave the connection out of pipeline mode for the
            # rollback, without letting the index write's own outcome hide why.
            with suppress(DatabaseError):
                writer.wait_for_index()
            raise
        writer.wait_for_index()
    if writer.wrote:
        # Once for the whole import, in its transaction (publishing.after_bulk_write says why).
        caching.content_changed(withdrawn=writer.withdrew)


def _handed_over(entries):
    """Yield each of the list ``entries``, letting the list go of it: once written and reported on,
    an entry is no longer needed, and a million of them would stay in memory to the end."""
    for index, entry in enumerate(entries):
        entries[index] = None
        yield entry


def _forget_queries():
    """With DEBUG on, Django keeps the SQL of the last 9,000 queries, and a batch's statements carry
    megabytes of article text: forget them after each batch, as Django does after each request.
    Not while something counts the queries (``CaptureQueriesContext`` forces the debug cursor)."""
    if settings.DEBUG and not connection.force_debug_cursor:
        connection.queries_log.clear()


class _Writer:
    """Writes batches of entries; remembers across batches the names and slugs already settled."""

    def __init__(self, entries, existing, spool, workers, pictures=None):
        self.existing = existing
        self.spool = spool
        self.workers = workers
        self.pictures = pictures
        self.names = _Names()
        self.headline_slugs = _HeadlineSlugs(entries, existing)
        self.now = timezone.now()
        # Whether any story was written, and whether one left the public site: the cached pages
        # are retired once, after the last batch.
        self.wrote = self.withdrew = False
        # Waits for the last batch's search rows (search.start_indexing); once they are written,
        # it returns at once.
        self.wait_for_index = _nothing_under_way

    def after_indexing(self, execute, sql, params, many, context):
        """Django's execute wrapper: a statement goes once the search rows being written are."""
        self.wait_for_index()
        return execute(sql, params, many, context)

    def prepare(self, batch):
        """Return (batch, work, rendered): the (entry, plan, stored article or None) to write, read
        back from the spool, and their bodies' ``_rendered`` values, under way."""
        work = []
        for entry in batch:
            stored = self.existing.get(entry.key)
            if stored is None or stored.checksum != entry.checksum:
                work.append((entry, self.spool.get(entry.spooled), stored))
        self._place_body_pictures(work)
        bodies = [plan.record.body for _, plan, _ in work]
        if self.workers is not None and bodies:
            rendered = self.workers.map(_rendered_apart, bodies, chunksize=_WORKER_CHUNK)
        else:
            rendered = map(_rendered, bodies)
        return batch, work, rendered

    def _place_body_pictures(self, work):
        """Put the pictures the bodies in ``work`` show in the library, and their ids in the bodies.
        A changed story's body may show a picture again with a new caption: the picture it showed is
        given the new texts rather than joined by a second copy."""
        showing = [(plan, stored) for _, plan, stored in work if plan.body_pictures]
        if not showing or self.pictures is None:
            return
        stored_pks = [stored.pk for _, stored in showing if stored is not None]
        bodies = {}
        if stored_pks:
            bodies = dict(Article.objects.filter(pk__in=stored_pks).values_list("pk", "body"))
        for plan, stored in showing:
            shown = rendering.picture_ids(bodies.get(stored.pk)) if stored is not None else set()
            ids = self.pictures.add([picture for _, picture in plan.body_pictures], prefer=shown)
            plan.record.body = with_picture_ids(plan.record.body, plan.body_pictures, ids)

    def finish(self, batch, work, rendered, report):
        """Write a prepared batch and report on each of its entries."""
        written = self._write(work, rendered) if work else {}
        for entry in batch:
            if id(entry) in written:
                report.add_outcome(entry.file, *written[id(entry)])
            else:
                report.add_outcome(entry.file, "unchanged", self.existing[entry.key].slug)

    def _write(self, work, rendered):
        """Write the (entry, plan, stored article or None) of ``work``; return (action, slug) by the
        id of each entry."""
        plans = [plan for _, plan, _ in work]
        self.names.settle(plans)
        stored_articles = Article.objects.in_bulk([stored.pk for _, _, stored in work if stored is not None])
        new, changed, befores, written, body_texts, differences = [], [], {}, {}, {}, {}
        for (entry, plan, stored), body_rendered in zip(work, rendered, strict=True):
            record = plan.record
            body_rendered = body_rendered or _rendered(record.body)
            if stored is None:
                slug = record.slug or self.headline_slugs.take(record.headline)
                article = Article(slug=slug, status=DEFAULT_STATUS)
                new.append((plan, article))
            else:
                article = stored_articles[stored.pk]
                befores[id(article)] = Before.of(article)
                changed.append((plan, article))
            fields_before = _reader_fields(article) if stored is not None else None
            _fill(article, plan, self.names.section(plan.section), self.now)
            if problem := article.embargo_problem():  # an embargo the story already had here
                reason = f"the story this file updates is {problem[0].lower()}{problem[1:]}"
                given = [
                    key for key in ("published_at", "status", "embargoed_until") if key in plan.record.lines
                ]
                line = plan.record.line_of(given[0]) if given else plan.record.line
                raise _WriteConflict(Notice(entry.path, line, reason))
            if fields_before is not None:
                # What readers see that changed; the parts (tags, byline, corrections) are rewritten whole.
                differences[id(article)] = {
                    name for name, value in _reader_fields(article).items() if fields_before[name] != value
                } | publishing.STORY_PARTS
                if plan.image is not None:
                    differences[id(article)].add("image")  # as the article form's inline names it
            _derive(article, body_rendered)
            body_texts[id(article)] = body_rendered[2]
            written[id(entry)] = ("created" if stored is None else "updated", article.slug)
        try:
            # A savepoint, so that after a refusal the database can still say whose slug was taken.
            with transaction.atomic():
                self._write_articles(new, changed, befores, body_texts, differences)
        except IntegrityError as error:  # leaving import_paths' transaction rolls everything back
            raise _WriteConflict(_conflict_notice(new + changed, error)) from None
        # Last, after the savepoint (whose release would wait for them): PostgreSQL writes the
        # batch's search rows while the next batch is made ready.
        articles = [article for _, article in new + changed]
        texts = [body_texts[id(article)] for article in articles]
        self.wait_for_index = search.start_indexing(articles, texts)
        return written

    def _write_articles(self, new, changed, befores, body_texts, differences):
        """Write the (plan, article) pairs ``new`` and ``changed`` and their bylines, tags and
        corrections, then follow the batch up as a save would (``publishing.after_bulk_write``:
        revisions, redirects, search index, audit, announcements, cached pages). ``befores`` holds
        ``Before.of`` each changed article as it was stored, ``body_texts`` the plain text of every
        article's body, ``differences`` what each changed, all by article id."""
        when = timezone.now()
        for plan, article in new:
            # Its card (articles/cards.py) from what the batch holds; one with a picture is worked
            # out again once its lead is set, below.
            article.card = card_data.card_for(
                [self.names.author(name) for name in plan.authors],
                [self.names.tag(name) for name in plan.tags],
                [(item.date, item.text) for item in plan.record.corrections or ()],
            )
        if new:
            articles = [article for _, article in new]
            Article.objects.bulk_create(articles)
            # updated_at is auto_now, set by the insert: only a second write can give it the file's time.
            dated = [(plan.record.updated_at, article) for plan, article in new if plan.record.updated_at]
            for updated_at, article in dated:
                article.updated_at = updated_at
            if dated:
                Article.objects.bulk_update([article for _, article in dated], ["updated_at"])
        if changed:
            articles = [article for _, article in changed]
            for plan, article in changed:
                article.updated_at = plan.record.updated_at or when
            Article.objects.bulk_update(articles, _UPDATED_FIELDS)
        everything = new + changed
        changed_pks = {article.pk for _, article in changed}
        _set_bylines(
            [(article, [self.names.author(name) for name in plan.authors]) for plan, article in everything],
            changed_pks,
        )
        # A new article without tags has no taggings to set; a changed one may have some to remove.
        _set_tags(
            [
                (article, [self.names.tag(name) for name in plan.tags])
                for plan, article in everything
                if plan.tags or article.pk in changed_pks
            ],
            changed_pks,
        )
        corrected = [(article, plan.record.corrections) for plan, article in everything]
        _set_corrections([(article, items) for article, items in corrected if items is not None], changed_pks)
        leads = [(article.pk, plan.image) for plan, article in everything if plan.image is not None]
        if leads and self.pictures is not None:
            self.pictures.set_leads(leads)
        # Changed stories may keep bylines, tags or a picture the file leaves as they were.
        cards.refresh_cards([pk for pk, _ in leads] + list(changed_pks))
        # The writes above bypass save() and its signals: the follow-up comes after the tags, which
        # the search index holds.
        withdrew = publishing.after_bulk_write(
            [(befores.get(id(article)), article) for _, article in everything],
            body_texts=body_texts,
            changes=differences,
            retire_pages=False,
            index=False,
        )
        self.wrote, self.withdrew = True, self.withdrew or withdrew


def _nothing_under_way():
    """No search rows are being written."""


# The fields of an article a reader sees, as publishing.story_changed names them.
_READER_FIELDS = ("headline", "slug", "dek", "body", "section_id", "dateline", "published_at", "featured")


def _reader_fields(article):
    return {name.removesuffix("_id"): getattr(article, name) for name in _READER_FIELDS}


def _fill(article, plan, section, now):
    record = plan.record
    # Also for an article found by its primary key: from now on its source finds it.
    article.source_name, article.source_id = record.source_name, record.source_id
    if record.slug:
        article.slug = record.slug
    if record.featured is not None:
        article.featured = record.featured
    if record.embargoed_until is not None:
        article.embargoed_until = record.embargoed_until
    article.headline = record.headline
    article.dek = record.dek
    article.body = record.body
    article.section = section
    article.dateline = plan.dateline
    article.status = plan.status or article.status
    if plan.published_at is not None:
        article.published_at = plan.published_at
    elif article.status == Status.PUBLISHED:
        # Keep the original publication time of a story re-imported after a fix.
        article.published_at = article.published_at or now
    else:
        article.published_at = None
    article.source_checksum = plan.checksum


def _rendered(body):
    """Return what saving an article works out from its body: (its HTML and word count, as
    Article.save() does, and the plain text the search index holds). Runs in a worker process for
    a large import."""
    html, word_count = derive_from_body(body)
    return html, word_count, search.plain_text(html)


def _rendered_apart(body):
    """``_rendered`` in a worker process, which makes no query: None for a body showing library
    pictures (``photo:ID``), rendered afterwards in this process, where the pictures are read."""
    return None if rendering.picture_ids(body) else _rendered(body)


def _derive(article, rendered):
    """Prepare ``article`` as save() would (the batch writes do not call it), with the body's
    ``_rendered`` values."""
    article.prepare_for_write(rendered[:2])


def _set_bylines(bylines, changed_pks):
    """Give each (article, authors) that byline, in order, replacing a changed article's. Each
    byline carries its story's release time (ArticleAuthor.published_at), adapted."""
    if changed_pks:
        ArticleAuthor.objects.filter(article_id__in=list(changed_pks)).delete()
    adapt = connection.ops.adapt_datetimefield_value
    insert_rows(
        ArticleAuthor,
        ("article", "author", "position", "published_at"),
        [
            (article.pk, author_pk, position, adapt(article.released_at))
            for article, authors in bylines
            for position, author_pk in enumerate(dict.fromkeys(author.pk for author in authors))
        ],
    )


def _set_tags(taggings, changed_pks):
    """Give each (article, tags) exactly those tags, as ``article.tags.set()`` would: a changed
    article keeps the taggings it still has and loses the others."""
    wanted = {article.pk: {tag.pk for tag in tags} for article, tags in taggings}
    # Each tagging carries its story's publication time (TaggedArticle.published_at), adapted.
    adapt = connection.ops.adapt_datetimefield_value
    published = {article.pk: adapt(article.released_at) for article, _ in taggings}
    have, stale = {}, []
    if changed_pks:
        rows = TaggedArticle.objects.filter(content_object_id__in=list(changed_pks))
        for pk, article_pk, tag_pk in rows.values_list("pk", "content_object_id", "tag_id"):
            if tag_pk in wanted.get(article_pk, ()):
                have.setdefault(article_pk, set()).add(tag_pk)
            else:
                stale.append(pk)
    # Not QuerySet.delete(): it would send a signal per row, each re-indexing its article's tags,
    # which the batch's own indexing does once.
    table = connection.ops.quote_name(TaggedArticle._meta.db_table)
    with connection.cursor() as cursor:
        for start in range(0, len(stale), _LOOKUP_CHUNK):
            chunk = stale[start : start + _LOOKUP_CHUNK]
            cursor.execute(f"DELETE FROM {table} WHERE id IN ({', '.join(['%s'] * len(chunk))})", chunk)
    insert_rows(
        TaggedArticle,
        ("content_object", "tag", "published_at"),
        [
            (article_pk, tag_pk, published[article_pk])
            for article_pk, tag_pks in wanted.items()
            for tag_pk in sorted(tag_pks - have.get(article_pk, set()))
        ],
    )
    # The taggings a changed story kept follow its publication time, which may have moved.
    if changed_pks:
        TaggedArticle.objects.filter(content_object_id__in=list(changed_pks)).follow_stories()


def _set_corrections(corrections, changed_pks):
    """Give each (article, corrections) those corrections, replacing a changed article's."""
    replaced = [article.pk for article, _ in corrections if article.pk in changed_pks]
    if replaced:
        Correction.objects.filter(article_id__in=replaced).delete()
    # bulk_create skips Correction.save(), which would move updated_at to now.
    Correction.objects.bulk_create(
        Correction(article=article, date=item.date, text=item.text)
        for article, items in corrections
        for item in items
    )


def _conflict_notice(pairs, error):
    """Return the notice for a batch the database refused: about the first (plan, article) whose
    slug or source another article holds, or the batch's first when none can be found."""
    culprit = pairs[0][0]
    slugs = dict(Article.objects.filter(slug__in=[a.slug for _, a in pairs]).values_list("slug", "pk"))
    sources = Q()
    for _, article in pairs:
        sources |= Q(source_name=article.source_name, source_id=article.source_id)
    rows = Article.objects.filter(sources).values_list("source_name", "source_id", "pk")
    holders = {(name, source_id): pk for name, source_id, pk in rows}
    for plan, article in pairs:
        # A new article's pk, if set, is from the insert that was rolled back.
        holder_pks = {slugs.get(article.slug), holders.get((article.source_name, article.source_id))}
        if holder_pks - {None, article.pk}:
            culprit = plan
            break
    record = culprit.record
    database_says = str(error).splitlines()[0]
    return Notice(
        record.path,
        record.line,
        f"“{record.headline}” could not be written ({database_says}): another change to the site took "
        "its slug or source meanwhile; nothing was imported, run it again",
    )
