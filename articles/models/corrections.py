"""Corrections: what a story got wrong, dated, printed on its page and in its JSON-LD."""

from django.db import models
from django.utils import timezone

from articles.models.stories import Article
from articles.models.taxonomy import PlainTextModel


class Correction(PlainTextModel):
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="corrections")
    date = models.DateTimeField(default=timezone.now)
    text = models.TextField()

    class Meta:
        ordering = ["date", "pk"]
        # The admin dashboard's "recently corrected": the few latest corrections, not all of them.
        indexes = [models.Index(fields=["date"], name="correction_by_date")]

    def __str__(self):
        return f"Correction of {self.date:%Y-%m-%d} to {self.article}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A correction is a change to the story: readers, feeds and JSON-LD see a new updated time.
        Article.objects.filter(pk=self.article_id).update(updated_at=timezone.now())
