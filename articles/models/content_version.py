"""The version of what readers can see, that cached pages are stored under (articles/caching.py)."""

from django.db import models


class ContentVersion(models.Model):
    """One row: a counter that moves on with every change readers can see, and when a scheduled
    story next goes live. A cached page is stored with the counter as it was when it was rendered
    (articles/caching.py), and served while none of the keys it shows has been retired since
    (PageScope). It lives in the database, moved in the same transaction as the change it stands
    for, so a change can never be committed without retiring the pages that showed the old state,
    whether or not the cache was reachable. ``epoch`` is the counter's start: a row made again (a
    flushed table) starts another epoch, and no page stored in an earlier one is served."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    version = models.BigIntegerField()
    epoch = models.BigIntegerField(default=0)
    next_publication = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="When a story last left the site.")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="content_version_one_row")]

    def __str__(self):
        return f"content version {self.version}"


class PageScope(models.Model):
    """A key of what pages show (articles/page_keys.py: a story, a section's list, the front page),
    with the counter's value when it was last retired: a page cached earlier that shows it is not
    served again. A key never retired has no row."""

    key = models.CharField(max_length=250, primary_key=True)
    version = models.BigIntegerField()

    def __str__(self):
        return f"page key {self.key} retired at {self.version}"
