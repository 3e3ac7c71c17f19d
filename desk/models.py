"""The desk's own talk about a story: notes left on it, and who has it open. Never shown to
readers: no public page, feed, API, search index or export reads these tables."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from articles.models import Article


class Note(models.Model):
    """A note an editor or reporter leaves on a story for the others working on it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="desk_notes")
    # Kept when the account goes: the note stays, signed "a former user".
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["article", "created_at", "id"], name="note_by_article")]

    def __str__(self):
        return f"Note on {self.article_id} by {self.author_id}"

    def may_be_deleted_by(self, user, *, editor):
        """Its author may take a note back; an editor may remove anyone's."""
        return editor or (user.pk is not None and user.pk == self.author_id)


class Presence(models.Model):
    """Someone with a story's form open: since when, and when their page last said so."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    opened_at = models.DateTimeField()
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["article", "user"], name="one_presence_per_user")]
        # The unique constraint's index is (article, user): the others on a story are read from it.

    def __str__(self):
        return f"{self.user_id} on {self.article_id} since {self.opened_at}"
