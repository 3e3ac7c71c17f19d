"""Live stories: an article marked live, the key points editors keep current, and its stream of
timestamped updates.

A reader sees an update when its story is public (``Article.objects.published()``, the one rule)
and the update itself is published. Each live story keeps the time of the last change a reader
could see (``last_change_at``), so a client polling for news is answered from the story's own row.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import Truncator

from articles.models import Article, Author
from articles.rendering import render_markdown

SUMMARY_LENGTH = 200


class LiveStoryQuerySet(models.QuerySet):
    def public(self):
        """Live stories a reader may see: their article is public. Checked story by story (an
        EXISTS on the article's id), not as "in the list of every public article": SQLite built that
        list first, 100 ms on the front page of a 100,000-story archive with no live story at all."""
        story_is_public = Article.objects.published().filter(pk=models.OuterRef("article_id"))
        return self.filter(models.Exists(story_is_public))

    def open_at(self, now):
        return self.filter(models.Q(ended_at__isnull=True) | models.Q(ended_at__gt=now))


class LiveStory(models.Model):
    article = models.OneToOneField(Article, on_delete=models.CASCADE, primary_key=True, related_name="live")
    key_points = models.TextField(
        blank=True, help_text="Markdown, usually a short list: what a reader arriving now needs first."
    )
    key_points_html = models.TextField(blank=True, editable=False)
    started_at = models.DateTimeField(
        null=True, blank=True, help_text="When the coverage began; the story's publication time if empty."
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, help_text="When the coverage ended; empty while it goes on."
    )
    # The last change readers could see (an update published, corrected or removed, the key points,
    # the end): a poll that has seen it is answered from this row alone.
    last_change_at = models.DateTimeField(default=timezone.now, editable=False)

    objects = LiveStoryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "live stories"
        indexes = [models.Index(fields=["ended_at"], name="live_story_by_end")]

    def __str__(self):
        return str(self.article)

    def save(self, *args, **kwargs):
        self.key_points_html = render_markdown(self.key_points) if self.key_points.strip() else ""
        self.last_change_at = timezone.now()
        super().save(*args, **kwargs)

    def is_open_at(self, now):
        return self.ended_at is None or self.ended_at > now

    @property
    def is_open(self):
        return self.is_open_at(timezone.now())

    @property
    def coverage_start(self):
        return self.started_at or self.article.published_at

    def scope_keys(self, slug=None):
        """The keys (articles.page_keys) of the pages showing this story's updates."""
        return [live_key(slug or self.article.slug), FRONT_PAGE_SCOPE]


FRONT_PAGE_SCOPE = "front"


def live_key(slug):
    """The key of a live story's pages: its page, its updates' pages and its live feeds."""
    return f"live:{slug}"


class UpdateStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class LiveUpdateQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=UpdateStatus.PUBLISHED)

    def public(self):
        """Updates a reader may see: published, on a public story."""
        story_is_public = LiveStory.objects.public().filter(pk=models.OuterRef("story_id"))
        return self.published().filter(models.Exists(story_is_public))

    def newest_first(self):
        return self.order_by("-published_at", "-pk")

    def for_page(self):
        return self.select_related("author")


class LiveUpdate(models.Model):
    story = models.ForeignKey(LiveStory, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=20, choices=UpdateStatus.choices, default=UpdateStatus.DRAFT)
    # The time readers see: set when the update is published.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    author = models.ForeignKey(Author, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    headline = models.CharField(max_length=200, blank=True, help_text="Optional, a few words.")
    body = models.TextField(help_text="Markdown; pictures from the library as ![alt](photo:ID).")
    body_html = models.TextField(editable=False, blank=True)
    # Plain text, for the front page's "latest" line and the feeds' titles.
    summary = models.CharField(max_length=SUMMARY_LENGTH + 10, editable=False, blank=True)
    pinned = models.BooleanField(default=False, help_text="Kept at the top of the story's page.")
    corrected_at = models.DateTimeField(null=True, blank=True, editable=False)
    correction = models.CharField(
        max_length=300, blank=True, help_text="What was corrected, as readers will read it."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, editable=False,
        on_delete=models.SET_NULL, related_name="+",
    )  # fmt: skip

    objects = LiveUpdateQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        permissions = [("publish_liveupdate", "Can publish, correct and remove published live updates")]
        indexes = [
            # The story's page: its published updates newest first, a page at a time.
            models.Index(fields=["story", "status", "-published_at", "-id"], name="live_update_stream"),
            # A poll: what changed since a time.
            models.Index(fields=["story", "status", "changed_at"], name="live_update_changes"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(status=UpdateStatus.PUBLISHED) | models.Q(published_at__isnull=False),
                name="published_update_has_time",
            )
        ]

    def __str__(self):
        return self.headline or self.summary or f"Update {self.pk}"

    def save(self, *args, **kwargs):
        now = timezone.now()
        if self.is_published and self.published_at is None:
            self.published_at = now
        if not self.is_published:
            self.published_at = None
        # Readers saw the earlier text: a change to it is a correction, marked and dated.
        if self.pk and self.is_published and self.was_published and self.text_changed():
            self.corrected_at = now
        self.body_html = render_markdown(self.body)
        self.summary = self._summary()
        self.changed_at = now
        super().save(*args, **kwargs)
        self._stored = {"status": self.status, "headline": self.headline, "body": self.body}

    def get_absolute_url(self):
        """The permalink: answers with the page the update is on, at its anchor."""
        from django.urls import reverse

        return reverse("live:update", kwargs={"slug": self.story.article.slug, "pk": self.pk})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._stored = {name: instance.__dict__.get(name) for name in ("status", "headline", "body")}
        return instance

    @property
    def was_published(self):
        return getattr(self, "_stored", {}).get("status") == UpdateStatus.PUBLISHED

    @property
    def is_published(self):
        return self.status == UpdateStatus.PUBLISHED

    def text_changed(self):
        stored = getattr(self, "_stored", {})
        return (self.headline, self.body) != (stored.get("headline"), stored.get("body"))

    def _summary(self):
        from django.utils.html import strip_tags

        text = " ".join(strip_tags(self.body_html).split())
        return Truncator(text).chars(SUMMARY_LENGTH)

    def anchor(self):
        return f"update-{self.pk}"


class RemovedUpdate(models.Model):
    """A published update taken down: a client polling with ``since=`` is told to drop it."""

    # Plain ids, not keys: the row is written while the update (and perhaps its story, deleted with
    # its article) is on its way out.
    story_pk = models.PositiveBigIntegerField()
    update_id = models.PositiveBigIntegerField()
    removed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["story_pk", "removed_at"], name="live_removed_since")]

    def __str__(self):
        return f"update {self.update_id} removed {self.removed_at:%Y-%m-%d %H:%M}"
