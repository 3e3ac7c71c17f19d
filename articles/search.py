"""Full-text search over public articles.

search_articles(query, queryset) -> SearchResults: ``queryset`` is already narrowed by the one
visibility rule (Article.objects.published()) and any section/tag filters. SearchResults has count()
and slicing (so Django's Paginator takes it); each article it yields carries ``search_rank`` and
``search_snippet`` (safe HTML: the escaped text with <mark> around the matched words).

Two backends with the same behaviour, picked by the database vendor:

- PostgreSQL: ``articles_search_document`` holds each article's headline, dek, tag names and plain
  body text, and a generated, weighted ``tsvector`` (headline A, dek and tags B, body C) under a GIN
  index. Queries go through ``websearch_to_tsquery('english', …)``, ranks through ``ts_rank`` and
  snippets through ``ts_headline``.
- SQLite: ``articles_search_index``, an FTS5 table over the same four columns (porter stemming),
  ranked by ``bm25`` with column weights, snippets by ``snippet()``.

The index holds text only, never visibility: every search is restricted to the caller's queryset by
a subquery of its primary keys, so a status change needs no re-indexing and the one rule stays in
``Article.objects.published()``. The index is kept current by the signal handlers below (connected
in ``ArticlesConfig.ready``); writes that bypass signals (``QuerySet.update``, ``bulk_create``) must
be followed by ``index_articles()`` for the articles written, or ``rebuild_index()``.
"""

import re
import unicodedata
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from django.core.exceptions import BadRequest, EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, NotSupportedError, connections, transaction
from django.db.models import QuerySet
from django.utils.safestring import mark_safe

MAX_QUERY_LENGTH = 200
SNIPPET_WORDS = 32

# Private-use characters: the database wraps matched words in the first two, PostgreSQL's stored text
# carries the other two in place of < and > (ts_headline drops anything that looks like an HTML
# tag). Article text is stripped of all four when indexed, so they can only come from us.
MATCH_START, MATCH_END, LESS_THAN, GREATER_THAN = "\ue000", "\ue001", "\ue002", "\ue003"
_MARKERS = (MATCH_START, MATCH_END, LESS_THAN, GREATER_THAN)
_NO_MARKERS = str.maketrans("", "", "".join(_MARKERS))

# Both tokenizers split words at anything that is not a letter or a digit.
_WORD = re.compile(r"[^\W_]+")

# PostgreSQL's English stop words (snowball's list): it drops them from queries and documents.
# Dropping them from unquoted terms here too keeps "the" from matching everything on SQLite.
_STOP_WORDS_TEXT = """
    i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
    her hers herself it its itself they them their theirs themselves what which who whom this that
    these those am is are was were be been being have has had having do does did doing a an the and
    but if or because as until while of at by for with about against between into through during
    before after above below to from up down in out on off over under again further then once here
    there when where why how all any both each few more most other some such no nor not only own same
    so than too very s t can will just don should now"""
STOP_WORDS = frozenset(_STOP_WORDS_TEXT.split())


# The query ----------------------------------------------------------------------------------------


def clean_query(raw):
    """Return the reader's query tidied for searching and for showing back in the search box.

    Control, format and private-use characters go, runs of whitespace become one space. Raises
    BadRequest (the site's 400 page) when what is left is longer than MAX_QUERY_LENGTH.
    """
    kept = []
    for char in raw or "":
        category = unicodedata.category(char)
        if category == "Cc":
            kept.append(" ")  # tabs, newlines, NUL (which PostgreSQL refuses in text)
        elif category[0] != "C":
            kept.append(char)  # drops Cf (soft hyphens, bidi marks), Cs, Co and Cn
    text = " ".join(unicodedata.normalize("NFC", "".join(kept)).split())
    if len(text) > MAX_QUERY_LENGTH:
        raise BadRequest(
            f"A search can be at most {MAX_QUERY_LENGTH} characters long; this one has {len(text):,}."
        )
    return text


@dataclass(frozen=True)
class Term:
    """A word or "quoted phrase" of the query, perhaps -excluded."""

    text: str  # as typed, without quotes, for PostgreSQL's own parser
    words: tuple  # its letters-and-digits runs, for FTS5
    excluded: bool = False


@dataclass(frozen=True)
class ParsedQuery:
    """A cleaned query as alternatives (``or``), each a list of terms that must all match."""

    text: str
    alternatives: tuple = ()

    @property
    def has_terms(self):
        return bool(self.alternatives)

    def websearch(self):
        """The query in websearch_to_tsquery syntax, every term quoted."""
        return " or ".join(
            " ".join(f'{"-" if term.excluded else ""}"{term.text}"' for term in terms)
            for terms in self.alternatives
        )

    def fts5(self):
        """The query in FTS5 syntax: every term a quoted string of plain words, so nothing a reader
        types can be read as FTS5 syntax (NEAR, *, ^, column filters) or make it fail."""
        alternatives = []
        for terms in self.alternatives:
            wanted = " AND ".join(_fts5_string(term) for term in terms if not term.excluded)
            unwanted = " OR ".join(_fts5_string(term) for term in terms if term.excluded)
            alternatives.append(f"({wanted}) NOT ({unwanted})" if unwanted else f"({wanted})")
        return " OR ".join(alternatives)


def _fts5_string(term):
    return '"' + " ".join(term.words) + '"'


def parse_query(text):
    """Read a cleaned query with web-search rules; return a ParsedQuery (never raises).

    Words must all match; "a quoted phrase" matches as a phrase (an unclosed quote runs to the end);
    -word or -"phrase" excludes; ``or`` separates alternatives. Terms without letters or digits,
    stop words, a dangling ``or`` and alternatives made only of exclusions are dropped, so
    punctuation alone leaves nothing to search for.
    """
    alternatives, terms = [], []
    position, length = 0, len(text)
    while position < length:
        if text[position].isspace():
            position += 1
            continue
        excluded = text[position] == "-"
        if excluded:
            position += 1
        if position < length and text[position] == '"':
            end = text.find('"', position + 1)
            end = length if end == -1 else end
            chunk, quoted, position = text[position + 1 : end], True, end + 1
        else:
            end = position
            while end < length and not text[end].isspace() and text[end] != '"':
                end += 1
            chunk, quoted, position = text[position:end], False, end
        if chunk.lower() == "or" and not (quoted or excluded):
            alternatives.append(terms)
            terms = []
            continue
        words = tuple(_WORD.findall(chunk))
        if words and not all(word.lower() in STOP_WORDS for word in words):
            terms.append(Term(text=chunk, words=words, excluded=excluded))
    alternatives.append(terms)
    kept = tuple(tuple(terms) for terms in alternatives if any(not term.excluded for term in terms))
    return ParsedQuery(text=text, alternatives=kept)


# Results ------------------------------------------------------------------------------------------


class SearchResults:
    """Ranked matches within a queryset: ``count()`` and slices, one page at a time.

    A slice costs two queries (the ranked ids with their snippets, then the articles through the
    caller's queryset, so its select_related and prefetches apply) whatever its length.
    """

    def __init__(self, query, queryset):
        self.query = query
        self.queryset = queryset
        self._count = None

    @property
    def searched(self):
        """False when the query had nothing to search for (empty, or punctuation only)."""
        return self.query.has_terms

    def _backend(self):
        return _backend_for(connections[self.queryset.db])

    def _restriction(self):
        """The caller's queryset as ``(sql, params)`` selecting its primary keys; None when it can
        match nothing (``none()``, ``pk__in=[]``), which Django does not turn into SQL."""
        pks = self.queryset.order_by().values("pk")
        try:
            return pks.query.get_compiler(using=self.queryset.db).as_sql()
        except EmptyResultSet:
            return None

    def count(self):
        if self._count is None:
            restriction = self._restriction() if self.searched else None
            self._count = self._backend().count(self.query, *restriction) if restriction else 0
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
        if not self.searched or stop <= start:
            return []
        return self._fetch(offset=start, limit=stop - start)

    def _fetch(self, *, offset, limit):
        restriction = self._restriction()
        if restriction is None:
            return []
        rows = self._backend().ranked(self.query, *restriction, limit=limit, offset=offset)
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


# Keeping the index current ------------------------------------------------------------------------

_INLINE_TAGS = frozenset({"a", "abbr", "b", "code", "del", "em", "i", "s", "strong", "sub", "sup"})


class _TextExtractor(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts = []

    def handle_starttag(self, tag, attrs):
        self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if tag not in _INLINE_TAGS:  # blocks and <br> end a word
            self.parts.append(" ")

    def handle_data(self, data):
        self.parts.append(data)


def plain_text(html):
    """Return the text of rendered body HTML, entities decoded, blocks separated, one space apart."""
    extractor = _TextExtractor()
    extractor.feed(html or "")
    extractor.close()
    return " ".join("".join(extractor.parts).split())


def _index_text(value):
    value = value or ""
    # str.translate walks a dict per character (slow on a long body); the markers are rare.
    if any(marker in value for marker in _MARKERS):
        value = value.translate(_NO_MARKERS)
    return unicodedata.normalize("NFC", value)


INDEXED_FIELDS = frozenset({"headline", "dek", "body", "body_html"})


def index_article(article, using=DEFAULT_DB_ALIAS):
    """Write ``article``'s headline, dek, tag names and plain body text to the search index."""
    _backend_for(connections[using]).write(
        article.pk,
        headline=_index_text(article.headline),
        dek=_index_text(article.dek),
        body=_index_text(plain_text(article.body_html)),
    )


def index_articles(articles, body_texts=None, using=DEFAULT_DB_ALIAS):
    """Write the index rows of ``articles`` (saved, with headline, dek and body_html) in one batch
    statement; return how many. For writes that bypass the save signals (``bulk_create``,
    ``bulk_update``): their tag names are read from the database, so write the taggings first.

    ``body_texts``, if given, is ``plain_text(article.body_html)`` of each article, worked out
    already (an import does it in its worker processes).
    """
    articles = list(articles)
    if body_texts is None:
        body_texts = [plain_text(article.body_html) for article in articles]
    rows = [
        (article.pk, _index_text(article.headline), _index_text(article.dek), _index_text(body_text))
        for article, body_text in zip(articles, body_texts, strict=True)
    ]
    if rows:
        _backend_for(connections[using]).write_many(rows)
    return len(rows)


def rebuild_index(using=DEFAULT_DB_ALIAS):
    """Re-index every article (after writes that bypass signals); return how many were indexed."""
    from articles.models import Article

    count = 0
    with transaction.atomic(using=using):  # one commit, not one per article
        _backend_for(connections[using]).prune()
        articles = Article.objects.using(using).only("pk", "headline", "dek", "body_html")
        for article in articles.iterator(chunk_size=500):
            index_article(article, using=using)
            count += 1
    return count


def article_saved(sender, instance, using, update_fields=None, **kwargs):
    if update_fields is None or INDEXED_FIELDS.intersection(update_fields):
        index_article(instance, using=using)


def article_deleted(sender, instance, using, **kwargs):
    _backend_for(connections[using]).delete(instance.pk)


def tagging_changed(sender, instance, using, origin=None, **kwargs):
    """A TaggedArticle row came or went: through taggit (tags.set/add/remove) or the admin inline."""
    from articles.models import Article

    deleting_article = isinstance(origin, Article) or (
        isinstance(origin, QuerySet) and issubclass(origin.model, Article)
    )
    if not deleting_article:  # its own post_delete removes it from the index
        _backend_for(connections[using]).refresh_tags(article_id=instance.content_object_id)


def tag_saved(sender, instance, using, created=False, **kwargs):
    if not created:  # a renamed tag: every article carrying it, in one statement
        _backend_for(connections[using]).refresh_tags(tag_id=instance.pk)


def database_flushed(sender, using, **kwargs):
    """After ``migrate`` and ``flush`` (which empties only Django's own tables), drop index rows whose
    article is gone, so a reused id never brings back old text."""
    connection = connections[using]
    backend = _BACKENDS.get(connection.vendor)
    if backend and backend.table in connection.introspection.table_names():
        backend(connection).prune()


# Backends -----------------------------------------------------------------------------------------
# Table names are fixed by migration 0004 (which creates them) and by the models' default tables.

_ARTICLE, _TAGGED, _TAG = "articles_article", "articles_taggedarticle", "articles_tag"


class _Backend:
    table = ""
    key = ""
    tag_names = ""

    def __init__(self, connection):
        self.connection = connection

    def _tags_of(self, article_sql):
        return (
            f"(SELECT coalesce({self.tag_names}, '') FROM {_TAGGED} JOIN {_TAG} ON {_TAG}.id = "
            f"{_TAGGED}.tag_id WHERE {_TAGGED}.content_object_id = {article_sql})"
        )

    def _execute(self, sql, params=()):
        with self.connection.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall() if cursor.description else None

    def delete(self, article_id):
        self._execute(f"DELETE FROM {self.table} WHERE {self.key} = %s", [article_id])

    def write_many(self, rows):
        """Write each (article id, headline, dek, body) of ``rows``, as ``write`` does, in one call."""
        with self.connection.cursor() as cursor:
            cursor.executemany(self.write_sql(), [self.write_params(*row) for row in rows])

    def write(self, article_id, *, headline, dek, body):
        self._execute(self.write_sql(), self.write_params(article_id, headline, dek, body))

    def refresh_tags(self, *, article_id=None, tag_id=None):
        if tag_id is not None:
            which = f"SELECT content_object_id FROM {_TAGGED} WHERE tag_id = %s"
            where, params = f"{self.key} IN ({which})", [tag_id]
        else:
            where, params = f"{self.key} = %s", [article_id]
        tags = self._tags_of(f"{self.table}.{self.key}")
        self._execute(f"UPDATE {self.table} SET tags = {tags} WHERE {where}", params)

    def prune(self):
        self._execute(f"DELETE FROM {self.table} WHERE {self.key} NOT IN (SELECT id FROM {_ARTICLE})")

    def write_sql(self):
        """The statement writing one row: (article id, headline, dek, tags, body) in, tags found."""
        raise NotImplementedError

    def write_params(self, article_id, headline, dek, body):
        raise NotImplementedError

    def count(self, query, pks_sql, pks_params):
        raise NotImplementedError

    def ranked(self, query, pks_sql, pks_params, *, limit, offset):
        """Rows of (article id, rank, snippet, cut before, cut after), best first."""
        raise NotImplementedError


class _SQLite(_Backend):
    table = "articles_search_index"
    key = "rowid"
    tag_names = "group_concat(articles_tag.name, ', ')"
    # bm25 weights per column (headline, dek, tags, body): a headline match outranks a body that
    # repeats the word a dozen times, as it does on PostgreSQL with its A/B/C weights.
    weights = "20.0, 5.0, 5.0, 1.0"

    def write_sql(self):
        return (
            f"INSERT OR REPLACE INTO {self.table} (rowid, headline, dek, tags, body) "
            f"VALUES (%s, %s, %s, {self._tags_of('%s')}, %s)"
        )

    def write_params(self, article_id, headline, dek, body):
        return [article_id, headline, dek, article_id, body]

    def count(self, query, pks_sql, pks_params):
        sql = f"SELECT count(*) FROM {self.table} WHERE {self.table} MATCH %s AND rowid IN ({pks_sql})"
        return self._execute(sql, [query.fts5(), *pks_params])[0][0]

    def ranked(self, query, pks_sql, pks_params, *, limit, offset):
        sql = (
            f"SELECT {self.table}.rowid, -bm25({self.table}, {self.weights}) AS search_rank, "
            f"snippet({self.table}, 3, %s, %s, '…', {SNIPPET_WORDS}) "
            f"FROM {self.table} JOIN {_ARTICLE} ON {_ARTICLE}.id = {self.table}.rowid "
            f"WHERE {self.table} MATCH %s AND {self.table}.rowid IN ({pks_sql}) "
            f"ORDER BY search_rank DESC, {_ARTICLE}.published_at DESC, {_ARTICLE}.id DESC "
            "LIMIT %s OFFSET %s"
        )
        params = [MATCH_START, MATCH_END, query.fts5(), *pks_params, limit, offset]
        # snippet() marks its own cuts with the ellipsis.
        return [(*row, False, False) for row in self._execute(sql, params)]


class _PostgreSQL(_Backend):
    table = "articles_search_document"
    key = "article_id"
    tag_names = "string_agg(articles_tag.name, ', ' ORDER BY articles_tag.name)"
    headline_options = f"StartSel={MATCH_START}, StopSel={MATCH_END}, MaxWords={SNIPPET_WORDS}, MinWords=20"

    def write_sql(self):
        return (
            f"INSERT INTO {self.table} (article_id, headline, dek, tags, body) "
            f"VALUES (%s, %s, %s, {self._tags_of('%s')}, %s) "
            "ON CONFLICT (article_id) DO UPDATE SET headline = EXCLUDED.headline, dek = EXCLUDED.dek, "
            "tags = EXCLUDED.tags, body = EXCLUDED.body"
        )

    def write_params(self, article_id, headline, dek, body):
        def stored(text):  # ts_headline would drop anything shaped like an HTML tag
            return text.replace("<", LESS_THAN).replace(">", GREATER_THAN)

        return [article_id, stored(headline), stored(dek), article_id, stored(body)]

    def count(self, query, pks_sql, pks_params):
        sql = (
            f"SELECT count(*) FROM {self.table} "
            f"WHERE document @@ websearch_to_tsquery('english', %s) AND article_id IN ({pks_sql})"
        )
        return self._execute(sql, [query.websearch(), *pks_params])[0][0]

    def ranked(self, query, pks_sql, pks_params, *, limit, offset):
        # The inner query ranks and cuts the page; ts_headline, the costly part, runs on that page only.
        sql = (
            "SELECT hit.article_id, hit.search_rank, snippet.text, "
            "  snippet_at.position > 1, "
            "  snippet_at.position > 0 "
            "    AND snippet_at.position + length(snippet_at.plain) <= length(hit.body) "
            "FROM ("
            f"  SELECT d.article_id, d.body, q.query, ts_rank(d.document, q.query) AS search_rank, "
            "     a.published_at, a.id "
            f"  FROM {self.table} d JOIN {_ARTICLE} a ON a.id = d.article_id "
            "   CROSS JOIN websearch_to_tsquery('english', %s) AS q(query) "
            f"  WHERE d.document @@ q.query AND d.article_id IN ({pks_sql}) "
            "   ORDER BY search_rank DESC, a.published_at DESC, a.id DESC LIMIT %s OFFSET %s"
            ") hit "
            "CROSS JOIN LATERAL ts_headline('english', hit.body, hit.query, %s) AS snippet(text) "
            "CROSS JOIN LATERAL (SELECT plain, strpos(hit.body, plain) AS position "
            "  FROM replace(replace(snippet.text, %s, ''), %s, '') AS plain) AS snippet_at "
            "ORDER BY hit.search_rank DESC, hit.published_at DESC, hit.id DESC"
        )
        params = [
            query.websearch(), *pks_params, limit, offset,
            self.headline_options, MATCH_START, MATCH_END,
        ]  # fmt: skip
        return self._execute(sql, params)


_BACKENDS = {"sqlite": _SQLite, "postgresql": _PostgreSQL}


def _backend_for(connection):
    try:
        return _BACKENDS[connection.vendor](connection)
    except KeyError:
        raise NotSupportedError(
            f"Search runs on SQLite or PostgreSQL; this database is {connection.vendor}."
        ) from None
