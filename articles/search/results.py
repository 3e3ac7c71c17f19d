"""Ranked matches within a queryset, one page at a time, with a bounded count."""

from html import escape

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models.expressions import RawSQL
from django.utils.safestring import mark_safe

from articles.search.backends import GREATER_THAN, LESS_THAN, MATCH_END, MATCH_START, backend_for
from articles.search.query import ParsedQuery, clean_query, parse_query

# Counting stops here: past it the page says "more than 1,000 stories" and the Paginator offers
# the best 1,000, so neither the count nor a deep page costs more with a broader query.
COUNT_BOUND = 1000
# Ranking reads this many matches at most, the newest (highest ids) when more match: a broad
# query's best stories among the latest this-many, at a cost that does not grow with the archive.
# Up to it (every query with a count shown exactly) the ranking covers every match.
RANK_WINDOW = 1000


class SearchResults:
    """Ranked matches within a queryset: ``count()`` and slices, one page at a time.

    ``count()`` is exact up to COUNT_BOUND and COUNT_BOUND beyond it, when ``more`` is True: only
    the best COUNT_BOUND matches can be paged through. A slice costs two queries (the ranked ids
    with their snippets, then the articles through the caller's queryset, so its select_related and
    prefetches apply) whatever its length.
    """

    def __init__(self, query, queryset, *, bound=COUNT_BOUND):
        self.query = query
        self.queryset = queryset
        self.bound = bound
        self._count = None
        self.more = False  # more than ``bound`` stories match

    @property
    def searched(self):
        """False when the query had nothing to search for (empty, or punctuation only)."""
        return self.query.has_terms

    def _backend(self):
        return backend_for(connections[self.queryset.db])

    def _visible(self, backend):
        """``EXISTS`` over the caller's queryset for the index row ``backend`` is looking at, as
        ``(sql, params)`` compiled by Django: the one visibility rule, never copied out by hand.
        None when the queryset can match nothing (``none()``), which Django does not turn into SQL."""
        row = self.queryset.order_by().filter(pk=RawSQL(backend.outer_key, [])).values("pk")
        try:
            sql, params = row.query.get_compiler(using=self.queryset.db).as_sql()
        except EmptyResultSet:
            return None
        return f"EXISTS ({sql})", params

    def count(self):
        if self._count is None:
            backend = self._backend()
            visible = self._visible(backend) if self.searched else None
            found = backend.count(self.query, visible, bound=self.bound + 1) if visible else 0
            self.more = found > self.bound
            self._count = min(found, self.bound)
        return self._count

    def __len__(self):
        return self.count()

    def __iter__(self):
        return iter(self[: self.count()])

    def __getitem__(self, key):
        if isinstance(key, int):
            if key < 0:
                raise IndexError("SearchResults does not support negative indexing.")
            found = self[key : key + 1]
            if not found:
                raise IndexError(key)
            return found[0]
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("SearchResults takes an index or a plain slice.")
        start, stop = key.start or 0, key.stop
        if start < 0 or (stop is not None and stop < 0):
            raise IndexError("SearchResults does not support negative indexing.")
        if stop is None:
            stop = self.count()
        stop = min(stop, self.bound)
        if not self.searched or stop <= start:
            return []
        return self._fetch(offset=start, limit=stop - start)

    def _fetch(self, *, offset, limit):
        backend = self._backend()
        visible = self._visible(backend)
        if visible is None:
            return []
        rows = backend.ranked(self.query, visible, limit=limit, offset=offset, window=RANK_WINDOW)
        articles = {article.pk: article for article in self.queryset.filter(pk__in=[row[0] for row in rows])}
        page = []
        for article_id, rank, snippet, cut_before, cut_after in rows:
            article = articles.get(article_id)
            if article is None:  # unpublished between the two queries
                continue
            article.search_rank = rank
            article.search_snippet = _snippet_html(snippet, cut_before, cut_after)
            page.append(article)
        return page


def _snippet_html(snippet, cut_before, cut_after):
    """Escape the snippet, then turn our private markers into <mark> and back into < and >."""
    html = escape(snippet or "", quote=False)
    html = html.replace(LESS_THAN, "&lt;").replace(GREATER_THAN, "&gt;")
    html = html.replace(MATCH_START, "<mark>").replace(MATCH_END, "</mark>")
    return mark_safe(("…" if cut_before else "") + html + ("…" if cut_after else ""))


def search_articles(query, queryset):
    """Return the SearchResults for ``query`` (raw, cleaned or parsed) within ``queryset``.

    ``queryset`` must be unsliced and already narrowed to what the reader may see. Best matches come
    first (a match in the headline outranks one in the dek or tags, which outranks the body), newest
    first among equals. A query with nothing to search for gives empty results (``searched`` is
    False) without touching the database. Raises BadRequest for a query over MAX_QUERY_LENGTH.
    """
    if not isinstance(query, ParsedQuery):
        query = parse_query(clean_query(query))
    return SearchResults(query, queryset)


def matching(queryset, query, newest=COUNT_BOUND):
    """``queryset`` narrowed to the newest ``newest`` articles (by id) whose indexed text (headline,
    dek, tags, body) matches ``query``, read as the site's search reads it (words, "phrases",
    -exclusions, prefix*), in any state: the index holds every story, and ``queryset`` says which
    may be listed. Unranked, for the caller to order and count (the admin's change list): the ids
    are read from the index once, here, so the count and the page do not each search again (where
    a substring search would read every story's text), and bounded, as a common word matches a
    third of the archive. Nothing for a query with nothing to search.
    """
    if not isinstance(query, ParsedQuery):
        query = parse_query(clean_query(query))
    if not query.has_terms:
        return queryset.none()
    sql, params = backend_for(connections[queryset.db]).matching_ids(query, newest)
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        ids = [row[0] for row in cursor.fetchall()]
    return queryset.filter(pk__in=ids)
