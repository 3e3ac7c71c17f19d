"""The statistics a database's query planner chooses indexes by, kept fresh after large writes.

Without them SQLite guesses, and for a topic page (stories joined to their taggings) it guesses
wrong: it reads every public story newest first and sorts, tens of milliseconds at 10,000 stories
and growing, where the taggings' own index gives the page in a few lookups. PostgreSQL's autovacuum
gathers them in time, but a large import outruns it.
"""

from django.db import connections

# Enough new or changed stories for the statistics to matter.
AFTER_WRITES = 1000


def refresh_statistics(using="default"):
    connection = connections[using]
    with connection.cursor() as cursor:
        # In full: SQLite's sampled statistics (analysis_limit) misjudge how selective a tag is.
        if connection.vendor in ("sqlite", "postgresql"):
            cursor.execute("ANALYZE")


def migrated(sender, using, **kwargs):
    """After ``migrate``: new indexes need statistics too."""
    refresh_statistics(using)
