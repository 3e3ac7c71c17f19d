"""How stories are filed and credited: sections, authors and topic tags, and the text rule they share."""

import re
import unicodedata

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models, transaction
from django.db.models import OuterRef, Subquery
from django.utils.text import slugify
from taggit.models import TagBase, TaggedItemBase

from articles import portraits
from articles.addresses import slug_address
from articles.plain_text import strip_text_fields


class PlainTextModel(models.Model):
    """Saved without C0 control characters in any text field (articles/plain_text.py): the way in
    for the admin, the importers and the shell alike."""

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        strip_text_fields(self)
        super().save(*args, **kwargs)


class Section(PlainTextModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    position = models.PositiveSmallIntegerField(default=0, help_text="Order in the site navigation.")

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_address("articles:section", self.slug)


class Author(PlainTextModel):
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
    # The photo as stored (upright, without its metadata: articles/portraits.py), and the square
    # portrait made from it on save, which the author's page shows.
    photo = models.ImageField(
        upload_to=portraits.FOLDER,
        max_length=255,
        blank=True,
        width_field="photo_width",
        height_field="photo_height",
        validators=[portraits.validate_photo],
        help_text="Head and shoulders, shown on the author's page (JPEG, PNG or WebP, up to 10 MB).",
    )
    photo_width = models.PositiveIntegerField(null=True, blank=True, editable=False)
    photo_height = models.PositiveIntegerField(null=True, blank=True, editable=False)
    portrait = models.ImageField(upload_to=portraits.FOLDER, max_length=255, blank=True, editable=False)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        if self.photo and not self.photo._committed:
            self.photo, self.portrait = portraits.from_upload(self.photo, self.slug)
        elif not self.photo:
            self.portrait = ""
        super().save(*args, **kwargs)
        kept = {self.photo.name, self.portrait.name}
        replaced = {str(name) for name in getattr(self, "_stored_files", ()) if name} - kept
        if replaced:
            # Pages that showed them are retired with this save; the files go once it is committed.
            transaction.on_commit(lambda: _delete_files(replaced), using=self._state.db)
        self._stored_files = kept

    def get_absolute_url(self):
        return slug_address("articles:author", self.slug)

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        # The files as stored, to delete once a new photo (or none) has replaced them.
        instance._stored_files = {instance.__dict__.get(name) for name in ("photo", "portrait")}
        return instance

    @property
    def portrait_side(self):
        """The portrait's width and height in pixels (it is square), or None without a photo."""
        if not (self.portrait and self.photo_width and self.photo_height):
            return None
        return portraits.portrait_side(self.photo_width, self.photo_height)


def _delete_files(names):
    for name in names:
        default_storage.delete(name)


class Tag(PlainTextModel, TagBase):
    """A topic. Topic pages show the description above the tag's articles."""

    description = models.TextField(blank=True)
    aliases = models.TextField(
        blank=True,
        default="",
        help_text=(
            "Other names for this topic, one per line, used by auto-tagging (e.g. Uighur, Uyghur). "
            "Matched as whole words, ignoring case; a line in capitals (US, U.S.) matches only in "
            "capitals. A line starting with ! is a phrase that contains a name but means something "
            "else (e.g. !trade-off under Trade)."
        ),
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return slug_address("articles:tag", self.slug)

    def slugify(self, tag, i=None):
        # taggit's default would give an empty slug for a name without ASCII letters.
        slug = slugify(tag)[:90] or "topic"
        return f"{slug}-{i}" if i is not None else slug


def fold_topic_text(text):
    """Text as topic look-ups compare it: NFKC, case folded, curly apostrophes made straight."""
    return unicodedata.normalize("NFKC", text).casefold().replace("\u2019", "'")


_WORD = re.compile(r"[^\W_]+")


class TopicName(models.Model):
    """A way to find a topic as someone types: the folded text from each word start of its name
    and of each of its aliases ("US-China relations" is found by "us", "china" and "relations").
    The topic picker (articles/topic_picker.py) reads them by prefix, from an index, so a look-up
    costs the same whatever the size of the vocabulary. Kept in step with Tag on every save
    (``index``, from a signal, and the importer's bulk creation)."""

    class Rank(models.IntegerChoices):
        NAME = 0, "the name"
        NAME_WORD = 1, "a word of the name"
        ALIAS = 2, "an alias"
        ALIAS_WORD = 3, "a word of an alias"

    KEY_LENGTH = 100

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=KEY_LENGTH)
    phrase = models.CharField(max_length=200, help_text="The name or alias as written.")
    rank = models.PositiveSmallIntegerField(choices=Rank.choices)

    class Meta:
        indexes = [
            # varchar_pattern_ops (PostgreSQL only; other databases ignore it): a prefix LIKE reads
            # this index whatever the database's collation.
            models.Index(fields=["key"], name="topic_name_key", opclasses=["varchar_pattern_ops"]),
        ]

    def __str__(self):
        return f"{self.key} → {self.tag_id}"

    @staticmethod
    def keys_for(name, aliases):
        """``(key, phrase, rank)`` for a topic's name and its aliases (one a line; the ``!``
        exceptions of auto-tagging are not names of the topic and are left out)."""
        phrases = [(name, TopicName.Rank.NAME)] + [
            (alias.strip(), TopicName.Rank.ALIAS)
            for alias in (aliases or "").splitlines()
            if alias.strip() and not alias.strip().startswith("!")
        ]
        rows = {}
        for phrase, rank in phrases:
            folded = fold_topic_text(phrase)
            for n, word in enumerate(_WORD.finditer(folded)):
                key = folded[word.start() if n else 0 :][: TopicName.KEY_LENGTH]
                rows.setdefault((key, phrase[:200]), rank if n == 0 else rank + 1)
        return [(key, phrase, rank) for (key, phrase), rank in rows.items()]

    @classmethod
    def index(cls, tags, using=None):
        """Write again the look-up rows of ``tags`` (saved Tag objects)."""
        tags = [tag for tag in tags if tag.pk is not None]
        if not tags:
            return
        manager = cls.objects.using(using)
        manager.filter(tag__in=[tag.pk for tag in tags]).delete()
        manager.bulk_create(
            cls(tag_id=tag.pk, key=key, phrase=phrase, rank=rank)
            for tag in tags
            for key, phrase, rank in cls.keys_for(tag.name, tag.aliases)
        )


def topic_saved(sender, instance, using, raw=False, **kwargs):
    """Tag's post_save: its look-up rows follow its name and aliases."""
    TopicName.index([instance], using=using)


class StoryLinkQuerySet(models.QuerySet):
    """Rows linking a story to a tag or an author, each carrying a copy of its story's release
    time (``published_at``): a topic's or an author's stories are read newest first, and counted,
    from the link table's own index, whatever the size of the archive."""

    def follow_stories(self):
        """Copy onto these rows their stories' release times (``released_at``), one statement."""
        story_field = self.model.STORY_FIELD
        story = self.model._meta.get_field(story_field).related_model.objects
        when = story.released().filter(pk=OuterRef(f"{story_field}_id")).values("published_at")[:1]
        return self.update(published_at=Subquery(when))

    def public_by(self, now):
        """Rows of stories public at ``now`` by the copy: for counting a topic's or an author's
        stories from this table's index alone. Pages show stories only through
        ``Article.objects.published()``. Unordered: a byline's default order would make the count
        sort them."""
        return self.filter(published_at__lte=now).order_by()


class StoryLink(models.Model):
    """What a tagging and a byline share: the copy of the story's release time."""

    # The story's publication time while it is published or scheduled, else empty (``released_at``
    # of the story), copied here on every save and import (Article.save, the importer).
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = StoryLinkQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        story_id = getattr(self, f"{self.STORY_FIELD}_id")
        if self.published_at is None and story_id is not None:
            self.published_at = getattr(self, self.STORY_FIELD).released_at
        super().save(*args, **kwargs)


class TaggedArticle(StoryLink, TaggedItemBase):
    """A direct foreign key to Article: no generic relation on the public queries. A topic's
    stories are read newest first, and counted, from the (tag, published_at) index."""

    STORY_FIELD = "content_object"

    content_object = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="tagged_items")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="tagged_articles")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["content_object", "tag"], name="unique_article_tag"),
        ]
        indexes = [
            models.Index(fields=["tag", "content_object"], name="tagged_article_by_tag"),
            models.Index(fields=["tag", "-published_at", "-content_object"], name="tagged_article_newest"),
        ]

    def __str__(self):
        return f"{self.content_object} tagged with {self.tag}"


class ArticleAuthor(StoryLink):
    """One name in a byline; ``position`` keeps the byline's order. An author's stories are read
    newest first, and counted, from the (author, published_at) index."""

    STORY_FIELD = "article"

    article = models.ForeignKey("Article", on_delete=models.CASCADE, related_name="bylines")
    author = models.ForeignKey(Author, on_delete=models.CASCADE, related_name="bylines")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["article", "author"], name="unique_byline"),
        ]
        indexes = [
            models.Index(fields=["author", "article"], name="byline_by_author"),
            models.Index(fields=["author", "-published_at", "-article"], name="byline_newest"),
        ]

    def __str__(self):
        return f"{self.author} on {self.article}"
