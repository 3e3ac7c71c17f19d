"""``publish_due``: announce the scheduled stories whose time has come (articles.publishing)."""

from django.core.management.base import BaseCommand

from articles.publishing import release_due


class Command(BaseCommand):
    help = (
        "Announce every scheduled story whose publication time has passed: story_published for the "
        "apps listening, an audit record, cached pages retired. Readers see a scheduled story at its "
        "time without this; with the shared page cache (REDIS_URL) the first request after that time "
        "does the same, so run it every minute only on a site without one. Safe to run at any time "
        "and from several machines: each story is announced once."
    )

    def handle(self, *args, verbosity, **options):
        released = release_due()
        if verbosity and released:
            noun = "story" if len(released) == 1 else "stories"
            headlines = "; ".join(article.headline for article in released)
            self.stdout.write(f"{len(released)} {noun} went public: {headlines}")
