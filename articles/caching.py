"""A shared cache of anonymous public pages that never shows a stale visibility, retired by what each
page shows.

Each cacheable page names what it shows as surrogate keys (articles/page_keys.py: the story, its
lists, its section, topics and authors, the front page). A change retires its keys: one counter in
the database (``ContentVersion.version``) moves on, and each retired key records the counter's new
value (``PageScope``), in the same transaction as the change, so the change and the retirement of
the pages that showed the old state commit together, in every server process at once, whether or
not the cache server was reachable at the time. A page is stored with the counter as it was before
it was rendered; it is served while none of its keys has been retired since. Editing one story
retires its page and the lists that show it, and leaves every other story's page cached. Work on
drafts and stories in review changes nothing a reader sees, and retires nothing.

Scheduled articles go live without any job: the row also holds the next scheduled publication time,
and the first request after it announces the story (``publication_due``), which retires its lists.
A page that lists stories tells a proxy in front not to keep it past that time.

A request costs one cache read and one read of the database (the counter and its keys' latest
retirement in one statement, which is also the connection's health check). The middleware sits at
the top of the stack, so a hit skips everything else: the page is stored as the stack below finally
produced it (gzipped or not, with every header), as plain data. Conditional requests are answered
from the stored ETag. Every cacheable response carries ``Surrogate-Key`` and ``Surrogate-Control``
for a caching proxy in front; after each commit that retired keys, ``pages_retired`` tells whoever
purges such a proxy (the edge app).

Pages are cached only with a shared cache (REDIS_URL): with per-process local memory, two workers
could disagree about what is public, so nothing is cached there. If Redis is unreachable the site
serves every page uncached and logs it.
"""

import logging
import threading
import time
from datetime import UTC
from hashlib import md5

from django.conf import settings
from django.core.cache import caches
from django.db import InterfaceError, OperationalError, connections, router, transaction
from django.db.models import F, Min, Subquery
from django.dispatch import Signal
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import parse_http_date_safe
from redis.exceptions import RedisError

from articles import page_keys

logger = logging.getLogger(__name__)

# Paths never cached: the editors' workspace, signed previews, the health check, and stored pictures
# (files with names that never change, sent with their own long-lived headers).
UNCACHED_PREFIXES = ("/admin/", "/preview/", "/healthz", "/media/")
# What an unreachable cache server raises through the cache API.
CACHE_ERRORS = (RedisError, ConnectionError, TimeoutError)

# Sent with ``keys`` (a frozenset) once the transaction that retired them commits: the hook for
# purging a caching proxy or a CDN in front (the edge app).
pages_retired = Signal()


def page_cache_enabled():
    return settings.NEWSROOM_PAGE_CACHE


def keys_wanted():
    """Whether pages are named by their keys at all: for the shared cache, or a proxy in front."""
    return settings.NEWSROOM_PAGE_CACHE or settings.NEWSROOM_SURROGATE_KEYS


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


# The counter and the keys' retirements, in the database.


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
    """Make the row when it is missing (a flushed table). The counter starts at the clock in
    microseconds, and the row's epoch with it: a page stored before the row was lost (with the keys'
    retirements) names another epoch, and is never served again."""
    from articles.models import Article, ContentVersion

    awaiting = Article.objects.using(using).awaiting_announcement()
    upcoming = awaiting.aggregate(first=Min("published_at"))["first"]
    start = time.time_ns() // 1000
    defaults = {"version": start, "epoch": start, "next_publication": upcoming, "withdrawn_at": withdrawn_at}
    ContentVersion.objects.using(using).get_or_create(pk=ContentVersion.ROW, defaults=defaults)


def retire(keys, using=None, *, withdrawn=False):
    """Retire the cached pages that show any of ``keys`` (page_keys), and no other: in the caller's
    transaction, so it commits (or rolls back) with the change it stands for. The counter moves on
    and each key records its new value; the same update looks ahead to the next scheduled
    publication, and notes the time when ``withdrawn`` says a story left the public site. Once the
    transaction commits, ``pages_retired`` names the keys."""
    from articles.models import PageScope

    keys = frozenset(keys)
    if not keys:
        return
    values = {"version": F("version") + 1, "next_publication": _next_publication(using)}
    if withdrawn:
        values["withdrawn_at"] = timezone.now()
    row = _version_row(using)
    if not row.update(**values):
        _create_version_row(using, withdrawn_at=values.get("withdrawn_at"))
    version = row.values_list("version", flat=True).get()
    PageScope.objects.using(using).bulk_create(
        [PageScope(key=key, version=version) for key in sorted(keys)],
        update_conflicts=True,
        unique_fields=["key"],
        update_fields=["version"],
    )
    _announce_on_commit(keys, using)


# Keys retired in this thread's open transaction, announced together when it commits: an editor's
# save touches a story, its tags and bylines, each retiring keys, and a proxy gets one purge.
_retired = threading.local()


def _announce_on_commit(keys, using):
    alias = using or router.db_for_write(None) or "default"
    _retired.__dict__.setdefault(alias, set()).update(keys)
    transaction.on_commit(lambda: _announce(alias), using=alias)


def _announce(alias):
    # The first callback of a transaction sends every key; a rolled-back transaction's keys are
    # sent with the next commit's, a purge more than needed and never one too few.
    keys = _retired.__dict__.pop(alias, None)
    if keys:
        pages_retired.send(sender=retire, keys=frozenset(keys))


def content_changed(withdrawn=False, **kwargs):
    """Retire every cached page, with the current transaction (a deploy, a bulk import)."""
    retire({page_keys.SITE}, withdrawn=withdrawn)


def last_withdrawal():
    """When a story last left the public site (unpublished or deleted), or None. Sitemaps move
    their lastmod with it, so crawlers come back for the list that no longer holds the story."""
    return _version_row().values_list("withdrawn_at", flat=True).first()


# Sent when the first request after a scheduled story's time reads the counter; the page cache
# sits below publishing, which listens, announces the story and retires its lists.
publication_due = Signal()


class State:
    """What a request read of the counter: ``version`` and ``epoch``, ``next_publication``, and
    ``retired``, the latest retirement among the keys asked about (None when none was retired)."""

    def __init__(self, version, epoch, next_publication, retired, settled=True):
        self.version, self.epoch, self.retired = version, epoch, retired
        # False while a story that came due is still being announced as seen from here (a replica
        # behind the primary): the page is served, not kept.
        self.settled = settled
        if next_publication is not None and timezone.is_naive(next_publication):
            next_publication = next_publication.replace(tzinfo=UTC)  # SQLite's plain text
        self.next_publication = next_publication

    def serves(self, stored):
        """Whether a page stored as ``stored`` (epoch, version, keys, ...) still shows what is current."""
        epoch, version = stored[0], stored[1]
        return epoch == self.epoch and (self.retired or 0) <= version


def read_state(keys=(), alias=None, *, announced=False):
    """The counter and the latest retirement of ``keys``, in one statement. A scheduled publication
    that has come due is announced first, once, whichever process notices.

    Read on every cacheable request, so written as one plain statement: the ORM would triple its
    cost, and this is most of what a cache hit costs.
    """
    from articles.models import ContentVersion, PageScope

    alias = alias or router.db_for_read(ContentVersion) or "default"
    connection = connections[alias]
    quote = connection.ops.quote_name
    now = timezone.now()
    retired, params = "NULL", [connection.ops.adapt_datetimefield_value(now)]
    if keys:
        marks = ", ".join(["%s"] * len(keys))
        table = quote(PageScope._meta.db_table)
        retired = f"(SELECT MAX(version) FROM {table} WHERE {quote('key')} IN ({marks}))"
        params.extend(keys)
    found = _first_query(
        connection,
        f"SELECT version, epoch, CASE WHEN next_publication <= %s THEN 1 ELSE 0 END, next_publication, "
        f"{retired} FROM {quote(ContentVersion._meta.db_table)} WHERE id = %s",
        [*params, ContentVersion.ROW],
    )
    if found is None:
        _create_version_row()
        return read_state(keys)
    version, epoch, due, next_publication, retired_at = found
    if due and announced:
        return State(version, epoch, next_publication, retired_at, settled=False)
    if due:
        # Publishing announces the stories whose time came (articles.publishing.release_due), which
        # retires their lists and moves the horizon on. Moving it here too stops every request
        # after it asking again when another process is announcing them already.
        publication_due.send(sender=ContentVersion, now=now)
        _version_row().filter(next_publication__lte=now).update(next_publication=_next_publication())
        return read_state(keys, alias, announced=True)
    return State(version, epoch, next_publication, retired_at)


def current_version():
    """The counter now (after announcing any story that came due)."""
    return read_state().version


def _first_query(connection, sql, params):
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
            return _fetch_one(connection, sql, params)
        except (InterfaceError, OperationalError):
            if connection.is_usable():
                raise
            connection.close()
    return _fetch_one(connection, sql, params)


def _fetch_one(connection, sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


# Keys a page carries by its path alone: another app's part of the site (live stories).

PAGE_SCOPES = []


def register_page_scope(scope_of):
    """The hook for an app beside articles to give some pages a key of their own: ``scope_of(path)``
    returns the key for a path, or None; ``retire([key])`` retires those pages, and no other."""
    if scope_of not in PAGE_SCOPES:
        PAGE_SCOPES.append(scope_of)


def page_scope(path):
    for scope_of in PAGE_SCOPES:
        key = scope_of(path)
        if key:
            return key
    return None


def _page_key(request):
    """The page's cache key: the encoding the client gets, decided as Django's GZipMiddleware
    decides, and a digest of the URL, as Django's own page cache keys it, so a URL of any length
    makes a short key."""
    variant = "gz" if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else "id"
    if "ESI/1.0" in request.META.get("HTTP_SURROGATE_CAPABILITY", ""):
        variant += ".esi"  # for a proxy that includes fragments itself (page_keys.include_at_edge)
    url = md5(request.get_full_path().encode(), usedforsecurity=False).hexdigest()
    return f"newsroom.keyed-page.{variant}.{url}"


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


def _lists_stories(keys):
    return any(key in page_keys.LISTING or key.startswith(page_keys.LISTING_PREFIXES) for key in keys)


def proxy_seconds(keys, state):
    """How long a proxy in front may keep a page with ``keys``: NEWSROOM_PROXY_CACHE_SECONDS, and for
    a page that lists stories, never past the next scheduled publication, which changes it."""
    seconds = settings.NEWSROOM_PROXY_CACHE_SECONDS if state.settled else 0
    if state.next_publication is not None and _lists_stories(keys):
        until = (state.next_publication - timezone.now()).total_seconds()
        seconds = max(0, min(seconds, int(until)))
    return seconds


# Marks a page with fragments for the proxy to include (page_keys.include_at_edge); stored with it.
EDGE_INCLUDES = "X-Edge-Includes"
# Headers worked out again for each answer, not stored with the page.
_PER_REQUEST = frozenset({"Surrogate-Key", "Surrogate-Control", "X-Content-Epoch", "X-Content-Version"})


def _name_keys(response, keys, state):
    response.headers["Surrogate-Key"] = " ".join(sorted(keys))
    control = f"max-age={proxy_seconds(keys, state)}"
    if EDGE_INCLUDES in response:
        control += ', content="ESI/1.0"'  # the proxy is to process its includes (Edge Architecture)
    response.headers["Surrogate-Control"] = control
    # The counter the page is current at (rendered after it was read, or a stored copy checked
    # against it): a proxy keeps no page older than the latest purge it was sent (the edge VCL).
    # Counted from the epoch, as VCL's integers stop at fifteen digits.
    response.headers["X-Content-Epoch"] = str(state.epoch)
    response.headers["X-Content-Version"] = str(state.version - state.epoch)


class PageCacheMiddleware:
    """Serve anonymous public pages from the shared cache, checked against what they show.

    It sits at the top of the stack, right below SecurityMiddleware and WhiteNoise: a hit is one
    cache read and one read of the database (are any of the page's keys retired since it was
    stored?), and skips every middleware below. A miss reads the counter first, runs the whole stack
    while gathering the page's keys (page_keys), and stores the final response (compressed, with
    its CSP, ETag, Vary and Cache-Control headers) as plain data with the counter and the keys.
    Clients that accept gzip and those that do not get separate entries, decided as Django's
    GZipMiddleware decides, so an identity client never receives a gzipped body. Nothing else of
    the request is in the key, so nothing else may shape the page: absolute URLs come from
    NEWSROOM_SITE_URL, never from the Host header. Every cacheable response names its keys to a
    proxy in front (``Surrogate-Key``), with or without the shared cache.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.outage = OutageLog()

    def __call__(self, request):
        if not (keys_wanted() and _cacheable_request(request)):
            return self.get_response(request)
        # A Host outside ALLOWED_HOSTS is refused (400) here, as CommonMiddleware would below.
        request.get_host()
        cache, key, stored = _cache(), _page_key(request), None
        use_cache = page_cache_enabled()
        if use_cache:
            try:
                stored = cache.get(key)
            except CACHE_ERRORS as error:
                self.outage.report(error)
                use_cache = False
        if not (isinstance(stored, tuple) and len(stored) == 6):
            stored = None  # none, or stored by an earlier release in another shape
        state = read_state(stored[2] if stored else ())
        if stored is not None and state.serves(stored):
            return self._hit(request, stored, state)
        if request.method != "GET":
            # HEAD has no ETag below (ConditionalGetMiddleware skips it): serve it, store nothing.
            use_cache = False
        # Ask the stack for the full page even when the client holds a copy, so a revalidating
        # reader still fills the cache; its 304 is worked out here instead.
        conditions = {name: request.META.pop(name) for name in _REVALIDATION if name in request.META}
        try:
            with page_keys.gathering() as gathered:
                scope = page_scope(request.path)
                if scope:
                    page_keys.shows(scope)
                response = self.get_response(request)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()
        finally:
            request.META.update(conditions)
        if gathered.edge_includes:
            response.headers[EDGE_INCLUDES] = "ESI/1.0"
            response.headers["Surrogate-Control"] = 'content="ESI/1.0"'  # kept or not, it is included
        if _cacheable_response(response):
            keys = gathered.result()
            patch_vary_headers(response, ["Cookie"])
            _name_keys(response, keys, state)
            if use_cache and state.settled:
                self._store(cache, key, response, keys, state)
                response.headers["X-Cache"] = "miss"
        if conditions:
            return _conditional(request, response)
        return response

    def _hit(self, request, stored, state):
        _epoch, _version, keys, status, headers, body = stored
        response = HttpResponse(b"" if request.method == "HEAD" else body, status=status, headers=headers)
        _name_keys(response, keys, state)
        response.headers["X-Cache"] = "hit"
        if any(name in request.META for name in _REVALIDATION):
            return _conditional(request, response)
        return response

    def _store(self, cache, key, response, keys, state):
        headers = [(name, value) for name, value in response.items() if name not in _PER_REQUEST]
        shows = tuple(sorted(keys))
        entry = (state.epoch, state.version, shows, response.status_code, headers, response.content)
        try:
            cache.set(key, entry, timeout=settings.NEWSROOM_PAGE_CACHE_SECONDS)
        except CACHE_ERRORS as error:
            self.outage.report(error)


def cache_status():
    """For /healthz: "ok", "unreachable", or "off" (no shared cache configured)."""
    if not page_cache_enabled():
        return "off"
    try:
        _cache().get("newsroom:health")
    except CACHE_ERRORS:
        return "unreachable"
    return "ok"
