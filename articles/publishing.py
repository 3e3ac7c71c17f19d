"""Publishing: the one owner of a story's way to readers and back.

Every step that can put a story in front of readers, change what they see of it or take it away goes
through here, whichever door it comes by: the admin's change form and history revert
(``saved``/``parts_changed``), its bulk actions (``publish``, ``unpublish``, ``send_to_review``),
deleting (``delete``), the importer's batch writes (``after_bulk_write``), the clock for scheduled
stories (``release_due``), and the calls later apps make (``publish``, ``correct``, ``rename``).

Each step records the audit event, and, once the transaction commits, sends Newsroom's own signals,
which later apps (newsletters, alerts, webhooks, proxy purges) subscribe to rather than to model
saves:

- ``story_published(article, by)``: the story went public, because it was published, or because
  the time of a scheduled story came (``by`` is then None: the system).
- ``story_changed(article, by, changes)``: a public story changed; ``changes`` is a frozenset of
  what: field names (``headline``, ``slug``, ``body``…) and its parts (``tags``, ``authors``,
  ``corrections``).
- ``story_unpublished(article, by, deleted)``: a public story left the public site: unpublished,
  rescheduled to a later time, or deleted (``deleted`` is True; the instance keeps its fields).

A story announced with many others (an import's batch, scheduled stories released together) comes
with ``batch``, a ``Batch`` of their ids, so that a receiver which looks something up per story can
look it up once for all of them (``batch.memo``); a single story's announcement has no ``batch``.

Apps with feeds of their own say when one changed with ``feed_changed(urls)`` (``urls``: the feeds'
absolute addresses; a live story's update changes its live feeds), after the commit, so the WebSub
hub hears of those feeds as of the stories'.

Each is sent once per transition: ``Article.announced`` remembers that a story's going public was
announced, so a second save, a second worker or a re-run import never announces it twice. Receivers
run after the commit, so they never see a change that was rolled back, and a failing receiver is
logged without undoing the editor's work.

Scheduled stories need no job to become visible (the visibility rule compares times). Their
announcement comes from the clock: ``release_due()`` announces every story whose time has come. The
page cache's per-request version read (articles/caching.py) notices a due story at no extra cost and
calls it through ``caching.publication_due``; a deployment without the shared cache runs
``manage.py publish_due`` every minute instead.

What a save does by itself stays with the model and its signals (body rendering, redirects on a
rename, revisions, the search index, retiring cached pages); ``after_bulk_write`` does the same for
rows the importer wrote without ``save()``, so an imported story and an edited one are alike.
"""

import logging
from array import array
from dataclasses import dataclass, field

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from articles import retiring, search
from articles.models import (
    Article,
    Correction,
    PublicationEvent,
    SlugRedirect,
    Status,
    WorkflowError,
    can_publish,
)

logger = logging.getLogger(__name__)

story_published = Signal()
story_changed = Signal()
story_unpublished = Signal()
feed_changed = Signal()

# Articles read back at a time to announce a batch write.
_ANNOUNCE_CHUNK = 200
# The parts of a story besides its fields, as story_changed names them.
STORY_PARTS = frozenset({"tags", "authors", "corrections"})
# Written by every save, or never shown to readers: not a change anyone subscribes to.
_UNNOTICED = frozenset({"opened_version", "edit_version", "updated_at", "updated_by", "source_checksum"})


@dataclass(frozen=True)
class Before:
    """What a story was before a write: enough to tell which step the write took."""

    status: str
    published_at: object
    slug: str
    announced: bool

    @classmethod
    def of(cls, article):
        if article is None:
            return None
        return cls(article.status, article.published_at, article.slug, article.announced)


# The workflow's steps. Each checks the role again, whatever the caller checked.


def publish(article, *, by, at=None):
    """Publish now, or at ``at`` (a future time schedules it). Editors only."""
    _require_editor(by)
    _move(article, by, status=Status.PUBLISHED, published_at=at or timezone.now())


def unpublish(article, *, by):
    """Take the article off every public surface and back to draft. Editors only."""
    _require_editor(by)
    _move(article, by, status=Status.DRAFT, published_at=None)


def send_to_review(article, *, by):
    if article.status != Status.DRAFT:
        raise WorkflowError(f"“{article.headline}” is not a draft, so it cannot be sent to review.")
    _move(article, by, status=Status.REVIEW)


def rename(article, slug, *, by):
    """Give the story a new address; its old one answers with a redirect (Article.save)."""
    _check_allowed(article, by)
    _move(article, by, slug=slug)


def correct(article, text, *, by, date=None):
    """Append a correction: shown on the story, in its JSON-LD, and moving its updated time."""
    _check_allowed(article, by)
    with transaction.atomic():
        correction = Correction.objects.create(article=article, text=text, date=date or timezone.now())
        article.refresh_from_db(fields=["updated_at"])
        parts_changed(article, by=by, parts={"corrections"})
    return correction


def delete(article, *, by):
    """Delete the story, keeping a record of who did (a desk's legal takedown)."""
    delete_many([article], by=by)


def delete_many(articles, *, by):
    with transaction.atomic():
        for article in articles:
            PublicationEvent.record_deletion(article, by)
            if article.announced:
                _announce(article, story_unpublished, by, deleted=True)
            article.delete()


def _require_editor(user):
    if not can_publish(user):
        raise WorkflowError("Only an editor can publish, schedule or unpublish an article.")


def _check_allowed(article, user):
    if not can_publish(user) and article.is_released:
        raise WorkflowError("Only an editor can change a published or scheduled article.")


def _move(article, by, **values):
    with transaction.atomic():
        stored = Article.objects.select_for_update().get(pk=article.pk)
        changes = {name for name, value in values.items() if getattr(stored, name) != value}
        for name, value in values.items():
            setattr(article, name, value)
        if problem := article.embargo_problem():  # the constraint would refuse it, less clearly
            for name in values:
                setattr(article, name, getattr(stored, name))
            raise WorkflowError(problem)
        article.updated_by = by
        article.save()
        saved(article, before=Before.of(stored), by=by, changes=changes)


# Following up a write.


def saved(article, *, before, by, changes=()):
    """Follow up the save of one story by ``by``: ``before`` is ``Before.of`` the stored story (None
    for a new one), ``changes`` the names of what the save changed."""
    PublicationEvent.record(before, article, by)
    _settle([(before, article, changes)], by)


def parts_changed(article, *, by, parts):
    """Follow up a change to a saved story's tags, byline or corrections (the admin's inlines, a
    correction). Merged into the announcement of the same transaction's save, if it made one."""
    if parts:
        _settle([(Before.of(article), article, parts)], by)


def after_bulk_write(written, *, by=None, body_texts=None, changes=None, retire_pages=True, index=True):
    """Do for rows written without ``save()`` (the importer's batches) what a save does.

    ``written`` holds a (before, article) pair per article, ``before`` from ``Before.of`` the stored
    story (None for a new one), the article as written, with its tags, byline and corrections in the
    database. ``body_texts`` maps ``id(article)`` to the plain text of its body for the search index
    (worked out in the importer's worker processes), when known; ``changes`` maps it to the names
    of what the write changed of a stored story (every field and part, when not given). In the
    writes' transaction.

    With ``index`` False the search index rows are left for the caller to write (the importer has
    PostgreSQL write them while it prepares the next batch: ``search.start_indexing``).

    Returns whether a story left the public site. With ``retire_pages`` False the cached pages are
    left for the caller to retire (``caching.content_changed``) once after many batches: the
    content version is one row, and updated once per batch in one long transaction its versions
    pile up, each update slower than the last (a quarter of a million-story import's time).
    """
    if not written:
        return False
    when = timezone.now()
    articles = [article for _, article in written]
    new = [article for before, article in written if before is None]
    changed = [article for before, article in written if before is not None]
    for batch, update in ((new, False), (changed, True)):
        if batch:
            Article.history.bulk_history_create(
                batch, update=update, default_date=when, default_change_reason=None
            )
    SlugRedirect.leave_behind(
        [(before.slug, article) for before, article in written if before and before.slug != article.slug]
    )
    if index:
        texts = [body_texts[id(article)] for article in articles] if body_texts else None
        search.index_articles(articles, texts)
    PublicationEvent.record_many(written, by)
    everything = {*STORY_PARTS, "headline", "slug", "dek", "body", "section", "dateline", "featured"}
    _settle(
        [
            (before, article, (changes or {}).get(id(article), everything) if before else ())
            for before, article in written
        ],
        by,
    )
    withdrawn = any(before and before.announced and not article.is_public for before, article in written)
    if retire_pages:
        retiring.stories_written(written, withdrawn=withdrawn)
    return withdrawn


def release_due(now=None):
    """Announce every released story whose time has come and that has not been announced: the
    scheduled stories that went public by themselves. Returns them.

    Safe to call from several processes at once: PostgreSQL locks the rows claimed (others skip
    them), and SQLite's write transactions (IMMEDIATE) run one at a time.
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = list(
            Article.objects.awaiting_announcement()
            .filter(published_at__lte=now)
            .select_for_update(skip_locked=True)
            .only("pk", "headline", "slug", "status", "published_at", "section_id")
            .order_by("published_at", "pk")
        )
        if due:
            Article.objects.filter(pk__in=[article.pk for article in due]).update(announced=True)
            published = PublicationEvent.Action.PUBLISHED
            PublicationEvent.objects.bulk_create(
                PublicationEvent.about(article, published, None) for article in due
            )
            if len(due) == 1:
                _announce(due[0], story_published, None)
            else:
                _announce_many(story_published, [(article, ()) for article in due], None)
            retiring.stories_written([(None, article) for article in due])
    for article in due:
        article.announced = True
    return due


def publication_came_due(sender, **kwargs):
    """caching.publication_due: a reader's request found a story's time has come."""
    release_due()


def _settle(steps, by):
    """Announce each (before, article, changes) step that moved a story to, on or off the public site,
    and keep ``Article.announced`` in step."""
    went_public, went_away, changed = [], [], []
    for before, article, changes in steps:
        announced = before.announced if before else False
        if article.is_public and not announced:
            went_public.append((article, ()))
        elif announced and not article.is_public:
            went_away.append((article, ()))
        elif announced and (noticed := set(changes) - _UNNOTICED):
            changed.append((article, noticed))
    for articles, value in ((went_public, True), (went_away, False)):
        if articles:
            Article.objects.filter(pk__in=[article.pk for article, _ in articles]).update(announced=value)
            for article, _ in articles:
                article.announced = value
    announcements = {story_published: went_public, story_unpublished: went_away, story_changed: changed}
    for signal, found in announcements.items():
        if len(steps) == 1:
            for article, changes in found:
                _announce(article, signal, by, changes=changes)
        elif found:
            _announce_many(signal, found, by)


def _announce_many(signal, found, by):
    """Announce a batch write's (article, changes) pairs after the commit, from their ids: the
    batch's articles (bodies and all) need not stay in memory until then. The ids wait in an
    array (8 bytes each: an import's million of them wait for its one commit), the changes only
    where there are some."""
    pks = array("q", sorted({article.pk for article, _ in found}))
    changes_by_pk = {article.pk: changes for article, changes in found if changes}

    def send():
        if not signal.has_listeners(Article):
            return
        for start in range(0, len(pks), _ANNOUNCE_CHUNK):
            batch = Batch(pks[start : start + _ANNOUNCE_CHUNK])
            for article in Article.objects.filter(pk__in=batch.pks).order_by("pk"):
                changes = set(changes_by_pk.get(article.pk, ()))
                _Announcement(signal, article, by, changes, batch=batch).send()

    transaction.on_commit(send)


class Batch:
    """The ids of stories announced together; ``memo`` keeps what a receiver looked up for all of
    them, so an import of a million stories does not cost each receiver a query per story."""

    def __init__(self, pks):
        self.pks = list(pks)
        self._memo = {}

    def memo(self, key, compute):
        """``compute()`` the first time ``key`` is asked for in this batch; its value after that."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


@dataclass
class _Announcement:
    signal: Signal
    article: Article
    by: object
    changes: set = field(default_factory=set)
    deleted: bool = False
    batch: Batch | None = None

    def send(self):
        self.article.__dict__.pop("_announcement", None)
        if self.signal is story_changed:
            extra = {"changes": frozenset(self.changes)}
        elif self.signal is story_unpublished:
            extra = {"deleted": self.deleted}
        else:
            extra = {}
        if self.batch is not None:
            extra["batch"] = self.batch
        for receiver, outcome in self.signal.send_robust(Article, article=self.article, by=self.by, **extra):
            if isinstance(outcome, Exception):
                logger.error(
                    "%s failed on “%s”", getattr(receiver, "__qualname__", receiver), self.article,
                    exc_info=outcome,
                )  # fmt: skip


def _announce(article, signal, by, changes=(), deleted=False):
    """Send ``signal`` about ``article`` when the transaction commits; one announcement per story
    per transaction, so a save and its inlines' changes make one ``story_changed``."""
    pending = article.__dict__.get("_announcement")
    if pending is not None:
        if pending.signal is story_changed and signal is story_changed:
            pending.changes |= set(changes)
            return
        if pending.signal is signal:
            return
    announcement = _Announcement(signal, article, by, set(changes), deleted)
    article.__dict__["_announcement"] = announcement
    transaction.on_commit(announcement.send)
