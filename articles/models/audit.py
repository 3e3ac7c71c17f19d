"""The audit trail of the workflow: who moved which story where, and when."""

from django.conf import settings
from django.db import connections, models, router
from django.utils import timezone

from articles.models.rows import insert_rows
from articles.models.stories import HEADLINE_MAX_LENGTH
from articles.models.workflow import Status


class PublicationEvent(models.Model):
    """The audit trail: who sent what to review, published, scheduled, unpublished or deleted it,
    and when. Each record keeps the headline and slug it was about, so the trail outlives a story
    the desk had to delete."""

    class Action(models.TextChoices):
        SUBMITTED = "submitted", "Sent to review"
        RETURNED = "returned", "Returned to draft"
        PUBLISHED = "published", "Published"
        SCHEDULED = "scheduled", "Scheduled"
        UNPUBLISHED = "unpublished", "Unpublished"
        DELETED = "deleted", "Deleted"

    article = models.ForeignKey(
        "articles.Article",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="publication_events",
    )
    headline = models.CharField(max_length=HEADLINE_MAX_LENGTH, blank=True)
    slug = models.SlugField(max_length=200, blank=True, db_index=False)
    action = models.CharField(max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True, help_text="The publication time it set.")

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["article", "-at"], name="event_by_article")]

    def __str__(self):
        return f"{self.get_action_display()}: {self.headline} by {self.actor or 'the system'}"

    @classmethod
    def action_between(cls, stored, article):
        """The workflow step from ``stored`` (None for a new article) to ``article``, or None."""
        before_status = stored.status if stored else Status.DRAFT
        before_time = stored.published_at if stored else None
        if article.status == Status.PUBLISHED:
            if before_status == Status.PUBLISHED and before_time == article.published_at:
                return None
            return cls.Action.SCHEDULED if article.published_at > timezone.now() else cls.Action.PUBLISHED
        if before_status == Status.PUBLISHED:
            return cls.Action.UNPUBLISHED
        if article.status == Status.REVIEW and before_status != Status.REVIEW:
            return cls.Action.SUBMITTED
        if article.status == Status.DRAFT and before_status == Status.REVIEW:
            return cls.Action.RETURNED
        return None

    @classmethod
    def record(cls, stored, article, actor):
        """Log the step from ``stored`` to ``article`` taken by ``actor``, if it was one."""
        return cls.record_many([(stored, article)], actor)[0]

    @classmethod
    def record_many(cls, steps, actor):
        """Log each step of the (stored, article) pairs ``steps`` that was one, in one insert;
        return the actions, None where there was no step."""
        actions = [cls.action_between(stored, article) for stored, article in steps]
        # From plain values: an import logs a step for each of up to a hundred thousand stories.
        adapt = connections[router.db_for_write(cls)].ops.adapt_datetimefield_value
        at = adapt(timezone.now())
        by = actor.pk if actor is not None else None
        insert_rows(
            cls,
            ("article", "headline", "slug", "action", "actor", "at", "published_at"),
            [
                (article.pk, article.headline, article.slug, action, by, at, adapt(article.published_at))
                for (_, article), action in zip(steps, actions, strict=True)
                if action
            ],
        )
        return actions

    @classmethod
    def record_deletion(cls, article, actor):
        """Log that ``actor`` is deleting ``article``; call it before the delete."""
        cls.log(article, cls.Action.DELETED, actor)

    @classmethod
    def log(cls, article, action, actor):
        event = cls.about(article, action, actor)
        event.save()
        return event

    @classmethod
    def about(cls, article, action, actor):
        return cls(
            article=article,
            headline=article.headline,
            slug=article.slug,
            action=action,
            actor=actor,
            published_at=article.published_at,
        )
