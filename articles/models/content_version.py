"""The version of what readers can see, that cached pages are stored under (articles/caching.py)."""

from django.db import models


class ContentVersion(models.Model):
    """One row: the version of everything readers can see, and when a scheduled story next goes
    live. Cached pages are stored under the version (articles/caching.py). It lives in the database,
    bumped in the same transaction as the change it stands for, so a change can never be committed
    without retiring the pages that showed the old state, whether or not the cache was reachable."""

    ROW = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=ROW)
    version = models.BigIntegerField()
    next_publication = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True, help_text="When a story last left the site.")

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(id=1), name="content_version_one_row")]

    def __str__(self):
        return f"content version {self.version}"


class PageScope(models.Model):
    """A second version for the pages of one part of the site that changes far more often than the
    rest: a live story's page, feed and updates, and the front page that shows its latest update.
    Another app (live) names which paths belong to a scope (``caching.register_page_scope``) and bumps
    the scope with its change; such a page is stored under both versions, so a new update retires
    the few pages that show it and leaves every other cached page alone."""

    key = models.CharField(max_length=250, primary_key=True)
    version = models.BigIntegerField()

    def __str__(self):
        return f"page scope {self.key} at {self.version}"
