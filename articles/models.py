"""The desk's content: sections, authors, topic tags, articles and their corrections.

Visibility lives in one place, ``Article.objects.published()``; every public surface starts there.
"""

import math
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Count, F, Prefetch, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from taggit.managers import TaggableManager
from taggit.models import TagBase, TaggedItemBase

from articles.rendering import count_words, render_markdown

READING_WORDS_PER_MINUTE = 230
HEADLINE_MAX_LENGTH = 300
UPDATE_GRACE = timedelta(minutes=5)


class Section(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the site navigation.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:section", kwargs={"slug": self.slug})


class Author(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200, unique=True)
    bio = models.TextField("short bio", blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="author_profile",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("articles:author", kwargs={"slug": self.slug})


class Tag(TagBase):
    """A topic. Topic pages show the description above the tag's articles."""

    description = models.TextField(blank=True)

    class Meta:
        ordering = ["name"]

    def slugify(self, tag, i=None):
        # taggit's default would give an empty slug for a name without ASCII letters.
        slug = slugify(tag)[:90] or "topic"
        return f"{slug}-{i}" if i is not None else slug

    def get_absolute_url(self):
        return reverse("articles:tag", kwargs={"slug": self.slug})


class TaggedArticle(TaggedItemBase):
    """A direct foreign key to Article: no generic relation on the public queries."""

    content_object = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="tagged_items")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_articles")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_article_tag"),
        ]
        indexes = [models.Index(fields=["tag", "content_object"], name="tagged_article_by_tag")]


class Status(models.TextChoices):
    DRAFT = "draft", "Draft"
    REVIEW = "review", "In review"
    PUBLISHED = "published", "Published"


class ArticleQuerySet(models.QuerySet):
    def published(self):
        """What a reader may see: published, publication time reached."""
        return self.filter(status=Status.PUBLISHED, published_at__lte=timezone.now())

    def newest_first(self):
        return self.order_by("-published_at", "-pk")

    def for_list(self):
        """Everything a card shows, fetched in a fixed number of queries."""
        return self.select_related("section").defer("body", "body_html").prefetch_related(*CARD_PREFETCHES)

    def in_section(self, section):
        return self.filter(section=section)

    def tagged_with_all(self, tags):
        """Articles carrying every one of ``tags`` (an AND filter, one join per tag)."""
        queryset = self
        for tag in tags:
            queryset = queryset.filter(tagged_items__tag=tag)
        return queryset

    def by_author(self, author):
        return self.filter(bylines__author=author)

    def top_per_section(self, per_section):
        """The newest ``per_section`` articles of every section, in one query."""
        rank = Window(
            RowNumber(),
            partition_by=[F("section")],
            order_by=[F("published_at").desc(), F("pk").desc()],
        )
        return self.annotate(section_rank=rank).filter(section_rank__lte=per_section)

    def lead_story(self):
        """The front page's top story: the newest featured article, else the newest."""
        return self.select_related("section").order_by("-featured", "-published_at", "-pk").first()

    def tag_counts(self, exclude=()):
        """The tags on these articles with how many of them carry each, most used first."""
        return (
            Tag.objects.filter(tagged_articles__content_object__in=self.values("pk"))
            .exclude(pk__in=[tag.pk for tag in exclude])
            .annotate(article_count=Count("tagged_articles"))
            .order_by("-article_count", "name")
        )


class Article(models.Model):
    headline = models.CharField(max_length=HEADLINE_MAX_LENGTH)
    slug = models.SlugField(max_length=200, unique=True)
    dek = models.TextField("standfirst", blank=True, help_text="Plain text, shown under the headline.")
    body = models.TextField(blank=True, help_text="Markdown.")
    body_html = models.TextField(editable=False, blank=True)
    section = models.ForeignKey(Section, on_delete=models.PROTECT, related_name="articles")
    authors = models.ManyToManyField(Author, through="ArticleAuthor", related_name="articles", blank=True)
    tags = TaggableManager(through=TaggedArticle, blank=True)
    dateline = models.CharField(max_length=100, blank=True, help_text="Where it was filed, e.g. BEIJING.")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    featured = models.BooleanField(default=False, help_text="Lead the front page.")
    word_count = models.PositiveIntegerField(default=0, editable=False)
    source_name = models.CharField(max_length=50, blank=True, help_text="Import format it came from.")
    source_id = models.CharField(max_length=255, blank=True, help_text="Its id in the system it came from.")
    source_checksum = models.CharField(max_length=64, blank=True, editable=False)

    objects = ArticleQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_public_by_date"),
            models.Index(fields=["section", "status", "-published_at"], name="article_public_by_section"),
            models.Index(fields=["status", "featured", "-published_at"], name="article_public_featured"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["source_name", "source_id"],
                condition=~models.Q(source_id=""),
                name="unique_import_source",
            ),
        ]

    def __str__(self):
        return self.headline

    def save(self, *args, **kwargs):
        self.body_html = render_markdown(self.body)
        self.word_count = count_words(self.body)
        super().save(*args, **kwargs)
        stored_slug = getattr(self, "_stored_slug", None)
        if stored_slug and stored_slug != self.slug:
            SlugRedirect.objects.update_or_create(old_slug=stored_slug, defaults={"article": self})
            # Taking a slug back removes its redirect, so the article answers at it again.
            SlugRedirect.objects.filter(old_slug=self.slug).delete()
        self._stored_slug = self.slug

    def get_absolute_url(self):
        return reverse("articles:detail", kwargs={"slug": self.slug})

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # Remember the stored slug so a rename can leave a redirect behind.
        instance._stored_slug = instance.__dict__.get("slug")
        return instance

    @property
    def is_public(self):
        return (
            self.status == Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )

    @property
    def was_updated(self):
        """Changed after publication, by more than the save that published it."""
        return bool(self.published_at and self.updated_at - self.published_at > UPDATE_GRACE)

    @property
    def reading_minutes(self):
        return max(1, math.ceil(self.word_count / READING_WORDS_PER_MINUTE))

    @property
    def topics(self):
        """Tags by name; uses the prefetched tags when there are any."""
        return sorted(self.tags.all(), key=lambda tag: tag.name.lower())

    @property
    def byline_authors(self):
        """Authors in byline order; uses the prefetched bylines when there are any."""
        return [byline.author for byline in self.bylines.all()]


class ArticleAuthor(models.Model):
    """One name in a byline; ``position`` keeps the byline's order."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="unique_byline"),
        ]
        indexes = [models.Index(fields=["author", "article"], name="byline_by_author")]

    def __str__(self):
        return f"{self.author} on {self.article}"


# What a card or an article page shows beside the article: bylines in order, tags alphabetically.
CARD_PREFETCHES = (
    Prefetch("bylines", queryset=ArticleAuthor.objects.select_related("author").order_by("position", "pk")),
    "tags",  # taggit's prefetch takes no custom queryset; Article.topics sorts them
)


class SlugRedirect(models.Model):
    """An article's former slug, answered with a 301 to its current address."""

    old_slug = models.SlugField(max_length=200, unique=True)
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self):
        return f"{self.old_slug} → {self.article.slug}"


class Correction(models.Model):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    date = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["date", "pk"]

    def __str__(self):
        return f"Correction of {self.date:%Y-%m-%d} to {self.article}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A correction is a change to the story: readers, feeds and JSON-LD see a new updated time.
        Article.objects.filter(pk=self.article_id).update(updated_at=timezone.now())
