"""What each revision of a story keeps beside its fields (simple-history's record of the row)."""

from django.db import models


class StoryRevision(models.Model):
    """The base of every HistoricalArticle: the story's parts as they stood after the save that made
    the revision (topics, byline, corrections, and what later apps register, such as the lead
    image), by articles.revisions; None for a revision written before parts were kept, or by an
    import, which restores the fields alone."""

    parts = models.JSONField(null=True, blank=True, editable=False)

    class Meta:
        abstract = True
