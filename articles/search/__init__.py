"""Full-text search over public articles.

search_articles(query, queryset) -> SearchResults: ``queryset`` is already narrowed by the one
visibility rule (Article.objects.published()) and any section, tag or date filters. SearchResults
has count() (exact up to COUNT_BOUND, then ``more``) and slicing (so Django's Paginator takes it);
each article it yields carries ``search_rank`` and ``search_snippet`` (safe HTML: the escaped text
with <mark> around the matched words).

- ``query``: tidying and reading the reader's query (words, "phrases", -exclusions, or, prefix*).
- ``results``: SearchResults, the ranked page through the caller's queryset.
- ``backends``: the SQLite (FTS5) and PostgreSQL (tsvector) statements.
- ``indexing``: the index rows, kept current by signal handlers.

matching(queryset, query) narrows a queryset to the matches without ranking them: the admin's search.

The index holds text only, never visibility: every search is restricted to the caller's queryset by
an EXISTS correlated on the index row, so a status change needs no re-indexing and the one rule stays
in ``Article.objects.published()``.
"""

from articles.search.backends import SNIPPET_WORDS
from articles.search.indexing import (
    INDEXED_FIELDS,
    article_deleted,
    article_saved,
    database_flushed,
    index_article,
    index_articles,
    plain_text,
    rebuild_index,
    start_indexing,
    tag_saved,
    tagging_changed,
)
from articles.search.query import (
    MAX_QUERY_LENGTH,
    MIN_PREFIX,
    STOP_WORDS,
    ParsedQuery,
    Term,
    clean_query,
    parse_query,
)
from articles.search.results import COUNT_BOUND, SearchResults, matching, search_articles

__all__ = [
    "COUNT_BOUND", "INDEXED_FIELDS", "MAX_QUERY_LENGTH", "MIN_PREFIX", "SNIPPET_WORDS", "STOP_WORDS",
    "ParsedQuery", "SearchResults", "Term", "article_deleted", "article_saved", "clean_query",
    "database_flushed", "index_article", "index_articles", "matching", "parse_query", "plain_text",
    "rebuild_index", "search_articles", "start_indexing", "tag_saved", "tagging_changed",
]  # fmt: skip
