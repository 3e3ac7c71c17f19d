"""Stories: articles, their bylines and corrections; the workflow's rules are in ``workflow``, what is
asked of the stories (lists, topics, related coverage) in ``story_queries``.

Visibility lives in one place, ``Article.objects.published()``; every public surface starts there.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.functional import cached_property
from simple_history.models import HistoricalRecords
from taggit.managers import TaggableManager

from articles import card_data, page_keys, pictures, standfirst
from articles.addresses import slug_address
from articles.models.redirects import SlugRedirect
from articles.models.revisions import StoryRevision
from articles.models.story_queries import ArticleQuerySet
from articles.models.taxonomy import ArticleAuthor, Author, Section, TaggedArticle
from articles.models.workflow import (
    State,
    Status,
    WorkflowError,
    can_publish,
    embargo_refusal,
    state_of,
    time_left,
)
from articles.plain_text import strip_text_fields
from articles.rendering import count_words, render_markdown

READING_WORDS_PER_MINUTE = 230
HEADLINE_MAX_LENGTH = 300
UPDATE_GRACE = timedelta(minutes=5)


def derive_from_body(body):
    """What an article works out from its Markdown body: (sanitised HTML, word count). A plain
    function so large imports can run it in worker processes."""
    return render_markdown(body), count_words(body)


class Article(models.Model):
    headline = models.CharField(max_length=HEADLINE_MAX_LENGTH)
    slug = models.SlugField(max_length=200, unique=True)
    dek = models.TextField("standfirst", blank=True, help_text="Plain text, shown under the headline.")
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(editable=False, blank=True)
    # No index of its own: article_section_newest and article_section_updated begin with it.
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles", db_index=False)
    authors = models.ManyToManyField(Author, through="ArticleAuthor", related_name="articles", blank=True)
    tags = TaggableManager(through=TaggedArticle, blank=True)
    dateline = models.CharField(max_length=100, blank=True, help_text="Where it was filed, e.g. BEIJING.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    embargoed_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Not to go out before this time, as agreed with the source: it can be scheduled for "
        "then or later, never published earlier. Set and lifted by an editor.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    featured = models.BooleanField(default=False, help_text="Lead the front page.")
    word_count = models.PositiveIntegerField(default=0, editable=False)
    # The dek is the lede's opening (articles/standfirst.py): the article page, which prints the
    # lede, leaves the dek out; lists, feeds and the meta description keep it.
    dek_repeats_lede = models.BooleanField(default=False, editable=False)
    source_name = models.CharField(max_length=50, blank=True, help_text="Import format it came from.")
    source_id = models.CharField(max_length=255, blank=True, help_text="Its id in the system it came from.")
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+", db_index=False,  # article_by_creator begins with it
    )  # fmt: skip
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip
    # Bumped on every save; the admin form carries the value it was opened with, so a save made
    # from a stale copy is refused instead of silently overwriting someone else's work.
    edit_version = models.PositiveIntegerField(default=0, editable=False)
    # True while the story is public and story_published has gone out for it (articles.publishing),
    # so a story is announced once each time it goes public, whichever way it went.
    announced = models.BooleanField(default=False, editable=False)
    # Bylines, topics, corrections and lead picture as the story's cards and page show them, kept
    # current by articles/cards.py whenever one of them changes, so pages read no other table.
    card = models.JSONField(null=True, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()
    history = HistoricalRecords(
        bases=[StoryRevision],
        # "What changed", as the editor wrote it with the save (optional).
        history_change_reason_field=models.TextField(null=True),
        excluded_fields=[
            "body_html",
            "word_count",
            "dek_repeats_lede",
            "source_checksum",
            "updated_at",
            "edit_version",
            "announced",
            "card",
        ],  # fmt: skip
    )

    class Meta:
        ordering = ["-published_at", "-pk"]
        permissions = [("publish_article", "Can publish, schedule and unpublish articles")]
        indexes = [
            # Public lists read these newest first; the trailing id makes the index give the
            # pages' exact order, so a page is a short index scan however large the archive.
            models.Index(fields=["status", "-published_at", "-id"], name="article_public_newest"),
            models.Index(fields=["section", "status", "-published_at", "-id"], name="article_section_newest"),
            models.Index(fields=["status", "-featured", "-published_at", "-id"], name="article_lead_story"),
            # The visibility rule for a story found by id (through a tagging, a byline, the search
            # index): read from this index alone. On SQLite the row itself would be read through
            # its body's overflow pages to reach status, a third of a topic page's time at 100,000.
            models.Index(fields=["id", "status", "published_at"], name="article_visibility"),
            # The admin's change list: every state, newest first (the default ordering), a page at a time.
            models.Index(fields=["-published_at", "-id"], name="article_newest_any_state"),
            # The sitemaps' lastmod: the newest update among public stories, overall and by section.
            models.Index(fields=["status", "-updated_at"], name="article_public_updated"),
            models.Index(fields=["section", "status", "-updated_at"], name="article_section_updated"),
            # Imports find earlier articles by source; the unique constraint's index is partial
            # (source_id != ''), which SQLite will not use for "source_id IN (…)".
            models.Index(fields=["source_name", "source_id"], name="article_by_import_source"),
            # The admin dashboard's "my stories in hand": a user's drafts and stories in review,
            # counted and read newest change first from this index alone.
            models.Index(fields=["created_by", "status", "-updated_at"], name="article_by_creator"),
            # The clock's question on every cacheable request: is a story due to be announced?
            models.Index(
                fields=["published_at"],
                condition=models.Q(status=Status.PUBLISHED, announced=False),
                name="article_awaiting_announcement",
            ),
            # The admin's embargoed stories, soonest first: the few with an embargo, not the archive.
            models.Index(
                fields=["embargoed_until", "id"],
                condition=models.Q(embargoed_until__isnull=False),
                name="article_embargoed",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=Status.PUBLISHED) | models.Q(published_at__isnull=False),
                name="published_has_time",
                violation_error_message="A published or scheduled article needs a publication time.",
            ),
            # No path (a form, a bulk action, an import, a revision, the shell) puts a story out
            # before its embargo; embargo_problem() words the refusal before a write gets here.
            models.CheckConstraint(
                condition=~models.Q(status=Status.PUBLISHED)
                | models.Q(embargoed_until__isnull=True)
                | models.Q(published_at__gte=models.F("embargoed_until")),
                name="published_after_embargo",
                violation_error_message="An embargoed article can go out only at its embargo time or later.",
            ),
            models.UniqueConstraint(
                fields=["source_name", "source_id"],
                condition=~models.Q(source_id=""),
                name="unique_import_source",
            ),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.prepare_for_write()
        if not (self._state.adding or args or kwargs.get("update_fields") or kwargs.get("force_insert")):
            # ``announced`` is articles.publishing's, written by it alone (with update()): a save
            # from an instance read before the story was announced must not undo that. ``card`` is
            # articles.cards', worked out again after every save (post_save).
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in ("announced", "card")
            ]
        # An old slug belongs to its article (SlugRedirect): no save, from the admin, a revision
        # restore or the shell, takes it. Asked on every save, not only when the slug looks changed,
        # as the remembered slug goes stale after refresh_from_db().
        held = SlugRedirect.held_for_another(self.slug, self)
        if held is not None:
            raise SlugRedirect.Held(
                f"{held.owner_phrase()}; only an editor can free it, by deleting that redirect."
            )
        super().save(*args, **kwargs)
        # Topic and author lists read stories in the order of their links' copy of the release time.
        released_at = self.released_at
        for links in (self.tagged_items, self.bylines):
            links.exclude(published_at=released_at).update(published_at=released_at)
        stored_slug = getattr(self, "_stored_slug", None)
        if stored_slug and stored_slug != self.slug:
            SlugRedirect.leave_behind([(stored_slug, self)])
        self._stored_slug = self.slug
        self._stored_status = self.status
        self._stored_section_id = self.section_id
        self._stored_published_at = self.published_at

    def get_absolute_url(self):
        return slug_address("articles:detail", self.slug)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the stored slug so a rename can leave a redirect behind, and the stored status
        # so a draft's edits need not retire cached pages (articles/caching.py).
        instance._stored_slug = instance.__dict__.get("slug")
        if "status" in instance.__dict__:
            instance._stored_status = instance.status
        # Where it is listed, so a change that moves it retires the lists it leaves (page_keys).
        instance._stored_section_id = instance.__dict__.get("section_id")
        instance._stored_published_at = instance.__dict__.get("published_at")
        # A public page rendering now shows this story: the page names it (articles/page_keys.py).
        page_keys.saw_story(instance.pk)
        return instance

    def refresh_from_db(self, using=None, fields=None, from_queryset=None):
        super().refresh_from_db(using, fields, from_queryset)
        if fields is None or "slug" in fields:
            self._stored_slug = self.slug  # else a rename after a refresh redirects the wrong slug
        if fields is None or "status" in fields:
            self._stored_status = self.status  # else unpublishing it could retire no cached page
        if fields is None or "section" in fields:
            self._stored_section_id = self.section_id
        if fields is None or "published_at" in fields:
            self._stored_published_at = self.published_at
        self.__dict__.pop("lead_picture", None)

    def prepare_for_write(self, derived=None):
        """Work out, once per write, what is stored beside the body, and bump edit_version.

        ``derived`` is ``derive_from_body(self.body)`` when it was computed already (bulk imports
        compute it in worker processes and write without save()).
        """
        strip_text_fields(self)  # before rendering, so the HTML is clean too
        self.body_html, self.word_count = derived or derive_from_body(self.body)
        self.dek_repeats_lede = standfirst.repeats_lede(self.dek, self.body_html)
        self.edit_version += 1

    def state_at(self, now):
        return state_of(self.status, self.published_at, now)

    @property
    def state(self):
        """Draft, In review, Scheduled or Published, as editors talk about it."""
        return self.state_at(timezone.now()).label

    @property
    def is_public(self):
        return self.state_at(timezone.now()) == State.PUBLISHED

    @property
    def is_released(self):
        """Published or scheduled (ArticleQuerySet.released)."""
        return self.status == Status.PUBLISHED

    @property
    def released_at(self):
        """The publication time of a published or scheduled story; None for a draft or one in review."""
        return self.published_at if self.is_released else None

    @property
    def embargo_ahead(self):
        """Whether the story is under an embargo that has not lifted yet."""
        return self.embargoed_until is not None and self.embargoed_until > timezone.now()

    @property
    def embargo_left(self):
        """The time left under the embargo, "2 h 15 min left", or "lifted"; None without one."""
        if self.embargoed_until is None:
            return None
        now = timezone.now()
        return f"{time_left(self.embargoed_until, now)} left" if self.embargoed_until > now else "lifted"

    def embargo_problem(self):
        """Why the story, as it stands, would go out before its embargo; None when it would not.
        The constraint published_after_embargo holds the rule in the database."""
        if self.is_released and self.embargoed_until and self.published_at < self.embargoed_until:
            return embargo_refusal(self.embargoed_until)
        return None

    def validate_constraints(self, exclude=None):
        # The embargo's refusal names its time; the constraint's own message cannot.
        if problem := self.embargo_problem():
            raise ValidationError(problem, code="embargo")
        super().validate_constraints(exclude)

    @property
    def was_released(self):
        """Whether the article was published or scheduled as last read or saved; True when that is
        not known (an instance not read from the database), the safe guess for retiring pages."""
        return getattr(self, "_stored_status", Status.PUBLISHED) == Status.PUBLISHED

    # The workflow. Every path that changes status or published_at (the change form, the history
    # revert form, bulk actions) goes through check_change_allowed(), directly or through
    # articles.publishing, which owns the steps themselves.

    def check_change_allowed(self, user, stored):
        """Raise WorkflowError unless ``user`` may move this article from ``stored`` to its values.

        ``stored`` is the saved article before the change (None for a new one). The embargo holds
        for everyone, editors included.
        """
        if problem := self.embargo_problem():
            raise WorkflowError(problem)
        if can_publish(user):
            return
        if stored is not None and stored.is_released:
            raise WorkflowError("Only an editor can change a published or scheduled article.")
        if self.is_released:
            raise WorkflowError(
                "Only an editor can publish or schedule an article. Send it to review instead."
            )
        if self.published_at != (stored.published_at if stored else None):
            raise WorkflowError("Only an editor can set the publication time.")
        if self.featured != (stored.featured if stored else False):
            raise WorkflowError("Only an editor can feature an article on the front page.")
        if self.embargoed_until != (stored.embargoed_until if stored else None):
            raise WorkflowError("Only an editor can set, move or lift an embargo.")

    @property
    def was_updated(self):
        """Changed since it went out (or since it was imported with an older publication time)."""
        if not self.published_at:
            return False
        return self.updated_at - max(self.published_at, self.created_at) > UPDATE_GRACE

    @property
    def reading_minutes(self):
        return max(1, math.ceil(self.word_count / READING_WORDS_PER_MINUTE))

    @property
    def card_is_current(self):
        return card_data.current(self.__dict__.get("card"))

    @property
    def topics(self):
        """Tags by name: from the card (articles/cards.py), else the taggings (TOPICS_PREFETCH)."""
        if self.card_is_current:
            return card_data.topics_of(self.card)
        return sorted((item.tag for item in self.tagged_items.all()), key=lambda tag: tag.name.lower())

    @property
    def byline_authors(self):
        """Authors in byline order: from the card, else the bylines (BYLINES_PREFETCH)."""
        if self.card_is_current:
            return card_data.authors_of(self.card)
        return [byline.author for byline in self.bylines.all()]

    @property
    def corrections_shown(self):
        """Corrections, oldest first, as the page prints them (date, text)."""
        if self.card_is_current:
            return card_data.corrections_of(self.card)
        return list(self.corrections.all())

    @cached_property
    def lead_picture(self):
        """The picture the story leads with, or None: from the card, else asked of the picture
        source (articles.pictures), which ``attach_lead_pictures`` does for a list at once."""
        if self.card_is_current:
            return card_data.picture_of(self.card)
        return pictures.lead_picture_of(self)


# What a card or an article page shows beside the article: bylines in order, tags alphabetically.
BYLINES_PREFETCH = Prefetch(
    "bylines", queryset=ArticleAuthor.objects.select_related("author").order_by("position", "pk")
)
# Through our own foreign key, not taggit's manager: taggit builds a queryset per article just to
# fill its cache, which cost more than the page's queries. Article.topics reads it.
TOPICS_PREFETCH = Prefetch("tagged_items", queryset=TaggedArticle.objects.select_related("tag"))
CARD_PREFETCHES = (BYLINES_PREFETCH, TOPICS_PREFETCH)
