"""A shared cache of anonymous public pages that never shows a stale visibility.

Every cached page is stored under the current *content version*, a counter kept in the database
(``ContentVersion``) and given to the cache API as the key's ``version``. Any change to what readers
can see (a published or scheduled article, its tags, bylines or corrections, a section, tag or
author; a deploy's migrate) bumps the counter in the same transaction as the change, so the change
and the retirement of every page that showed the old state commit together, in every server process
at once, whether or not the cache server was reachable at the time: a page stored under an older
version is never read again, it simply expires. Work on drafts and stories in review changes nothing
a reader sees, and bumps nothing. Scheduled articles go live without any write: the row also holds
the next scheduled publication time, and the first request after it bumps the counter.

A request costs one read of that row (a primary-key lookup, which is also the connection's health
check) and one cache read. The middleware sits at the top of the stack, so a hit skips everything
else: the page is stored as the stack below finally produced it (gzipped or not, with every
header), as plain data. Conditional requests are answered from the stored ETag.

Pages are cached only with a shared cache (REDIS_URL): with per-process local memory, two workers
could disagree about what is public, so nothing is cached there. If Redis is unreachable the site
serves every page uncached and logs it.
"""

import logging
import time
from hashlib import md5

from django.conf import settings
from django.core.cache import caches
from django.db import IntegrityError, InterfaceError, OperationalError, connection, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.db.models import F, Min, Subquery
from django.db.models.signals import post_delete
from django.dispatch import Signal
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Paths never cached: the editors' workspace, signed previews, the health check, and stored pictures
# (files with names that never change, sent with their own long-lived headers).
UNCACHED_PREFIXES = ("/admin/", "/preview/", "/healthz", "/media/")
# What an unreachable cache server raises through the cache API.
CACHE_ERRORS = (RedisError, ConnectionError, TimeoutError)


def page_cache_enabled():
    return settings.NEWSROOM_PAGE_CACHE


def _cache():
    return caches["default"]


class OutageLog:
    """Logs that the cache is unreachable, at most once a minute: while it is down every request
    fails the same way, and a line for each would bury the rest of the log."""

    interval = 60.0

    def __init__(self):
        self.logged_at = None

    def report(self, error):
        now = time.monotonic()
        if self.logged_at is None or now - self.logged_at > self.interval:
            self.logged_at = now
            logger.error("Page cache unreachable, serving uncached: %s", error)


# The content version, in the database.


def _version_row(using=None):
    from articles.models import ContentVersion

    return ContentVersion.objects.using(using).filter(pk=ContentVersion.ROW)


def _next_publication(using=None):
    """The time the next story is due to go public unannounced, as a subquery (None when there is
    none): a scheduled story's, or a past one's when a story went public without being announced
    (articles.publishing announces it, and so moves this on)."""
    from articles.models import Article

    upcoming = Article.objects.using(using).awaiting_announcement().order_by("published_at")
    return Subquery(upcoming.values("published_at")[:1])


def _create_version_row(using=None, withdrawn_at=None):
    """Make the row when it is missing (a flushed table). It starts at the clock in microseconds,
    not at 1, so it is past every version a page was stored under before the row was lost."""
    from articles.models import Article, ContentVersion

    awaiting = Article.objects.using(using).awaiting_announcement()
    upcoming = awaiting.aggregate(first=Min("published_at"))["first"]
    defaults = {"version": time.time_ns() // 1000, "next_publication": upcoming, "withdrawn_at": withdrawn_at}
    ContentVersion.objects.using(using).get_or_create(pk=ContentVersion.ROW, defaults=defaults)


def bump_version(using=None, *, withdrawn=False):
    """Retire every cached page: one UPDATE, in the caller's transaction, so it commits (or rolls
    back) with the change it stands for. It also looks ahead to the next scheduled publication, and
    notes the time when ``withdrawn`` says a story left the public site."""
    values = {"version": F("version") + 1, "next_publication": _next_publication(using)}
    if withdrawn:
        values["withdrawn_at"] = timezone.now()
    if not _version_row(using).update(**values):
        _create_version_row(using, withdrawn_at=values.get("withdrawn_at"))


# Sent when the first request after a scheduled story's time reads the content version; the page
# cache sits below publishing, which listens and announces the story.
publication_due = Signal()


def current_version(scope=None):
    """The content version pages are cached under now; with ``scope`` (a page scope's key), the pair
    "content.scope" that page is cached under. A scheduled publication that has come due bumps the
    content version first, once, whichever process notices.

    Read on every cacheable request, so written as one plain statement: the ORM would triple its
    cost, and this is most of what a cache hit costs.
    """
    from articles.models import ContentVersion, PageScope

    table = connection.ops.quote_name(ContentVersion._meta.db_table)
    scopes = connection.ops.quote_name(PageScope._meta.db_table)
    now = timezone.now()
    found = _first_query(
        f"SELECT version, CASE WHEN next_publication <= %s THEN 1 ELSE 0 END, "
        f"(SELECT version FROM {scopes} WHERE {connection.ops.quote_name('key')} = %s) "
        f"FROM {table} WHERE id = %s",
        [connection.ops.adapt_datetimefield_value(now), scope or "", ContentVersion.ROW],
    )
    if found is None:
        _create_version_row()
        return current_version(scope)
    version, due, scope_version = found
    if due:
        # Publishing announces the stories whose time came (articles.publishing.release_due), which
        # bumps the version and moves the horizon on. The conditional bump after it retires the
        # pages in any case, once, whichever of several processes noticing at once gets there.
        publication_due.send(sender=ContentVersion, now=now)
        row = _version_row()
        row.filter(next_publication__lte=now).update(
            version=F("version") + 1, next_publication=_next_publication()
        )
        version = row.values_list("version", flat=True).first()
    if scope is None:
        return version
    return f"{version}.{scope_version or 0}"


def _first_query(sql, params):
    """The one row of ``sql``, read as a request's first query, which is its own connection check.

    With CONN_HEALTH_CHECKS, Django sends a SELECT 1 before a request's first query on a kept
    connection. A cache hit has no other query, so the check doubled its trips to the database: here
    the read is the check. When it fails on a connection the server has dropped (PostgreSQL
    restarted), the connection is closed and the read asked again on a new one, as a failed
    SELECT 1 would have led to; an error on a working connection is raised as before.
    """
    checking = (
        connection.health_check_enabled
        and not connection.health_check_done
        and connection.connection is not None
        and not connection.in_atomic_block
    )
    if checking:
        connection.health_check_done = True
        try:
            return _fetch_one(sql, params)
        except (InterfaceError, OperationalError):
            if connection.is_usable():
                raise
            connection.close()
    return _fetch_one(sql, params)


def _fetch_one(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# Page scopes: the pages of one part of the site, retired on their own (PageScope).

PAGE_SCOPES = []


def register_page_scope(scope_of):
    """The hook for an app beside articles to give some pages a scope of their own: ``scope_of(path)``
    returns the scope's key for a path, or None. It is asked on every cacheable request, before the
    cache, so it must decide from the path alone, without a query."""
    if scope_of not in PAGE_SCOPES:
        PAGE_SCOPES.append(scope_of)


def page_scope(path):
    for scope_of in PAGE_SCOPES:
        key = scope_of(path)
        if key:
            return key
    return None


def bump_scopes(keys, using=None):
    """Retire the cached pages of these scopes, and no other: in the caller's transaction, as
    bump_version. A scope first bumped starts at the clock in microseconds, past any version a page
    of it could have been stored under before (its row lost with a flushed table)."""
    from articles.models import PageScope

    for key in keys:
        scope = PageScope.objects.using(using).filter(key=key)
        if scope.update(version=F("version") + 1):
            continue
        try:
            with transaction.atomic(using=using):
                PageScope.objects.using(using).create(key=key, version=time.time_ns() // 1000)
        except IntegrityError:  # another process made it first
            scope.update(version=F("version") + 1)


# What retires the pages.


def content_changed(withdrawn=False, **kwargs):
    """Make every cached page stale, with the current transaction. Safe to call often."""
    bump_version(withdrawn=withdrawn)


def last_withdrawal():
    """When a story last left the public site (unpublished or deleted), or None. Sitemaps move
    their lastmod with it, so crawlers come back for the list that no longer holds the story."""
    return _version_row().values_list("withdrawn_at", flat=True).first()


def deployed(using="default", **kwargs):
    """post_migrate: pages rendered by the previous code retire with it. Skipped when the database
    is left behind this code's models (migrated backwards): the bump reads columns it may lack, and
    the code that matches that schema retires the pages when it runs its own migrate."""
    executor = MigrationExecutor(connections[using])
    if not executor.migration_plan(executor.loader.graph.leaf_nodes()):
        bump_version(using)


# The field by which each part of an article (taggings, bylines, corrections, old slugs) names it.
_ARTICLE_FIELD = {
    "TaggedArticle": "content_object_id",
    "ArticleAuthor": "article_id",
    "Correction": "article_id",
    "SlugRedirect": "article_id",
}


def _stays_off_public(article, created):
    """True when ``article`` was, and still is, a draft or in review: on no public surface, so its
    saves retire nothing. A desk's day is mostly such saves."""
    return not article.is_released and (created or not article.was_released)


def article_changed(sender, instance, created=False, signal=None, **kwargs):
    """post_save / post_delete of an Article."""
    if not _stays_off_public(instance, created):
        content_changed(withdrawn=_leaves_public(instance, deleted=signal is post_delete))


def _leaves_public(article, deleted):
    """True when a published (or scheduled) article is deleted or goes back to draft or review."""
    return article.was_released and (deleted or not article.is_released)


def article_part_changed(sender, instance, **kwargs):
    """post_save / post_delete of a tagging, byline, correction or old slug."""
    stories_changed([getattr(instance, _ARTICLE_FIELD[sender.__name__])])


def stories_changed(article_ids):
    """Something shown with these stories changed (a part of theirs, or a picture they lead with,
    through another app): retire every cached page if a reader can see any of them."""
    from articles.models import Article

    if Article.objects.released().filter(pk__in=article_ids).exists():
        content_changed()


def _page_key(request):
    """The page's key within a content version: the encoding the client gets, decided as Django's
    GZipMiddleware decides, and a digest of the URL, as Django's own page cache keys it, so a URL of
    any length makes a short key."""
    variant = "gz" if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else "id"
    url = md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    return f"newsroom.page.{variant}.{url}"


# Conditions a cached page can answer (a 304); If-Match and If-Unmodified-Since (412) are left to
# the full stack, as are all other methods.
_REVALIDATION = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE")


def _cacheable_request(request):
    return (
        request.method in ("GET", "HEAD")
        and not request.path.startswith(UNCACHED_PREFIXES)
        # A session cookie may mean a signed-in editor: their pages are never shared.
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and "HTTP_IF_MATCH" not in request.META
        and "HTTP_IF_UNMODIFIED_SINCE" not in request.META
    )


def _cacheable_response(response):
    return (
        response.status_code in (200, 301, 404)
        and not response.cookies
        and not getattr(response, "streaming", False)
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
    )


def _conditional(request, response):
    """Answer If-None-Match / If-Modified-Since as ConditionalGetMiddleware would."""
    etag = response.get("ETag")
    last_modified = parse_http_date_safe(response.get("Last-Modified", "")) or None
    if etag or last_modified:
        return get_conditional_response(request, etag=etag, last_modified=last_modified, response=response)
    return response


class PageCacheMiddleware:
    """Serve anonymous public pages from the shared cache, keyed by content version, encoding and URL.

    It sits at the top of the stack, right below SecurityMiddleware and WhiteNoise: a hit is a read of
    the content version and one cache read, and skips every middleware below. A miss runs the whole
    stack, and the final response (compressed, with its CSP, ETag, Vary and Cache-Control headers) is
    stored as plain data: status, headers, body. Clients that accept gzip and those that do not get
    separate entries, decided as Django's GZipMiddleware decides, so an identity client never
    receives a gzipped body. Nothing else of the request is in the key, so nothing else may shape
    the page: absolute URLs come from NEWSROOM_SITE_URL, never from the Host header.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.outage = OutageLog()

    def __call__(self, request):
        if not (page_cache_enabled() and _cacheable_request(request)):
            return self.get_response(request)
        # A Host outside ALLOWED_HOSTS is refused (400) here, as CommonMiddleware would below.
        request.get_host()
        cache, key, version = _cache(), _page_key(request), current_version(page_scope(request.path))
        try:
            stored = cache.get(key, version=version)
        except CACHE_ERRORS as error:
            self.outage.report(error)
            return self.get_response(request)
        if stored is not None:
            status, headers, body = stored
            response = HttpResponse(b"" if request.method == "HEAD" else body, status=status, headers=headers)
            response.headers["X-Cache"] = "hit"
            if any(name in request.META for name in _REVALIDATION):
                return _conditional(request, response)
            return response
        if request.method != "GET":
            # HEAD has no ETag below (ConditionalGetMiddleware skips it): serve it, store nothing.
            return self.get_response(request)
        # Ask the stack for the full page even when the client holds a copy, so a revalidating
        # reader still fills the cache; its 304 is worked out here instead.
        conditions = {name: request.META.pop(name) for name in _REVALIDATION if name in request.META}
        try:
            response = self.get_response(request)
        finally:
            request.META.update(conditions)
        if _cacheable_response(response):
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            patch_vary_headers(response, ["Cookie"])
            try:
                cache.set(
                    key,
                    (response.status_code, list(response.items()), response.content),
                    timeout=settings.NEWSROOM_PAGE_CACHE_SECONDS,
                    version=version,
                )
            except CACHE_ERRORS as error:
                self.outage.report(error)
            response.headers["X-Cache"] = "miss"
        if conditions:
            return _conditional(request, response)
        return response


def cache_status():
    """For /healthz: "ok", "unreachable", or "off" (no shared cache configured)."""
    if not page_cache_enabled():
        return "off"
    try:
        _cache().get("newsroom:health")
    except CACHE_ERRORS:
        return "unreachable"
    return "ok"
