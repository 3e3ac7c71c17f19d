"""RSS and Atom feeds (stub: being written)."""

from django.http import Http404


def _todo(request, **kwargs):
    raise Http404


LatestArticlesFeed = LatestArticlesAtomFeed = SectionFeed = TagFeed = type(
    "Feed", (), {"__call__": staticmethod(_todo)}
)
