"""The two search backends, picked by the database vendor, with the same behaviour.

- SQLite: ``articles_search_index``, an FTS5 table over headline, dek, tag names and plain body text
  (porter stemming), ranked by ``bm25`` with column weights, snippets by ``snippet()``.
- PostgreSQL: ``articles_search_document`` holds the same four columns; a trigger keeps the
  weighted ``tsvector`` (headline A, dek and tags B, body C) in the narrow ``articles_search_vector``
  under a GIN index; ranks by ``ts_rank``, snippets by ``ts_headline``.

Every search is one statement for the count and one for the page. Visibility comes in as
``visible``: ``(sql, params)`` of an ``EXISTS`` over the caller's queryset, correlated on the index
row's key (``outer_key``), so the database checks only the rows that match, by primary key, instead
of first listing every public id. The page's statement ranks and cuts to the page first; snippets,
the costly part, are made for that page's rows only.
"""

from contextlib import ExitStack

import psycopg
from django.db import NotSupportedError

SNIPPET_WORDS = 32

# Private-use characters: the database wraps matched words in the first two, PostgreSQL's stored text
# carries the other two in place of < and > (ts_headline drops anything that looks like an HTML
# tag). Article text is stripped of all four when indexed, so they can only come from us.
MATCH_START, MATCH_END, LESS_THAN, GREATER_THAN = "\ue000", "\ue001", "\ue002", "\ue003"
MARKERS = (MATCH_START, MATCH_END, LESS_THAN, GREATER_THAN)


def _done():
    """Waiting for a write already done."""


# Backends -----------------------------------------------------------------------------------------
# Table names are fixed by migration 0004 (which creates them) and by the models' default tables.

_ARTICLE, _TAGGED, _TAG = "articles_article", "articles_taggedarticle", "articles_tag"


class _Backend:
    table = ""
    key = ""
    outer_key = ""  # the index row's article id as the search statements name it
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

    def start_write_many(self, rows):
        """``write_many``, returning the function that waits for it to be done; here it is done
        before this returns."""
        self.write_many(rows)
        return _done

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

    def count(self, query, visible, *, bound):
        """How many visible rows match, counting no further than ``bound``."""
        raise NotImplementedError

    def ranked(self, query, visible, *, limit, offset, window):
        """The newest ``window`` matches ranked, and the page of them ``limit`` and ``offset`` cut:
        rows of (article id, rank, snippet, cut before, cut after), best first."""
        raise NotImplementedError

    def matching_ids(self, query, newest):
        """The ids of the ``newest`` matching articles (highest ids), in any state, ``(sql,
        params)``: for a subquery."""
        raise NotImplementedError


class _SQLite(_Backend):
    table = "articles_search_index"
    key = "rowid"
    outer_key = "articles_search_index.rowid"
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

    def count(self, query, visible, *, bound):
        # FTS5 hands over the matches in rowid order; the LIMIT stops it at the bound.
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM {self.table} WHERE {self.table} MATCH %s "
            f"AND {visible[0]} LIMIT %s)"
        )
        return self._execute(sql, [query.fts5(), *visible[1], bound])[0][0]

    def ranked(self, query, visible, *, limit, offset, window):
        # bm25 for the newest ``window`` matches only (FTS5 walks rowids backwards and stops), then the
        # page cut from them, then snippet() for the page's rows alone: FTS5 finds each by rowid.
        sql = (
            "WITH hit AS MATERIALIZED ("
            f"  SELECT rowid AS id, -bm25({self.table}, {self.weights}) AS search_rank FROM {self.table} "
            f"  WHERE {self.table} MATCH %s AND {visible[0]} ORDER BY rowid DESC LIMIT %s"
            "), page AS MATERIALIZED ("
            "  SELECT hit.id, hit.search_rank, a.published_at "
            f"  FROM hit CROSS JOIN {_ARTICLE} a ON a.id = hit.id "
            "   ORDER BY hit.search_rank DESC, a.published_at DESC, hit.id DESC LIMIT %s OFFSET %s"
            ") "
            f"SELECT page.id, page.search_rank, snippet({self.table}, 3, %s, %s, '…', {SNIPPET_WORDS}) "
            f"FROM page CROSS JOIN {self.table} ON {self.table}.rowid = page.id "
            f"WHERE {self.table} MATCH %s "
            "ORDER BY page.search_rank DESC, page.published_at DESC, page.id DESC"
        )
        match = query.fts5()
        params = [match, *visible[1], window, limit, offset, MATCH_START, MATCH_END, match]
        # snippet() marks its own cuts with the ellipsis.
        return [(*row, False, False) for row in self._execute(sql, params)]

    def matching_ids(self, query, newest):
        # FTS5 walks the matches' rowids backwards and stops at the LIMIT.
        sql = f"SELECT rowid FROM {self.table} WHERE {self.table} MATCH %s ORDER BY rowid DESC LIMIT %s"
        return sql, [query.fts5(), newest]


class _PostgreSQL(_Backend):
    table = "articles_search_document"
    vectors = "articles_search_vector"  # (article_id, document): migration 0013, kept by a trigger
    key = "article_id"
    outer_key = "d.article_id"
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
        return [article_id, _stored(headline), _stored(dek), article_id, _stored(body)]

    def write_many(self, rows):
        """One statement for the lot, over arrays, where executemany sends one per row: the tag names
        are found by a join per statement, not a subquery round trip per article."""
        self.start_write_many(rows)()

    def start_write_many(self, rows):
        """Send ``write_many``'s statement and return at once, with the function that waits for it
        to be done: PostgreSQL indexes the rows (the costliest part of writing an imported story)
        while the caller goes on with its own work. Call that function before the connection's
        next statement; an error the statement met is raised then. Called again, it does nothing."""
        latest = {row[0]: row for row in rows}  # as one write after another would leave it
        if not latest:
            return _done
        columns = list(zip(*latest.values(), strict=True))
        arrays = [list(columns[0]), *([_stored(text) for text in column] for column in columns[1:])]
        sql = (
            f"INSERT INTO {self.table} (article_id, headline, dek, tags, body) "
            f"SELECT v.id, v.headline, v.dek, {self._tags_of('v.id')}, v.body "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[]) AS v(id, headline, dek, body) "
            "ON CONFLICT (article_id) DO UPDATE SET headline = EXCLUDED.headline, dek = EXCLUDED.dek, "
            "tags = EXCLUDED.tags, body = EXCLUDED.body"
        )
        self.connection.ensure_connection()
        raw = self.connection.connection
        with ExitStack() as stack:  # everything is undone if sending fails
            stack.enter_context(self.connection.wrap_database_errors)
            # The arrays go as binary parameters beside the statement (server-side binding), not
            # quoted into it: Django's cursors quote on the client, which for an import's batches
            # of bodies cost more Python time than PostgreSQL took to index them.
            cursor = stack.enter_context(psycopg.Cursor(raw))
            # Pipeline mode: the statement is sent, and its result read only when waited for.
            stack.enter_context(raw.pipeline())
            cursor.execute(sql, arrays, binary=True)
            return stack.pop_all().close

    # A query whose words are (by the statistics) in at least this share of the archive finds its
    # newest matches by walking ids backwards, testing each row's tsvector: it stops after about
    # window / share rows. A rarer one reads them from the GIN index, for the newest span of ids
    # expected to hold SPAN_MARGIN times what is needed, then for the older ids only if that falls short.
    COMMON = 0.3
    SPAN_MARGIN = 3

    def _share(self, query, tsquery, tsquery_params):
        """The share of the archive expected to match, as SQL: the product of the words' frequencies
        in the GIN statistics (0 for a word too rare to be listed there). None for alternatives,
        exclusions and prefixes, whose share the statistics cannot tell."""
        if len(query.alternatives) != 1 or any(t.excluded or t.prefix for t in query.alternatives[0]):
            return None, []
        sql = (
            "(SELECT coalesce(exp(sum(ln(greatest(coalesce(s.most_common_elem_freqs["
            "  array_position(s.most_common_elems::text::text[], m[1])], 0), 1e-9)))), 0) "
            f" FROM pg_stats s CROSS JOIN regexp_matches(({tsquery})::text, $$'([^']+)'$$, 'g') AS m "
            f" WHERE s.schemaname = current_schema() AND s.tablename = '{self.vectors}' "
            "  AND s.attname = 'document')"
        )
        return sql, tsquery_params

    def _matches(self, query, *, enough):
        """The matches' ids, newest first, ``(sql, params)``. Rows are pulled only as the reader
        needs them, so of the branches only the one the share calls for runs (the others' gates are
        one-time filters), and the older span only when the newer one had too few."""
        tsquery, tsquery_params = query.tsquery()
        walk = f"SELECT article_id FROM {self.vectors} WHERE document @@ {tsquery}"
        share, share_params = self._share(query, tsquery, tsquery_params)
        if share is None:  # the planner's own choice
            return f"{walk} ORDER BY article_id DESC", tsquery_params
        common, common_params = f"({share} >= %s)", [*share_params, self.COMMON]
        cut = (
            f"(SELECT coalesce(max(article_id), 0) - least(%s / greatest({share}, 1e-9), 1e15)::bigint "
            f"FROM {self.vectors})"
        )
        cut_params = [enough * self.SPAN_MARGIN, *share_params]
        sql = (
            f"({walk} AND {common} ORDER BY article_id DESC) UNION ALL "
            f"(SELECT article_id FROM articles_search_matches({tsquery}, {cut}, 9223372036854775807) "
            f"AS m(article_id) WHERE NOT {common} ORDER BY article_id DESC) UNION ALL "
            f"(SELECT article_id FROM articles_search_matches({tsquery}, -1, {cut}) "
            f"AS m(article_id) WHERE NOT {common} ORDER BY article_id DESC)"
        )
        span = [*tsquery_params, *cut_params]
        return sql, [*tsquery_params, *common_params, *span, *common_params, *span, *common_params]

    def count(self, query, visible, *, bound):
        matches, params = self._matches(query, enough=bound)
        # Checked row by row (see ``ranked``), so only about ``bound`` visibility lookups are made.
        sql = (
            f"SELECT count(*) FROM (SELECT 1 FROM ({matches}) d WHERE (SELECT true WHERE {visible[0]}) "
            "LIMIT %s) AS hit"
        )
        return self._execute(sql, [*params, *visible[1], bound])[0][0]

    def ranked(self, query, visible, *, limit, offset, window):
        # ``match``: the matches' ids, newest first, from the narrow table alone (see _matches).
        # Visibility is checked after, newest first, so it runs for about ``window`` rows, not
        # every match. Then the window's tsvectors (and only those) are read to rank, the page cut,
        # and ts_headline, the costly part, run on that page's bodies only.
        matches, match_params = self._matches(query, enough=window)
        tsquery, tsquery_params = query.tsquery()
        sql = (
            f"WITH match AS MATERIALIZED ({matches}"
            "), win AS MATERIALIZED ("
            # A scalar subquery keeps the check a per-row filter in the ids' order, run for about
            # ``window`` rows: a bare EXISTS may become a join that reorders them (and the LIMIT
            # would keep arbitrary matches) or a hash of every visible id.
            f"  SELECT d.article_id FROM match d WHERE (SELECT true WHERE {visible[0]}) LIMIT %s"
            "), hit AS MATERIALIZED ("
            "  SELECT v.article_id, ts_rank(v.document, q.query) AS search_rank, a.published_at, q.query "
            f"  FROM win JOIN {self.vectors} v ON v.article_id = win.article_id "
            f"  JOIN {_ARTICLE} a ON a.id = win.article_id CROSS JOIN (SELECT {tsquery} AS query) AS q "
            "   ORDER BY search_rank DESC, a.published_at DESC, v.article_id DESC LIMIT %s OFFSET %s"
            ") "
            "SELECT hit.article_id, hit.search_rank, snippet.text, "
            "  snippet_at.position > 1, "
            "  snippet_at.position > 0 "
            "    AND snippet_at.position + length(snippet_at.plain) <= length(t.body) "
            f"FROM hit JOIN {self.table} t ON t.article_id = hit.article_id "
            "CROSS JOIN LATERAL ts_headline('english', t.body, hit.query, %s) AS snippet(text) "
            "CROSS JOIN LATERAL (SELECT plain, strpos(t.body, plain) AS position "
            "  FROM replace(replace(snippet.text, %s, ''), %s, '') AS plain) AS snippet_at "
            "ORDER BY hit.search_rank DESC, hit.published_at DESC, hit.article_id DESC"
        )
        params = [
            *match_params, *visible[1], window, *tsquery_params, limit, offset,
            self.headline_options, MATCH_START, MATCH_END,
        ]  # fmt: skip
        return self._execute(sql, params)


    def matching_ids(self, query, newest):
        # As a search finds its newest matches (``_matches``): a common word by walking ids
        # backwards, a rare one from the GIN index; a bitmap of every match of a common word
        # re-checks each one's tsvector (8 s at a million stories).
        matches, params = self._matches(query, enough=newest)
        return f"SELECT article_id FROM ({matches}) AS m LIMIT %s", [*params, newest]


BACKENDS = {"sqlite": _SQLite, "postgresql": _PostgreSQL}


def backend_for(connection):
    try:
        return BACKENDS[connection.vendor](connection)
    except KeyError:
        raise NotSupportedError(
            f"Search runs on SQLite or PostgreSQL; this database is {connection.vendor}."
        ) from None


def _stored(text):
    """Text as PostgreSQL's index stores it: ts_headline would drop anything shaped like an HTML tag."""
    return text.replace("<", LESS_THAN).replace(">", GREATER_THAN)
